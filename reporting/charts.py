"""The building blocks of the dashboards' markup: colours, escaping and number formatting, and inline SVG
charts (columns, horizontal bars, histograms, trend lines, a donut). Every chart is plain SVG drawn here, no
JavaScript; every string that reaches it (labels, tooltips, legends) goes through esc().
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Sequence

from reporting.facts import parse_time

NA = "n/a"

PASS, WARN, FAIL = "#16a34a", "#d97706", "#dc2626"
PALETTE = ("#4f46e5", "#14b8a6", "#f59e0b", "#ec4899", "#0ea5e9", "#8b5cf6", "#84cc16", "#f97316")
KIND_COLORS = {"rephrase": "#4f46e5", "variant": "#14b8a6"}


def esc(value: object) -> str:
    """HTML-escapes any value, quotes included: safe in element text, attributes and SVG."""
    return html.escape(str(value), quote=True)


# ---------------------------------------------------------------------------------------------- formatting


def fmt_int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else NA


def fmt_rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


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
