"""What a run folder holds, as comparable text: for tests that expect two runs to produce the same outputs."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pyarrow.dataset as ds

# Sketch bytes may follow the order users were added in; what they hold is compared through the counts.
UNCOMPARED = ("users_sketch", "elapsed_s", "input_fingerprint", "run_id")


def comparable(record: dict, uncompared: tuple[str, ...] = UNCOMPARED) -> str:
    """One row or stats file as sorted JSON, floats rounded, without what legitimately differs between runs."""
    return json.dumps(
        {k: round(v, 5) if isinstance(v, float) else str(v) for k, v in record.items() if k not in uncompared},
        sort_keys=True,
    )


def run_content(
    out: Path, stages, skipped: tuple[str, ...] = (), uncompared: tuple[str, ...] = UNCOMPARED
) -> dict[str, list[str]]:
    """Every Parquet dataset's sorted rows but `skipped`, the training records, and the stats of `stages`."""
    datasets = {
        folder.name: sorted(
            comparable(r, uncompared) for r in ds.dataset(folder, format="parquet").to_table().to_pylist()
        )
        for folder in sorted(out.iterdir())
        if folder.is_dir() and not folder.name.startswith("_") and folder.name not in ("training", *skipped)
    }
    lines = [line for path in sorted(glob.glob(f"{out}/training/*.jsonl")) for line in open(path, encoding="utf-8")]
    if lines:
        datasets["training"] = sorted(comparable(json.loads(line), uncompared) for line in lines)
    stats = {f"_stats/{name}": [comparable(json.loads((out / "_stats" / f"{name}.json").read_text()), uncompared)]
             for name in stages}
    return {**datasets, **stats}
