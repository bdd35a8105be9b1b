"""Checks that a refactor kept the outputs: compares two output folders of `make demo`, `make evaluate` and
`make loop` (for example DEMO=demo-before, made from the old commit, and DEMO=demo-after).

    .venv/bin/python tools/compare_outputs.py demo-before demo-after

Parquet datasets are compared by their sorted rows; JSON, Markdown, SVG and HTML files by their text. What
differs between any two runs is masked first: run ids, published versions, embedding-cache batch names,
timestamps, elapsed times, the code version, the input fingerprint (it hashes the logs' modification
times), the bytes of user sketches (their counts are compared) and the folder the output folders lie in.
Prints each difference and exits 1 if there is one. GX Data Docs pages of single validations are skipped:
their folder names are run times.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

VOLATILE = re.compile(
    r"\d{8}T\d{6}\.\d+Z"  # GX run times
    r"|batch-[0-9a-f]{32}"  # embedding-cache batches
    r"|\d{8}T\d{6}Z-[0-9a-f]{8}"  # run ids and published versions
    r"|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00)?"  # ISO timestamps
    r"|\d+\.\d+\.\d+\+g[0-9a-f]+"  # code versions
)
# HLL sketches of users (the accumulated state's): their bytes may follow the order users were added in, and
# what they hold is compared through the rows' `support_users`.
VOLATILE_COLUMNS = {"users_sketch"}
VOLATILE_KEYS = {"input_fingerprint", "code_version", "started_at", "finished_at", "published_at", "seconds"}
TEXT_SUFFIXES = {".json", ".md", ".svg", ".html", ".jsonl", ".txt", ".csv"}


def masked_text(text: str) -> str:
    text = VOLATILE.sub("X", text)
    text = re.sub(r"in \d+(\.\d+)?s", "in Ns", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", "T", text)  # wall-clock times on pages
    text = re.sub(r"\d+ s in all", "N s in all", text)
    text = re.sub(r"'_run_time_sort': [\d.]+", "'_run_time_sort': T", text)  # the GX Data Docs index
    text = re.sub(r"<dd>(\d+ min )?\d+(\.\d+)? s</dd>", "<dd>elapsed</dd>", text)  # the dashboard's elapsed time
    return re.sub(r"(elapsed seconds per stage).*?</svg>", r"\1 T", text, flags=re.S)  # the timings chart


def masked_json(value):
    if isinstance(value, dict):
        return {k: "T" if k in VOLATILE_KEYS or k.endswith("_s") else masked_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_json(v) for v in value]
    return masked_text(value) if isinstance(value, str) else value


def datasets(root: Path) -> dict[Path, list[Path]]:
    """Masked dataset path -> its folders: a folder of Parquet files, directly or in key=value partitions."""
    found: dict[Path, set[Path]] = {}
    for file in root.rglob("*.parquet"):
        parts = []
        for part in file.relative_to(root).parts[:-1]:
            if "=" in part:
                break
            parts.append(part)
        if parts:
            found.setdefault(Path(VOLATILE.sub("X", str(Path(*parts)))), set()).add(root / Path(*parts))
    return {name: sorted(folders) for name, folders in found.items()}


def sorted_rows(folders: list[Path], checkout: str) -> list[str]:
    tables = [ds.dataset(f, format="parquet", partitioning="hive").to_table() for f in folders]
    table = pa.concat_tables(tables, promote_options="default")
    table = table.select(sorted(set(table.column_names) - VOLATILE_COLUMNS))
    return sorted(masked_text(repr(row).replace(checkout, "CHECKOUT")) for row in table.to_pylist())


def text_files(root: Path) -> dict[Path, Path]:
    files = (f for f in root.rglob("*") if f.is_file() and f.suffix in TEXT_SUFFIXES)
    return {Path(VOLATILE.sub("X", str(f.relative_to(root)))): f for f in files}


def same_text(a: Path, b: Path, checkout_a: str, checkout_b: str) -> bool:
    text_a = a.read_text(errors="replace").replace(checkout_a, "CHECKOUT")
    text_b = b.read_text(errors="replace").replace(checkout_b, "CHECKOUT")
    if a.suffix == ".json":
        try:
            return masked_json(json.loads(text_a)) == masked_json(json.loads(text_b))
        except json.JSONDecodeError:
            pass
    return masked_text(text_a) == masked_text(text_b)


def differences(a: Path, b: Path) -> list[str]:
    found = []
    # the folder each output folder lies in: rows and pages may hold absolute paths of the inputs
    checkout_a, checkout_b = str(a.resolve().parent), str(b.resolve().parent)
    datasets_a, datasets_b = datasets(a), datasets(b)
    for name in sorted(set(datasets_a) | set(datasets_b)):
        if name not in datasets_a or name not in datasets_b:
            found.append(f"dataset only on one side: {name}")
        elif sorted_rows(datasets_a[name], checkout_a) != sorted_rows(datasets_b[name], checkout_b):
            found.append(f"rows differ: {name}")
    files_a, files_b = text_files(a), text_files(b)
    for name in sorted(set(files_a) | set(files_b)):
        if "validations" in name.parts:
            continue
        if name not in files_a or name not in files_b:
            found.append(f"file only on one side: {name}")
        elif not same_text(files_a[name], files_b[name], checkout_a, checkout_b):
            found.append(f"content differs: {name}")
    print(f"{len(set(datasets_a) | set(datasets_b))} datasets, {len(set(files_a) | set(files_b))} files compared")
    return found


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    found = differences(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(found) or "no differences")
    sys.exit(1 if found else 0)
