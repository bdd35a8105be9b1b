"""The refactoring check: outputs that differ only in what differs between any two runs compare equal."""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from tools.compare_outputs import differences

RUN_A, RUN_B = "20261201T020000Z-0a1b2c3d", "20261205T153000Z-9f8e7d6c"


ROWS = [("wake me", 0.5), ("lights", 1.0), (None, 0.25)]


def write_output(checkout, run_id, elapsed_s, rows):
    out = checkout / "demo"
    (out / "pairs").mkdir(parents=True)
    pq.write_table(pa.table({"source": [s for s, _ in rows], "weight": [w for _, w in rows],
                             "source_file": [f"file:{checkout}/logs/part-0.parquet"] * len(rows)}),
                   out / "pairs" / "part-0.parquet")
    manifest = {"run_id": run_id, "stages": {"ingest": {"rows_in": 3, "elapsed_s": elapsed_s}}}
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "summary.md").write_text(f"Run {run_id}: 3 rows in {elapsed_s}s\n")
    return out


def test_runs_that_differ_only_in_ids_times_and_checkout_compare_equal(tmp_path):
    before = write_output(tmp_path / "before", RUN_A, 12.4, ROWS)
    after = write_output(tmp_path / "after", RUN_B, 9.0, ROWS[::-1])  # the same rows in another order
    assert differences(before, after) == []


def test_a_changed_row_or_count_is_found(tmp_path):
    before = write_output(tmp_path / "before", RUN_A, 12.4, ROWS)
    after = write_output(tmp_path / "after", RUN_B, 9.0, [*ROWS[:2], (None, 0.5)])
    (after / "manifest.json").write_text(json.dumps({"run_id": RUN_B, "stages": {"ingest": {"rows_in": 4}}}))
    (after / "extra.md").write_text("new\n")
    assert differences(before, after) == [
        "rows differ: pairs", "file only on one side: extra.md", "content differs: manifest.json",
    ]
