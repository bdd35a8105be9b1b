"""Static HTML dashboards for pipeline runs: one page per run, and an index page across runs.

A dashboard is one self-contained HTML file: inline CSS and inline SVG charts drawn here, no JavaScript, no
external resources (a Content-Security-Policy forbids scripts even if some markup slipped through). Every
string that comes from the logs or from a run folder (utterances, intents, reasons, descriptions, run ids) is
HTML-escaped, in table cells as in SVG <text> and <title>.

A run folder RUN holds manifest.json (run id, times, code version, per-stage stats), pairs/ and rewrites/
(Parquet, partitioned by locale) and training/<locale>.jsonl; a run the loop retrained the NLU model with
(`rephrase-miner loop`) also holds quality/nlu.json (per locale: fix rate, held-out accuracy before and after with
its confidence interval, regressed intents, the regression verdict), shown in a panel of its own and as trends in
the index. Missing stages, stats, datasets or fields render as "n/a" (a run without quality/nlu.json has no such
panel, an unreadable one says so); a scheduled run folder (accumulate, emit, validate; no ingest) renders too.

Usage:
    python -m reporting.report --run RUN [--previous PREV]
        writes RUN/quality/dashboard.html; with PREV, "new" rewrites are those whose (locale, source) is not
        among PREV's rewrites (without PREV every rewrite is new).
    python -m reporting.report --index OUT.html --runs RUN [RUN ...]
        writes each RUN/quality/dashboard.html (each against the run before it, in time) and OUT.html, one
        row per run, newest first, linking to the dashboards by paths relative to OUT.html, with trends.

From Python: render_run(run_dir, previous_dir=None) and render_index(run_dirs, link_base=None) return HTML;
write_dashboard(run_dir, previous_dir=None) and write_index(run_dirs, out_html) write it and return the path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import math
import os
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pipeline.stages import STAGE_ORDER

NA = "n/a"
TOP_REWRITES = 10
DASHBOARD = Path("quality") / "dashboard.html"
NLU = Path("quality") / "nlu.json"  # written by `rephrase-miner loop`

PASS, WARN, FAIL = "#16a34a", "#d97706", "#dc2626"
PALETTE = ("#4f46e5", "#14b8a6", "#f59e0b", "#ec4899", "#0ea5e9", "#8b5cf6", "#84cc16", "#f97316")
KIND_COLORS = {"rephrase": "#4f46e5", "variant": "#14b8a6"}


def esc(value: object) -> str:
    """HTML-escapes any value, quotes included: safe in element text, attributes and SVG."""
    return html.escape(str(value), quote=True)


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
    counts = stage(manifest, "emit").get("training_records_by_locale")
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
    for name in ("aggregate", "accumulate"):
        kinds = stage(manifest, name).get("pairs_by_kind")
        if isinstance(kinds, dict):
            return kinds
    return None


def expectation_results(manifest: dict) -> list[dict] | None:
    results = stage(manifest, "validate").get("results")
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
    ingest, emit = stage(manifest, "ingest"), stage(manifest, "emit")
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
        "passed": stage(manifest, "validate").get("passed"),
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


# ---------------------------------------------------------------------------------------------- formatting


def fmt_int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else NA


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return NA if value is None else f"{100 * value:.{digits}f}%"


def fmt_points(value: float | None, signed: bool = False) -> str:
    """Accuracy points (0-100) with two decimals; signed for differences."""
    return NA if value is None else f"{value:+.2f}" if signed else f"{value:.2f}"


def fmt_accuracy(value: float | None) -> str:
    return NA if value is None else f"{fmt_points(value)}%"


def fmt_seconds(seconds: object) -> str:
    if not isinstance(seconds, (int, float)):
        return NA
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def parse_time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def fmt_time(value: object) -> str:
    moment = parse_time(value)
    if moment is None:
        return NA if value is None else str(value)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if moment.tzinfo else str(moment)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------- SVG charts


def nice_ticks(vmax: float, count: int = 4, integer: bool = True) -> list[float]:
    """0, step, ... up to a round number at or above vmax."""
    if vmax <= 0:
        return [0, 1]
    raw = vmax / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1, math.ceil(step))
    steps = math.ceil(vmax / step - 1e-9)
    return [i * step for i in range(steps + 1)]


def svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def text(x: float, y: float, content: str, anchor: str = "start", cls: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{esc(content)}</text>'


def rect(x: float, y: float, w: float, h: float, fill: str, tip: str, radius: float = 3) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" rx="{radius}" '
        f'fill="{fill}"><title>{esc(tip)}</title></rect>'
    )


def no_data(message: str = "no data") -> str:
    return f'<div class="empty">{esc(message)}</div>'


def y_grid(ticks: list[float], left: float, right: float, scale: Callable[[float], float],
           fmt: Callable[[float], str] = lambda t: f"{int(t):,}") -> str:
    """Horizontal grid lines at the ticks, labelled on the left."""
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        parts.append(text(left - 8, y + 4, fmt(tick), "end", "tick"))
    return "".join(parts)


def legend(names: Sequence[str], colors: dict[str, str], x: float, y: float) -> str:
    parts = []
    for name in names:
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" rx="2" fill="{colors[name]}"/>')
        parts.append(text(x + 15, y, name, cls="legend"))
        x += 30 + 7.5 * len(name)
    return "".join(parts)


def column_chart(categories: Sequence[str], series: dict[str, Sequence[int]], colors: dict[str, str],
                 label: str) -> str:
    """Vertical bars, one per category, stacked by series, with each total above its bar."""
    if not categories:
        return no_data()
    width, height, left, right, top, bottom = 640, 290, 56, 16, 40, 34
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    ticks = nice_ticks(max(totals))
    scale = lambda v: height - bottom - (height - bottom - top) * v / ticks[-1]  # noqa: E731
    slot = (width - left - right) / len(categories)
    bar = min(72, slot * 0.6)
    parts = [y_grid(ticks, left, width - right, scale)]
    for i, category in enumerate(categories):
        x, base = left + slot * i + (slot - bar) / 2, 0
        for name, values in series.items():
            low, high = scale(base), scale(base + values[i])
            if values[i]:
                parts.append(rect(x, high, bar, low - high, colors[name], f"{category} · {name}: {values[i]:,}", 2))
            base += values[i]
        parts.append(text(x + bar / 2, scale(totals[i]) - 7, f"{totals[i]:,}", "middle", "value"))
        parts.append(text(x + bar / 2, height - bottom + 20, clip(category, 16), "middle", "cat"))
    if len(series) > 1:
        parts.append(legend(list(series), colors, left, 18))
    return svg(width, height, "".join(parts), label)


def hbar_chart(items: Sequence[tuple[str, float]], label: str, color: str,
               fmt: Callable[[float], str] = fmt_int) -> str:
    """Horizontal bars, one row per (label, value), value printed at the bar's end."""
    if not items:
        return no_data()
    width, row, left, right, top = 640, 30, 190, 90, 8
    height = top * 2 + row * len(items)
    peak = max(value for _, value in items) or 1
    span = width - left - right
    parts = []
    for i, (name, value) in enumerate(items):
        y = top + row * i
        length = span * value / peak
        parts.append(text(left - 10, y + row / 2 + 4, clip(name, 26), "end", "cat"))
        parts.append(f'<rect x="{left}" y="{y + 6}" width="{span}" height="{row - 12}" rx="4" class="track"/>')
        parts.append(rect(left, y + 6, max(length, 2 if value else 0), row - 12, color, f"{name}: {fmt(value)}", 4))
        parts.append(text(left + max(length, 0) + 8, y + row / 2 + 4, fmt(value), cls="value"))
    return svg(width, height, "".join(parts), label)


def histogram(counts: Sequence[int], edges: Sequence[str], tips: Sequence[str], label: str, color: str,
              tick_every: int = 1) -> str:
    """Adjacent bars over bins; edges are the len(counts) + 1 boundary labels under the x axis."""
    if not counts or not any(counts):
        return no_data()
    width, height, left, right, top, bottom = 640, 270, 56, 20, 24, 42
    ticks = nice_ticks(max(counts))
    scale = lambda v: height - bottom - (height - bottom - top) * v / ticks[-1]  # noqa: E731
    slot = (width - left - right) / len(counts)
    parts = [y_grid(ticks, left, width - right, scale)]
    for i, count in enumerate(counts):
        x = left + slot * i
        if count:
            tip = f"{tips[i]}: {count:,}"
            parts.append(rect(x + 1, scale(count), slot - 2, scale(0) - scale(count), color, tip, 2))
            if slot >= 22:
                parts.append(text(x + slot / 2, scale(count) - 5, f"{count:,}", "middle", "value small"))
    axis = height - bottom
    for i, edge in enumerate(edges):
        if i % tick_every == 0 or i == len(edges) - 1:
            x = left + slot * i
            parts.append(f'<line x1="{x:.1f}" y1="{axis}" x2="{x:.1f}" y2="{axis + 5}" class="axis"/>')
            parts.append(text(x, axis + 18, edge, "middle", "tick"))
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{width - right}" y2="{axis}" class="axis"/>')
    return svg(width, height, "".join(parts), label)


def trend_ticks(peak: float, percent: bool) -> tuple[list[float], Callable[[float], str]]:
    """Y ticks for a trend, and their labels: counts, or shares printed as percentages."""
    if not percent:
        return nice_ticks(peak), lambda t: f"{int(t):,}"
    ticks = nice_ticks(peak * 100, integer=False)
    digits = 0 if ticks[1] >= 1 else 1 if ticks[1] >= 0.1 else 2
    return [t / 100 for t in ticks], lambda t: fmt_pct(t, digits)


def range_ticks(low: float, high: float, suffix: str = "", min_span: float = 1.0
                ) -> tuple[list[float], Callable[[float], str]]:
    """Y ticks that hug [low, high] instead of starting at 0, spanning at least min_span: for values whose
    differences matter more than their size (accuracy in points). Labels get suffix."""
    step = nice_ticks(max(high - low, min_span), integer=False)[1]
    start = math.floor(low / step + 1e-9) * step
    steps = max(1, math.ceil((high - start) / step - 1e-9))
    digits = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9), 4)
    return [round(start + i * step, 9) for i in range(steps + 1)], lambda t: f"{t:.{digits}f}{suffix}"


def trend_scale(ticks: list[float], height: float, top: float, bottom: float) -> Callable[[float], float]:
    """The y of a value, ticks[0] on the x axis and ticks[-1] at the top."""
    span = (ticks[-1] - ticks[0]) or 1
    return lambda v: height - bottom - (height - bottom - top) * (v - ticks[0]) / span


def trend_xs(count: int, width: float, left: float, right: float) -> list[float]:
    """The x of each run, oldest left, in the middle of equal slots."""
    slot = (width - left - right) / count
    return [left + slot * (i + 0.5) for i in range(count)]


def run_label(labels: Sequence[str], i: int, x: float, y: float) -> str:
    """Run i's label under the x axis: about five of them are labelled, the newest always."""
    every = max(1, math.ceil(len(labels) / 5))
    return text(x, y, labels[i], "middle", "tick") if i % every == 0 or i == len(labels) - 1 else ""


def trend_dot(x: float, y: float, color: str, tip: str) -> str:
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#fff" stroke="{color}" stroke-width="2.5">'
            f"<title>{esc(tip)}</title></circle>")


def trend_lines(points: Sequence[tuple[float, float] | None], base: float, color: str) -> str:
    """A line with a faint area under it through each run of consecutive points (None breaks it)."""
    parts, segment = [], []
    for point in [*points, None]:
        if point is not None:
            segment.append(f"{point[0]:.1f},{point[1]:.1f}")
            continue
        if len(segment) > 1:
            first, last = segment[0].split(",")[0], segment[-1].split(",")[0]
            parts.append(f'<polygon points="{first},{base:.1f} {" ".join(segment)} {last},{base:.1f}" '
                         f'fill="{color}" fill-opacity="0.08"/>')
            parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{color}" stroke-width="2.5" '
                         'stroke-linejoin="round" stroke-linecap="round"/>')
        segment = []
    return "".join(parts)


def line_chart(labels: Sequence[str], values: Sequence[float | None], label: str, color: str,
               fmt: Callable[[float], str] = fmt_int, percent: bool = False) -> str:
    """A trend over runs (oldest left): points joined where consecutive runs both have a value."""
    if not any(v is not None for v in values):
        return no_data()
    width, height, left, right, top, bottom = 440, 240, 54, 16, 28, 36
    ticks, tick_fmt = trend_ticks(max(v for v in values if v is not None), percent)
    scale = trend_scale(ticks, height, top, bottom)
    xs = trend_xs(len(labels), width, left, right)
    points = [(x, scale(v)) if v is not None else None for x, v in zip(xs, values)]
    parts = [y_grid(ticks, left, width - right, scale, tick_fmt), trend_lines(points, scale(0), color)]
    for i, (x, value) in enumerate(zip(xs, values)):
        parts.append(run_label(labels, i, x, height - bottom + 20))
        if value is not None:
            parts.append(trend_dot(x, scale(value), color, f"{labels[i]}: {fmt(value)}"))
            if len(labels) <= 8:
                parts.append(text(x, scale(value) - 11, fmt(value), "middle", "value small"))
    return svg(width, height, "".join(parts), label)


def multi_line_chart(labels: Sequence[str], series: dict[str, Sequence[float | None]], label: str,
                     fmt: Callable[[float], str] = fmt_int,
                     ticks_for: Callable[[list[float]], tuple[list[float], Callable[[float], str]]] = (
                         lambda values: trend_ticks(max(values), False))) -> str:
    """Several trends over runs (oldest left), one colour per series and a legend; None is a gap.

    ticks_for gets every value shown and returns the y ticks and their labels (trend_ticks, range_ticks).
    """
    values = [v for found in series.values() for v in found if v is not None]
    if not values:
        return no_data()
    width, height, left, right, top, bottom = 440, 240, 54, 16, 36, 36
    ticks, tick_fmt = ticks_for(values)
    scale = trend_scale(ticks, height, top, bottom)
    xs = trend_xs(len(labels), width, left, right)
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    parts = [y_grid(ticks, left, width - right, scale, tick_fmt)]
    for name, found in series.items():
        points = [(x, scale(v)) if v is not None else None for x, v in zip(xs, found)]
        parts.append(trend_lines(points, scale(ticks[0]), colors[name]))
    parts += [run_label(labels, i, x, height - bottom + 20) for i, x in enumerate(xs)]
    for name, found in series.items():
        parts += [trend_dot(x, scale(v), colors[name], f"{name} · {labels[i]}: {fmt(v)}")
                  for i, (x, v) in enumerate(zip(xs, found)) if v is not None]
    parts.append(legend(list(series), colors, left, 18))
    return svg(width, height, "".join(parts), label)


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


# ---------------------------------------------------------------------------------------------- panels


def card(title: str, body: str, subtitle: str = "", wide: bool = False) -> str:
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    return f'<section class="card{" wide" if wide else ""}"><h2>{esc(title)}</h2>{sub}{body}</section>'


def badge(passed: object, labels: tuple[str, str, str] = ("Validation passed", "Validation failed", "Validation n/a")
          ) -> str:
    """A green, red or grey badge for True, False or anything else; labels in that order."""
    good, bad, unknown = labels
    if passed is True:
        return f'<span class="badge pass">{esc(good)}</span>'
    if passed is False:
        return f'<span class="badge fail">{esc(bad)}</span>'
    return f'<span class="badge na">{esc(unknown)}</span>'


def header(manifest: dict, run_dir: str | os.PathLike) -> str:
    meta = [
        ("Code version", manifest.get("code_version") or NA),
        ("Started", fmt_time(manifest.get("started_at"))),
        ("Finished", fmt_time(manifest.get("finished_at"))),
        ("Duration", fmt_seconds(duration_s(manifest))),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    run_id = manifest.get("run_id") or Path(run_dir).name
    return (
        '<header class="top"><div class="title"><p class="eyebrow">Rephrase miner · run dashboard</p>'
        f'<h1>{esc(run_id)}</h1><dl class="meta">{items}</dl></div>'
        f'<div class="status">{badge(stage(manifest, "validate").get("passed"))}</div></header>'
    )


def alerts(manifest: dict) -> str:
    validate = stage(manifest, "validate")
    rows = [("fail", f"Critical: {item}") for item in validate.get("failed_critical") or []]
    rows += [("warn", f"Warning: {item}") for item in validate.get("warnings") or []]
    if not rows:
        return ""
    return '<ul class="alerts">' + "".join(f'<li class="{cls}">{esc(line)}</li>' for cls, line in rows) + "</ul>"


def kpis(manifest: dict, summary: dict) -> str:
    ingest = stage(manifest, "ingest")
    results = expectation_results(manifest)
    passed = f"{sum(1 for r in results if r.get('success') is True)} / {len(results)}" if results else NA
    share = f'{fmt_pct(summary["quarantine_share"], 2)} of rows' if summary["quarantine_share"] is not None else ""
    tiles = [
        ("Log rows in", fmt_int(ingest.get("rows_in")), ""),
        ("Turns", fmt_int(ingest.get("turns")), ""),
        ("Quarantined", fmt_int(ingest.get("quarantined")), share),
        ("Duplicates", fmt_int(ingest.get("duplicates")), ""),
        ("Pairs", fmt_int(summary["pairs"]), ""),
        ("Rewrites", fmt_int(summary["rewrites"]), ""),
        ("Training records", fmt_int(summary["training"]), ""),
        ("Expectations", passed, fmt_pct(summary["pass_rate"], 0) if summary["pass_rate"] is not None else ""),
    ]
    cells = "".join(
        f'<div class="kpi"><div class="k">{esc(k)}</div><div class="v{" na" if v == NA else ""}">{esc(v)}</div>'
        f'<div class="n">{esc(n)}</div></div>'
        for k, v, n in tiles
    )
    return f'<div class="kpis">{cells}</div>'


def kind_order(kinds: Iterable[str]) -> list[str]:
    known = [k for k in KIND_COLORS if k in kinds]
    return known + sorted(set(kinds) - set(known))


def panel_pairs(pairs: dict[str, list]) -> str:
    counts = Counter(zip(map(str, pairs["locale"]), map(str, pairs["kind"])))
    locales = sorted({locale for locale, _ in counts})
    kinds = kind_order({kind for _, kind in counts})
    colors = {k: KIND_COLORS.get(k, PALETTE[(i + 2) % len(PALETTE)]) for i, k in enumerate(kinds)}
    series = {kind: [counts[(locale, kind)] for locale in locales] for kind in kinds}
    chart = column_chart(locales, series, colors, "Pairs per locale, by kind")
    return card("Pairs per locale", chart, f"{len(pairs['locale']):,} pairs, stacked by kind")


def panel_training(run_dir: str | os.PathLike, manifest: dict) -> str:
    counts = training_by_locale(run_dir, manifest)
    locales = sorted(counts)
    colors = {"records": PALETTE[5]}
    series = {"records": [counts[locale] for locale in locales]}
    chart = column_chart(locales, series, colors, "Training records per locale")
    subtitle = f"{sum(counts.values()):,} MASSIVE-format records" if counts else "no training records"
    return card("Training records per locale", chart, subtitle)


def panel_weights(pairs: dict[str, list]) -> str:
    counts = weight_bins(pairs["weight"])
    edges = [f"{i / 20:.2f}".rstrip("0").rstrip(".") if i % 20 else str(i // 20) for i in range(21)]
    tips = [f"weight {i / 20:.2f}–{(i + 1) / 20:.2f}" for i in range(20)]
    chart = histogram(counts, edges, tips, "Pair weight distribution", PALETTE[0], tick_every=2)
    return card("Pair weight distribution", chart, "weight in [0, 1], bins of 0.05")


def panel_support(pairs: dict[str, list]) -> str:
    counts, edges = support_bins(pairs["support_users"])
    tips = [f"{lo} users" if hi - lo == 1 else f"{lo}–{hi - 1} users" for lo, hi in zip(edges, edges[1:])]
    chart = histogram(counts, [str(e) for e in edges], tips, "Support users distribution", PALETTE[1])
    return card("Support users per pair", chart, "distinct users behind each pair; bins grow logarithmically")


def chip(intent: object) -> str:
    return f'<span class="chip">{esc(intent)}</span>' if intent is not None else '<span class="muted">—</span>'


def rewrite_table(rows: list[dict]) -> str:
    if not rows:
        return no_data("no new rewrites")
    body = []
    for rank, row in enumerate(rows, 1):
        weight = row["weight"]
        bar = (f'<span class="wbar"><span style="width:{100 * max(0.0, min(1.0, weight)):.0f}%"></span></span>'
               f"{weight:.2f}" if isinstance(weight, float) else NA)
        intent = row["target_intent"]
        body.append(
            f'<tr><td class="rank">{rank}</td><td class="utt">{esc(row["source"])}</td>'
            f'<td class="arrow">→</td><td class="utt tgt">{esc(row["target"])}</td>'
            f'<td>{chip(intent)}</td>'
            f'<td class="num">{fmt_int(row["support_users"])}</td><td class="num w">{bar}</td></tr>'
        )
    head = ('<tr><th>#</th><th>Source (what users said)</th><th></th><th>Rewrite target</th><th>Intent</th>'
            '<th class="num">Users</th><th class="num">Weight</th></tr>')
    return f'<table class="rw"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def panel_rewrites(rewrites: dict[str, list], previous: dict[str, list] | None, locales: Iterable[str],
                   previous_id: str | None) -> str:
    top = new_rewrites(rewrites, previous)
    blocks = []
    for locale in sorted(set(locales) | set(top)):
        found = top.get(locale, [])
        blocks.append(f'<div class="locale"><h3>{esc(locale)} <span class="count">{len(found)} shown</span></h3>'
                      f"{rewrite_table(found)}</div>")
    since = f"not in the previous run {previous_id}" if previous is not None else "all rewrites of this run"
    subtitle = f"Top {TOP_REWRITES} per locale by support users, then weight; new = (locale, source) {since}"
    return card("Top new rewrites", f'<div class="locales">{"".join(blocks)}</div>' if blocks else no_data(), subtitle,
                wide=True)


def regressed_chip(found: object) -> str:
    """A regressed intent as a red chip, its losses and gains on the test set in the chip and its tooltip."""
    if not isinstance(found, dict):
        return chip(found)
    lost, gained, p_value = found.get("lost"), found.get("gained"), number(found.get("p_value"))
    counted = all(isinstance(v, int) and not isinstance(v, bool) for v in (lost, gained))
    name = str(found.get("intent") if found.get("intent") is not None else NA)
    shown = f"{name} −{lost}/+{gained}" if counted else name
    tip = (f"{name}: lost {fmt_int(lost)}, gained {fmt_int(gained)} of {fmt_int(found.get('test_utterances'))} "
           f"test utterances; p = {NA if p_value is None else f'{p_value:.3g}'}")
    return f'<span class="chip bad" title="{esc(tip)}">{esc(shown)}</span>'


def regressed_intents(found: object) -> str:
    if not isinstance(found, list):
        return f'<span class="muted">{NA}</span>'
    return " ".join(regressed_chip(item) for item in found) or '<span class="muted">none</span>'


def verdict(regression: object) -> str:
    """The loop's verdict on the retrained model: regression true is red, false green."""
    return badge(not regression if isinstance(regression, bool) else None, ("no regression", "regression", NA))


def nlu_row(locale: str, entry: dict) -> str:
    accuracy = nlu_accuracy(entry)
    before, after = number(accuracy.get("before")), number(accuracy.get("after"))
    low, high, level = number(accuracy.get("low")), number(accuracy.get("high")), number(accuracy.get("level"))
    ci = f" [{fmt_points(low, True)}, {fmt_points(high, True)}]" if low is not None and high is not None else ""
    level_tip = f"{fmt_pct(level, 0)} " if level is not None else ""
    baseline = (f"day 0: {fmt_accuracy(number(entry.get('baseline_accuracy')))} · "
                f"{fmt_int(entry.get('test_utterances'))} test utterances")
    failing = entry.get("failing_phrasings")
    fixed = f"{fmt_int(entry.get('fixed'))} / {fmt_int(failing)} fixed" if failing != 0 else "no failing phrasings"
    if number(entry.get("learnable_phrasings")):  # those whose rephrase worked: the ones the logs can teach
        fixed += f"; learnable {fmt_int(entry.get('learnable_fixed'))} / {fmt_int(entry.get('learnable_phrasings'))}"
    return (
        f'<tr><td class="loc">{esc(locale)}</td>'
        f'<td class="num"><b>{fmt_pct(fix_rate(entry), 0)}</b><span class="note">{esc(fixed)}</span></td>'
        f'<td class="num">{esc(fmt_accuracy(before))} → {esc(fmt_accuracy(after))}'
        f'<span class="note">{esc(baseline)}</span></td>'
        f'<td class="num" title="{esc(level_tip)}paired-bootstrap confidence interval">'
        f"{esc(fmt_points(accuracy_delta(accuracy), True) + ci)}</td>"
        f'<td class="num">{fmt_int(entry.get("records_added"))}</td>'
        f"<td>{regressed_intents(entry.get('regressed_intents'))}</td><td>{verdict(entry.get('regression'))}</td></tr>"
    )


def nlu_subtitle(nlu: dict) -> str:
    tolerance = number(nlu.get("tolerance_points"))
    parts = [
        f"day {nlu['day']}" if nlu.get("day") is not None else "",
        str(nlu.get("model") or ""),
        "fix rate: of the misread phrasings users rephrased, the share the retrained model now reads correctly "
        "(learnable: those whose rephrase worked for at least 3 users)",
        "held-out accuracy before → after this run's retraining, Δ in points with its confidence interval",
        f"regression: CI low below −{tolerance:g} points or an intent lost significantly" if tolerance is not None
        else "",
    ]
    return " · ".join(part for part in parts if part)


def panel_nlu(run_dir: str | os.PathLike) -> str:
    """The NLU model retrained in the loop, per locale, from RUN/quality/nlu.json; "" when the run has none."""
    title = "NLU model in the loop"
    if not (Path(run_dir) / NLU).exists():
        return ""
    nlu = load_nlu(run_dir)
    if nlu is None:
        subtitle = f"{NLU.as_posix()} could not be read as a JSON object"
        return card(title, no_data("unreadable nlu.json"), subtitle, wide=True)
    locales = nlu_locales(nlu)
    if not locales:
        return card(title, no_data("no locales in nlu.json"), nlu_subtitle(nlu), wide=True)
    rows = "".join(nlu_row(name, locales[name]) for name in sorted(locales))
    head = ('<tr><th>Locale</th><th class="num">Fix rate</th><th class="num">Accuracy before → after</th>'
            '<th class="num">Δ points [CI]</th><th class="num">Records added</th><th>Regressed intents</th>'
            "<th>Verdict</th></tr>")
    return card(title, f'<table class="nlu"><thead>{head}</thead><tbody>{rows}</tbody></table>', nlu_subtitle(nlu),
                wide=True)


def panel_quarantine(manifest: dict) -> str:
    ingest = stage(manifest, "ingest")
    reasons = ingest.get("quarantined_by_reason")
    if not isinstance(reasons, dict):
        return card("Quarantine reasons", no_data(NA), "no ingest stats in this run")
    items = sorted(counts_of(reasons).items(), key=lambda kv: (-kv[1], kv[0]))
    chart = hbar_chart(items, "Quarantined rows by reason", PALETTE[3])
    subtitle = f"{fmt_int(ingest.get('quarantined'))} rows quarantined of {fmt_int(ingest.get('rows_in'))}"
    return card("Quarantine reasons", chart, subtitle)


def stage_order(names: Iterable[str]) -> list[str]:
    names = list(names)
    return [n for n in STAGE_ORDER if n in names] + sorted(n for n in names if n not in STAGE_ORDER)


def panel_timings(manifest: dict) -> str:
    stages = manifest.get("stages") if isinstance(manifest.get("stages"), dict) else {}
    items = [(name, float(stage(manifest, name)["elapsed_s"])) for name in stage_order(stages)
             if isinstance(stage(manifest, name).get("elapsed_s"), (int, float))]
    chart = hbar_chart(items, "Stage timings", PALETTE[4], fmt_seconds)
    subtitle = f"elapsed seconds per stage, {fmt_seconds(sum(v for _, v in items))} in all" if items else "no timings"
    return card("Stage timings", chart, subtitle)


def dataset_color(results: list[dict]) -> str:
    failed = [r for r in results if r.get("success") is not True]
    if any(r.get("severity") == "critical" for r in failed):
        return FAIL
    return WARN if failed else PASS


def donut(rate: float, color: str, label: str) -> str:
    """A ring filled to rate (0..1), the percentage in its middle."""
    radius, width = 44, 12
    circumference = 2 * math.pi * radius
    arc = (f'<circle cx="60" cy="60" r="{radius}" fill="none" stroke="{color}" stroke-width="{width}" '
           f'stroke-dasharray="{circumference * rate:.2f} {circumference:.2f}" stroke-linecap="butt" '
           f'transform="rotate(-90 60 60)"><title>{esc(label)}</title></circle>') if rate > 0 else ""
    body = (f'<circle cx="60" cy="60" r="{radius}" fill="none" stroke="#f1f5f9" stroke-width="{width}"/>{arc}'
            + text(60, 66, fmt_pct(rate, 0), "middle", "donut"))
    return f'<svg class="donut" viewBox="0 0 120 120" role="img" aria-label="{esc(label)}">{body}</svg>'


def expectation_item(result: dict) -> str:
    ok = result.get("success") is True
    severity = str(result.get("severity") or NA)
    unexpected = result.get("unexpected_count")
    counted = isinstance(unexpected, int) and unexpected > 0
    extra = f'<span class="unexp">{fmt_int(unexpected)} unexpected</span>' if counted else ""
    return (
        f'<li><span class="pill {"ok" if ok else "bad"}">{"pass" if ok else "fail"}</span>'
        f'<span class="desc">{esc(result.get("description") or result.get("expectation") or NA)}'
        f'<span class="mono muted" title="{esc(result.get("expectation", ""))}">{esc(result.get("expectation", ""))}'
        f"</span>{extra}</span>"
        f'<span class="pill {"crit" if severity == "critical" else "warnsev"}">{esc(severity)}</span></li>'
    )


def dataset_block(name: str, results: list[dict]) -> str:
    passed = sum(1 for r in results if r.get("success") is True)
    rate = passed / len(results)
    ring = donut(rate, dataset_color(results), f"{name}: {passed} of {len(results)} expectations passed")
    items = "".join(expectation_item(r) for r in results)
    return (f'<div class="ds"><div class="dshead">{ring}<div><h3>{esc(name)}</h3>'
            f'<div class="muted">{passed} of {len(results)} passed</div></div></div>'
            f'<ul class="exps">{items}</ul></div>')


def panel_validation(manifest: dict) -> str:
    results = expectation_results(manifest)
    if not results:
        return card("Expectations", no_data(NA), "no validate stats in this run", wide=True)
    by_dataset: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_dataset[str(r.get("dataset", NA))].append(r)
    blocks = "".join(dataset_block(name, found) for name, found in by_dataset.items())
    subtitle = f"{len(results)} expectations over {len(by_dataset)} datasets; pass rate per dataset"
    return card("Expectations", f'<div class="datasets">{blocks}</div><p class="legendnote">{legend_html()}</p>',
                subtitle, wide=True)


def legend_html() -> str:
    items = (("all passed", PASS), ("a warning failed", WARN), ("a critical expectation failed", FAIL))
    return "".join(f'<span class="sw" style="background:{c}"></span>{esc(t)} ' for t, c in items)


# ---------------------------------------------------------------------------------------------- pages


CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:#1e293b;font:14px/1.45 Inter,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Liberation Sans","DejaVu Sans",sans-serif}
main{max-width:1360px;margin:0 auto;padding:0 24px 40px}
.top{background:linear-gradient(120deg,#0f172a 0%,#1e1b4b 55%,#312e81 100%);color:#fff;padding:28px 40px 64px;
display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
.top .title{min-width:0}
.eyebrow{margin:0 0 4px;text-transform:uppercase;letter-spacing:.12em;font-size:12px;color:#a5b4fc;font-weight:600}
h1{margin:0 0 14px;font-size:28px;font-weight:700;letter-spacing:-.01em;word-break:break-all}
.meta{display:flex;flex-wrap:wrap;gap:8px 36px;margin:0}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#94a3b8}
.meta dd{margin:2px 0 0;font-size:14px;color:#e2e8f0;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:9px 18px;border-radius:999px;font-weight:700;font-size:13px;letter-spacing:.04em;
text-transform:uppercase;white-space:nowrap}
.badge.pass{background:#dcfce7;color:#166534;box-shadow:0 0 0 3px rgba(34,197,94,.35)}
.badge.fail{background:#fee2e2;color:#991b1b;box-shadow:0 0 0 3px rgba(239,68,68,.45)}
.badge.na{background:#e2e8f0;color:#475569}
.kpis{display:grid;grid-template-columns:repeat(8,1fr);gap:12px;margin:-40px 0 20px}
.kpi{background:#fff;border-radius:12px;padding:14px 14px;
box-shadow:0 1px 3px rgba(15,23,42,.08),0 4px 14px rgba(15,23,42,.05)}
.kpi .k{font-size:10.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;text-transform:uppercase;
letter-spacing:.04em;color:#64748b;font-weight:600}
.kpi .v{font-size:24px;font-weight:700;margin-top:4px;font-variant-numeric:tabular-nums;color:#0f172a}
.kpi .v.na{color:#94a3b8}
.kpi .n{font-size:12px;color:#64748b;min-height:17px}
.alerts{list-style:none;margin:0 0 20px;padding:0}
.alerts li{padding:10px 14px;border-radius:8px;margin-bottom:8px;font-weight:600}
.alerts li.fail{background:#fee2e2;color:#991b1b}
.alerts li.warn{background:#fef3c7;color:#92400e}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px}
.card{background:#fff;border-radius:14px;padding:20px 22px 16px;min-width:0;
box-shadow:0 1px 3px rgba(15,23,42,.08),0 4px 14px rgba(15,23,42,.05)}
.card.wide{grid-column:1/-1}
.lift{margin-top:-40px}
.trends{grid-template-columns:repeat(3,minmax(0,1fr));margin-top:20px}
h2{margin:0;font-size:16px;font-weight:700;color:#0f172a}
.sub{margin:2px 0 12px;color:#64748b;font-size:12.5px;overflow-wrap:anywhere}
h3{margin:0 0 8px;font-size:14px;color:#312e81}
h3 .count{font-weight:500;color:#94a3b8;font-size:12px;margin-left:6px}
svg.chart{width:100%;height:auto;display:block}
svg text{font-family:inherit;fill:#334155}
svg .tick{font-size:11px;fill:#64748b}
svg .cat{font-size:12.5px;fill:#1e293b;font-weight:600}
svg .value{font-size:12px;fill:#0f172a;font-weight:700}
svg .small{font-size:10.5px;font-weight:600;fill:#475569}
svg .legend{font-size:12px;fill:#334155}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .axis{stroke:#94a3b8;stroke-width:1}
svg .track{fill:#f1f5f9}
.empty{padding:36px 0;text-align:center;color:#94a3b8;font-style:italic;background:#f8fafc;border-radius:10px}
.locales{display:grid;grid-template-columns:1fr;gap:22px}
table{width:100%;border-collapse:collapse;font-size:12.5px}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#64748b;font-weight:600;
padding:6px 8px;border-bottom:1px solid #e2e8f0}
td{padding:6px 8px;border-bottom:1px solid #f1f5f9;vertical-align:top}
tbody tr:nth-child(even) td{background:#fafbfd}
td.utt{overflow-wrap:anywhere;color:#0f172a;width:36%}
.chip{display:inline-block;padding:1px 8px;border-radius:6px;background:#f1f5f9;color:#475569;font-size:11.5px;
white-space:nowrap}
td.tgt{color:#3730a3;font-weight:600}
td.arrow{color:#a5b4fc;padding:6px 0}
td.rank{color:#94a3b8;width:22px}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.w{width:92px}
.wbar{display:inline-block;width:38px;height:6px;background:#e0e7ff;border-radius:3px;margin-right:6px;
vertical-align:middle;overflow:hidden}
.wbar span{display:block;height:100%;background:#4f46e5;border-radius:3px}
.muted{color:#94a3b8}
.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11px}
.pill{display:inline-block;padding:2px 9px;border-radius:999px;font-size:11px;font-weight:700;
text-transform:uppercase;letter-spacing:.04em}
.pill.ok{background:#dcfce7;color:#166534}.pill.bad{background:#fee2e2;color:#991b1b}
.pill.crit{background:#ede9fe;color:#5b21b6}.pill.warnsev{background:#fef3c7;color:#92400e}
.datasets{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:18px}
.ds{border:1px solid #e2e8f0;border-radius:12px;padding:14px 16px}
.dshead{display:flex;align-items:center;gap:14px;margin-bottom:8px}
.dshead h3{font-size:16px;margin:0;color:#0f172a}
svg.donut{width:76px;height:76px;flex:none}
svg .donut{font-size:22px;font-weight:700;fill:#0f172a}
.exps{list-style:none;margin:0;padding:0}
.exps li{display:flex;gap:8px;align-items:flex-start;padding:7px 0;border-top:1px solid #f1f5f9;font-size:12.5px}
.exps .desc{flex:1;min-width:0;overflow-wrap:anywhere}
.exps .desc .mono{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:10.5px}
.unexp{display:block;color:#b91c1c;font-weight:600;font-size:11.5px}
.legendnote{font-size:12px;color:#64748b;margin:10px 0 0}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 10px;vertical-align:-1px}
.runs a{color:#4338ca;font-weight:600;text-decoration:none}
.runs td{vertical-align:middle}
.runs .badge,.nlu .badge{padding:3px 10px;font-size:10.5px;box-shadow:none}
.nlu td{vertical-align:middle}
td.loc{font-weight:600;color:#0f172a;overflow-wrap:anywhere}
.note{display:block;color:#94a3b8;font-size:11px}
.chip.bad{background:#fee2e2;color:#991b1b;margin:1px 0}
footer{color:#94a3b8;font-size:12px;text-align:center;margin-top:28px}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def page(title: str, body: str) -> str:
    """A complete HTML document: inline CSS, no script, and a policy that forbids scripts anyway."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def render_run(run_dir: str, previous_dir: str | None = None) -> str:
    """The HTML dashboard of one run; with previous_dir, "new" rewrites are those not in that run's rewrites."""
    manifest = load_manifest(run_dir)
    summary = run_summary(run_dir)
    pairs = read_columns(Path(run_dir) / "pairs", ("locale", "kind", "weight", "support_users"))
    rewrite_columns = ("locale", "source", "target", "weight", "target_intent", "support_users")
    rewrites = read_columns(Path(run_dir) / "rewrites", rewrite_columns)
    previous = read_columns(Path(previous_dir) / "rewrites", ("locale", "source")) if previous_dir else None
    previous_id = (load_manifest(previous_dir).get("run_id") or Path(previous_dir).name) if previous_dir else None
    emit = stage(manifest, "emit")
    locales = ({str(x) for x in pairs["locale"]} | set(training_by_locale(run_dir, manifest))
               | set(emit.get("rewrites_by_locale") or {}))
    panels = [
        panel_pairs(pairs),
        panel_training(run_dir, manifest),
        panel_weights(pairs),
        panel_support(pairs),
        panel_rewrites(rewrites, previous, locales, previous_id),
        panel_nlu(run_dir),
        panel_quarantine(manifest),
        panel_timings(manifest),
        panel_validation(manifest),
    ]
    body = (
        header(manifest, run_dir)
        + f'<main>{kpis(manifest, summary)}{alerts(manifest)}<div class="grid">{"".join(panels)}</div>'
        + f"<footer>Generated by reporting.report from {esc(Path(run_dir).name)}/manifest.json and its datasets</footer>"
        + "</main>"
    )
    return page(f"Run {summary['run_id']} · rephrase miner", body)


def chronological(summaries: list[dict]) -> list[dict]:
    """Oldest first: by start time, then run id (runs without a start time first)."""
    return sorted(summaries, key=lambda s: (str(s["started_at"] or ""), s["run_id"]))


def short_label(summary: dict) -> str:
    moment = parse_time(summary["started_at"])
    return moment.strftime("%m-%d %H:%M") if moment else clip(summary["run_id"], 12)


def dashboard_href(run_dir: str, link_base: str | None) -> str:
    target = Path(run_dir) / DASHBOARD
    path = os.path.relpath(target, link_base) if link_base is not None else str(target)
    return urllib.parse.quote(Path(path).as_posix())


def runs_table(summaries: list[dict], link_base: str | None) -> str:
    rows = []
    for s in reversed(chronological(summaries)):
        rows.append(
            f'<tr><td><a href="{esc(dashboard_href(s["run_dir"], link_base))}">{esc(s["run_id"])}</a></td>'
            f'<td>{esc(fmt_time(s["started_at"]))}</td><td class="mono">{esc(s["code_version"] or NA)}</td>'
            f'<td class="num">{fmt_int(s["pairs"])}</td><td class="num">{fmt_int(s["rewrites"])}</td>'
            f'<td class="num">{fmt_int(s["training"])}</td><td class="num">{fmt_pct(s["quarantine_share"], 2)}</td>'
            f'<td class="num">{fmt_pct(s["pass_rate"], 0)}</td><td>{badge(s["passed"])}</td></tr>'
        )
    head = ("<tr><th>Run</th><th>Started</th><th>Code version</th><th class='num'>Pairs</th>"
            "<th class='num'>Rewrites</th>"
            "<th class='num'>Training records</th><th class='num'>Quarantine share</th>"
            "<th class='num'>Expectations passed</th><th>Validation</th></tr>")
    return f'<table class="runs"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


TRENDS = (  # title, run_summary key, colour, formatter, whether the value is a share
    ("Pairs", "pairs", PALETTE[0], fmt_int, False),
    ("Training records", "training", PALETTE[5], fmt_int, False),
    ("Rewrites", "rewrites", PALETTE[1], fmt_int, False),
    ("Quarantine share", "quarantine_share", PALETTE[3], lambda v: fmt_pct(v, 2), True),
    ("Expectation pass rate", "pass_rate", PASS, lambda v: fmt_pct(v, 0), True),
    ("Run duration (s)", "duration_s", PALETTE[4], fmt_seconds, False),
)


NLU_TRENDS = (  # title, subtitle, one locale's value in an nlu.json, formatter, y ticks for the values shown
    ("NLU fix rate", "failing phrasings the retrained model reads correctly, per locale", fix_rate,
     lambda v: fmt_pct(v, 0), lambda values: trend_ticks(max(values), True)),
    ("Held-out accuracy", "after the run's retraining, per locale", lambda e: number(nlu_accuracy(e).get("after")),
     fmt_accuracy, lambda values: range_ticks(min(values), max(values), "%")),
)


def nlu_trend_panels(ordered: list[dict], labels: list[str]) -> list[str]:
    """One line per locale over the runs; runs without nlu.json (or without that locale) are gaps."""
    per_run = [nlu_locales(s["nlu"]) for s in ordered]
    names = sorted({name for found in per_run for name in found})
    panels = []
    for title, subtitle, value, fmt, ticks_for in NLU_TRENDS:
        series = {name: [value(found[name]) if name in found else None for found in per_run] for name in names}
        chart = multi_line_chart(labels, series, f"{title} over runs", fmt, ticks_for)
        panels.append(card(title, chart, f"{subtitle}, oldest left"))
    return panels


def trend_panels(summaries: list[dict]) -> list[str]:
    ordered = chronological(summaries)
    labels = [short_label(s) for s in ordered]
    panels = []
    for title, key, color, fmt, percent in TRENDS:
        chart = line_chart(labels, [s[key] for s in ordered], f"{title} over runs", color, fmt, percent)
        panels.append(card(title, chart, "per run, oldest left"))
    if any(s["nlu"] is not None for s in ordered):
        panels += nlu_trend_panels(ordered, labels)
    return panels


def render_index(run_dirs: list[str], link_base: str | None = None) -> str:
    """One row per run, newest first, linking to RUN/quality/dashboard.html, and trends over runs.

    Links are relative to link_base (the folder the index is written to); without it, RUN/quality/dashboard.html
    as RUN was given.
    """
    summaries = [run_summary(run_dir) for run_dir in run_dirs]
    passed = sum(1 for s in summaries if s["passed"] is True)
    top = (
        '<header class="top"><div class="title"><p class="eyebrow">Rephrase miner · runs</p>'
        f'<h1>{len(summaries)} run{"" if len(summaries) == 1 else "s"}</h1><dl class="meta">'
        f"<div><dt>Validation passed</dt><dd>{passed} of {len(summaries)}</dd></div>"
        f'<div><dt>Newest</dt><dd>{esc(chronological(summaries)[-1]["run_id"] if summaries else NA)}</dd></div>'
        "</dl></div></header>"
    )
    rows = runs_table(summaries, link_base) if summaries else no_data("no runs")
    table = card("Runs", rows, "newest first", wide=True)
    trends = f'<div class="grid trends">{"".join(trend_panels(summaries))}</div>'
    body = f'{top}<main><div class="grid lift">{table}</div>{trends}</main>'
    return page("Rephrase miner runs", body)


def write_text(path: Path, content: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return str(path)


def write_dashboard(run_dir: str, previous_dir: str | None = None) -> str:
    """Writes RUN/quality/dashboard.html and returns its path."""
    return write_text(Path(run_dir) / DASHBOARD, render_run(run_dir, previous_dir))


def write_index(run_dirs: list[str], out_html: str) -> str:
    """Writes the index to out_html, links relative to its folder, and returns its path."""
    out = Path(out_html)
    return write_text(out, render_index(run_dirs, link_base=str(out.parent)))


def write_published_dashboards(root: str, published: dict, log=print) -> None:
    """After `pipeline.warehouse.publish`: the run's dashboard (new rewrites: those not in the run it replaced as
    the latest) and the index of all published days. Remote roots get none: the dashboards are local files."""
    if "://" in root:
        return
    from pipeline.warehouse import published_days, published_path

    log(f"[publish] dashboard: {write_dashboard(published['path'], published['replaced'])}")
    days = [published_path(root, day) for day in published_days(root)]
    log(f"[publish] index: {write_index(days, os.path.join(root, 'published', 'index.html'))}")


# ---------------------------------------------------------------------------------------------- CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reporting.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="run folder: writes RUN/quality/dashboard.html")
    parser.add_argument("--previous", help="the run before --run: its rewrites are not new")
    parser.add_argument("--index", help="index page to write, linking to the dashboards of --runs")
    parser.add_argument("--runs", nargs="+", default=[], help="run folders for --index")
    args = parser.parse_args(argv)
    if not args.run and not args.index:
        parser.error("give --run RUN, or --index OUT.html --runs RUN [RUN ...]")
    if args.index and not args.runs:
        parser.error("--index needs --runs RUN [RUN ...]")
    if args.previous and not args.run:
        parser.error("--previous needs --run")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.run:
        print(write_dashboard(args.run, args.previous))
    if args.index:
        ordered = [s["run_dir"] for s in chronological([run_summary(r) for r in args.runs])]
        for previous, run_dir in zip([None, *ordered], ordered):
            if run_dir != args.run:
                print(write_dashboard(run_dir, previous))
        print(write_index(args.runs, args.index))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
