"""README "Bring your own logs": the worked examples in examples/ (tools/make_log_examples.py) are one day in three
layouts. Each mapped layout, read through its config's [log_format], mines into exactly what the contract's own
Parquet mines into; its quarantine holds its two planted broken lines, named by the logs' own columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import RunConfig, load_config
from pipeline.io import read_dataset
from pipeline.runner import run_stage
from pipeline.stages import EMIT, MINING_STAGES
from schemas.quarantine import QUARANTINE
from tests.dataset_content import UNCOMPARED, comparable, run_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAPPED = {
    "jsonl-epoch-millis": [("unparseable_record", None, "cut-short"), ("unknown_status", "outcome", "9")],
    "csv-local-time": [
        ("unknown_status", "result", "TIMEOUT"), ("unparseable_value", "local_time", "yesterday evening"),
    ],
}
STAGES = (*MINING_STAGES, EMIT)
# What differs with the layout: the files read, and what their quarantine holds (compared on its own).
LAYOUT_STATS = ("files", "rows_in", "quarantined", "quarantined_by_reason")
# The layouts share one embedding cache (to save the time): the first run embeds what the others find cached.
CACHE_STATS = ("cache_hits", "embedded_texts")


def mine(spark, example: str, out: Path, cache: Path) -> Path:
    config_file = EXAMPLES / example / "config.toml"
    config = load_config(str(config_file)) if config_file.exists() else RunConfig()
    values = {**config.as_dict(), "logs": str(EXAMPLES / example / "logs"), "out": str(out), "run_id": "example",
              "embedding_cache": str(cache)}
    for stage in STAGES:
        run_stage(spark, stage, values, log=lambda _: None)
    return out


@pytest.fixture(scope="module")
def native(spark, tmp_path_factory):
    cache = tmp_path_factory.mktemp("embedding_cache")
    return mine(spark, "native", tmp_path_factory.mktemp("native"), cache), cache


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(MAPPED))
def test_a_mapped_layout_mines_what_the_contracts_own_parquet_mines(spark, native, tmp_path, example):
    native_out, cache = native
    out = mine(spark, example, tmp_path / "out", cache)

    names = [stage.name for stage in STAGES]
    expected, found = (
        run_content(folder, names, uncompared=(*UNCOMPARED, *CACHE_STATS)) for folder in (native_out, out)
    )
    assert sorted(found) == sorted(expected)
    for name in expected:
        if name not in ("quarantine", "_stats/ingest"):
            assert found[name] == expected[name], name
    assert len(expected["rewrites"]) > 0 and len(expected["training"]) > 0  # the day teaches something
    ingest_stats = [json.loads((folder / "_stats" / "ingest.json").read_text()) for folder in (native_out, out)]
    assert [comparable(stats, (*UNCOMPARED, *LAYOUT_STATS)) for stats in ingest_stats] == 2 * [
        comparable(ingest_stats[0], (*UNCOMPARED, *LAYOUT_STATS))
    ]
    assert ingest_stats[1]["rows_in"] == ingest_stats[0]["rows_in"] + len(MAPPED[example])

    quarantined = read_dataset(spark, str(out / "quarantine"), QUARANTINE).collect()
    by_reason = {row["reason"]: row for row in quarantined}
    assert sorted(by_reason) == sorted(reason for reason, _, _ in MAPPED[example])
    for reason, column, value in MAPPED[example]:
        assert (by_reason[reason]["source_column"], value in by_reason[reason]["source_value"]) == (column, True)
