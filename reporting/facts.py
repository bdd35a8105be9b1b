"""What a run folder says, as plain Python facts: its manifest and stats, its datasets, and the counts, shares
and orderings the dashboards draw. No HTML here: the panels (reporting.panels) turn these facts into markup.

A run folder RUN holds manifest.json (run id, times, code version, per-stage stats), pairs/ and rewrites/
(Parquet, partitioned by locale), training/<locale>.jsonl and, for a run the NLU model was retrained with,
quality/nlu.json. Whatever is missing or unreadable comes back as None, {} or empty lists, never as an error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pipeline.stages import ACCUMULATE, AGGREGATE, EMIT, INGEST, VALIDATE

TOP_REWRITES = 10
DASHBOARD = Path("quality") / "dashboard.html"
NLU = Path("quality") / "nlu.json"  # written by `rephrase-miner loop`


# ---------------------------------------------------------------------------------------------- reading


def load_manifest(run_dir: str | os.PathLike) -> dict:
    """RUN/manifest.json, or {} when it is missing or unreadable."""
    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def stage(manifest: dict, name: str) -> dict:
    """One stage's stats, or {} when the run has no such stage."""
    stages = manifest.get("stages")
    stats = stages.get(name) if isinstance(stages, dict) else None
    return stats if isinstance(stats, dict) else {}


def read_columns(path: str | os.PathLike, columns: Sequence[str]) -> dict[str, list]:
    """The named columns of a Parquet dataset partitioned hive-style (locale=...), as lists.

    Columns the dataset lacks come back as lists of None; a missing or empty dataset as empty lists.
    """
    empty = {name: [] for name in columns}
    if not Path(path).is_dir():
        return empty
    try:
        dataset = ds.dataset(str(path), format="parquet", partitioning="hive")
        present = [name for name in columns if name in dataset.schema.names]
        table = dataset.to_table(columns=present)
    except (OSError, pa.ArrowException):
        return empty
    return {name: table.column(name).to_pylist() if name in present else [None] * table.num_rows for name in columns}


def count_rows(path: str | os.PathLike) -> int | None:
    """Rows in a Parquet dataset, or None when it cannot be read."""
    if not Path(path).is_dir():
        return None
    try:
        return ds.dataset(str(path), format="parquet", partitioning="hive").count_rows()
    except (OSError, pa.ArrowException):
        return None


def load_nlu(run_dir: str | os.PathLike) -> dict | None:
    """RUN/quality/nlu.json, or None when it is missing or unreadable (not JSON, not an object)."""
    try:
        nlu = json.loads((Path(run_dir) / NLU).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return nlu if isinstance(nlu, dict) else None


def training_by_locale(run_dir: str | os.PathLike, manifest: dict) -> dict[str, int]:
    """Training records per locale: from the emit stats, else by counting RUN/training/<locale>.jsonl lines."""
    counts = stage(manifest, EMIT.name).get("training_records_by_locale")
    if isinstance(counts, dict):
        return counts_of(counts)
    counts = {}
    for path in sorted((Path(run_dir) / "training").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            counts[path.stem] = sum(1 for line in lines if line.strip())
    return counts


# ---------------------------------------------------------------------------------------------- facts


def counts_of(values: object) -> dict[str, int]:
    """A {key: count} stats dict with string keys and int counts; entries that are not counts dropped."""
    if not isinstance(values, dict):
        return {}
    return {str(k): int(v) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def total(values: object) -> int | None:
    """The sum of a {key: count} stats dict, or None when there is none."""
    return sum(counts_of(values).values()) if isinstance(values, dict) else None


def ratio(part: object, whole: object) -> float | None:
    if not isinstance(part, (int, float)) or not isinstance(whole, (int, float)) or whole <= 0:
        return None
    return part / whole


def number(value: object) -> float | None:
    """A finite number from a JSON file, or None (null, missing, a string, a bool, NaN, infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an int beyond any float
        return None
    return value if math.isfinite(value) else None


def nlu_locales(nlu: dict | None) -> dict[str, dict]:
    """The locales of an nlu.json, by name; an entry that is not an object becomes {} (all n/a)."""
    locales = nlu.get("locales") if isinstance(nlu, dict) else None
    if not isinstance(locales, dict):
        return {}
    return {str(name): entry if isinstance(entry, dict) else {} for name, entry in locales.items()}


def nlu_accuracy(entry: dict) -> dict:
    """One locale's held-out accuracy: before, after, delta, low, high, level; {} when there is none."""
    found = entry.get("accuracy")
    return found if isinstance(found, dict) else {}


def fix_rate(entry: dict) -> float | None:
    """fix_rate, else fixed / failing_phrasings; None when no phrasing was failing."""
    rate = number(entry.get("fix_rate"))
    return rate if rate is not None else ratio(number(entry.get("fixed")), number(entry.get("failing_phrasings")))


def accuracy_delta(accuracy: dict) -> float | None:
    """delta, else after - before."""
    delta, before, after = (number(accuracy.get(key)) for key in ("delta", "before", "after"))
    return delta if delta is not None or before is None or after is None else after - before


def pairs_by_kind(manifest: dict) -> dict | None:
    """Pairs per kind: from aggregate (a run of one batch), else accumulate (a scheduled day)."""
    for name in (AGGREGATE.name, ACCUMULATE.name):
        kinds = stage(manifest, name).get("pairs_by_kind")
        if isinstance(kinds, dict):
            return kinds
    return None


def expectation_results(manifest: dict) -> list[dict] | None:
    results = stage(manifest, VALIDATE.name).get("results")
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else None


def pass_rate(results: list[dict] | None) -> float | None:
    return ratio(sum(1 for r in results if r.get("success") is True), len(results)) if results else None


def duration_s(manifest: dict) -> float | None:
    started, finished = parse_time(manifest.get("started_at")), parse_time(manifest.get("finished_at"))
    try:
        return (finished - started).total_seconds() if started and finished else None
    except TypeError:  # one aware, one naive
        return None


def run_summary(run_dir: str | os.PathLike) -> dict:
    """The headline numbers of one run, None where the run does not have them (what the index shows)."""
    manifest = load_manifest(run_dir)
    ingest, emit = stage(manifest, INGEST.name), stage(manifest, EMIT.name)
    pairs = total(pairs_by_kind(manifest))
    rewrites = emit.get("rewrites", total(emit.get("rewrites_by_locale")))
    training = emit.get("training_records", total(emit.get("training_records_by_locale")))
    return {
        "run_dir": str(run_dir),
        "run_id": str(manifest.get("run_id") or Path(run_dir).name),
        "started_at": manifest.get("started_at"),
        "code_version": manifest.get("code_version"),
        "pairs": pairs if pairs is not None else count_rows(Path(run_dir) / "pairs"),
        "rewrites": rewrites if rewrites is not None else count_rows(Path(run_dir) / "rewrites"),
        "training": training,
        "quarantine_share": ratio(ingest.get("quarantined"), ingest.get("rows_in")),
        "pass_rate": pass_rate(expectation_results(manifest)),
        "passed": stage(manifest, VALIDATE.name).get("passed"),
        "duration_s": duration_s(manifest),
        "nlu": load_nlu(run_dir),
    }


def new_rewrites(current: dict[str, list], previous: dict[str, list] | None) -> dict[str, list[dict]]:
    """Per locale, the top rewrites by support_users then weight, leaving out (locale, source) seen before."""
    seen = set(zip(previous["locale"], previous["source"])) if previous else set()
    rows = [dict(zip(current, values)) for values in zip(*current.values())]
    by_locale: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if (row["locale"], row["source"]) not in seen:
            by_locale[str(row["locale"])].append(row)
    return {locale: sorted(found, key=rewrite_rank)[:TOP_REWRITES] for locale, found in by_locale.items()}


def rewrite_rank(row: dict) -> tuple:
    """Most users first, then highest weight; ties by text, so that the order is stable."""
    return -(row["support_users"] or 0), -(row["weight"] or 0.0), str(row["source"]), str(row["target"])


# ---------------------------------------------------------------------------------------------- time


def parse_time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def chronological(summaries: list[dict]) -> list[dict]:
    """Oldest first: by start time, then run id (runs without a start time first)."""
    return sorted(summaries, key=lambda s: (str(s["started_at"] or ""), s["run_id"]))


# ---------------------------------------------------------------------------------------------- bins


def weight_bins(weights: Iterable[float | None], bins: int = 20) -> list[int]:
    """Counts of weights in [0, 1] over equal bins, 1.0 in the last one."""
    counts = [0] * bins
    for weight in weights:
        if weight is not None and not math.isnan(weight):
            counts[min(bins - 1, max(0, int(weight * bins)))] += 1
    return counts


def ladder(limit: int) -> list[int]:
    """1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, ...: up to beyond limit."""
    edges, decade = [1, 2, 3, 4, 5, 6, 8], 10
    while edges[-1] <= limit:
        edges += [int(m * decade) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)]
        decade *= 10
    return edges


def support_bins(support: Iterable[int | None]) -> tuple[list[int], list[int]]:
    """Counts of support_users over roughly logarithmic bins [edge_i, edge_i+1), and the edges."""
    values = [int(v) for v in support if v is not None]
    if not values:
        return [], []
    low, high = max(1, min(values)), max(values)
    ladder_edges = ladder(high)
    first = [e for e in ladder_edges if e <= low][-1:]
    edges = first + [e for e in ladder_edges if low < e <= high] + [next(e for e in ladder_edges if e > high)]
    counts = [0] * (len(edges) - 1)
    for value in values:
        counts[max(0, next(i for i in range(len(edges) - 1) if value < edges[i + 1]))] += 1
    return counts, edges
