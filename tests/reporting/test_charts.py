"""The chart primitives of reporting.charts on small hand-written inputs: escaping, number formatting, tick
choice, and the SVG each chart draws (bars, gaps in trend lines, legends, the donut)."""

from __future__ import annotations

import re

import pytest

from reporting import charts


def test_esc_escapes_markup_and_both_quotes():
    assert charts.esc('<a href="x">it\'s</a>') == "&lt;a href=&quot;x&quot;&gt;it&#x27;s&lt;/a&gt;"
    assert charts.esc(None) == "None" and charts.esc(3) == "3"


def test_formatting():
    assert charts.fmt_int(1234567) == "1,234,567"
    assert charts.fmt_int(True) == charts.fmt_int(1.5) == charts.fmt_int(None) == "n/a"
    assert charts.fmt_pct(0.1234) == "12.3%" and charts.fmt_pct(0.1234, 2) == "12.34%" and charts.fmt_pct(None) == "n/a"
    assert charts.fmt_points(0.5, signed=True) == "+0.50" and charts.fmt_points(-0.9, True) == "-0.90"
    assert charts.fmt_accuracy(86.1) == "86.10%" and charts.fmt_accuracy(None) == "n/a"
    assert charts.clip("abcdef", 4) == "abc…" and charts.clip("abc", 4) == "abc"


@pytest.mark.parametrize(("seconds", "shown"), [
    (42, "42.0 s"), (61, "1 min 01 s"), (3725, "1 h 02 min"), ("42", "n/a"), (None, "n/a"),
])
def test_fmt_seconds(seconds, shown):
    assert charts.fmt_seconds(seconds) == shown


def test_fmt_time_in_utc_naive_as_given_and_unparsable_as_it_is():
    assert charts.fmt_time("2026-12-01T03:00:00+01:00") == "2026-12-01 02:00:00 UTC"
    assert charts.fmt_time("2026-12-01T03:00:00") == "2026-12-01 03:00:00"
    assert charts.fmt_time("soon") == "soon" and charts.fmt_time(None) == "n/a"


def test_ticks():
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(0) == [0, 1] and charts.nice_ticks(1) == [0, 1]
    ticks, label = charts.trend_ticks(0.034, percent=True)  # shares, labelled as percentages
    assert ticks == [0.0, 0.01, 0.02, 0.03, 0.04] and label(0.01) == "1%"
    ticks, label = charts.trend_ticks(1500, percent=False)
    assert ticks[-1] >= 1500 and label(1000) == "1,000"
    ticks, label = charts.range_ticks(85.9, 86.52, "%")
    assert ticks[0] <= 85.9 and ticks[-1] >= 86.52 and ticks[0] > 0 and label(86.0) == "86.00%"


def test_hbar_chart_escapes_its_labels_and_tooltips():
    chart = charts.hbar_chart([("<b>", 3), ("plain", 0)], "reasons <i>", "#111111")
    assert 'aria-label="reasons &lt;i&gt;"' in chart
    assert 'class="cat">&lt;b&gt;</text>' in chart and "<title>&lt;b&gt;: 3</title>" in chart
    assert "<b>" not in chart and "<i>" not in chart
    assert charts.hbar_chart([], "x", "#111111") == '<div class="empty">no data</div>'


def test_column_chart_stacks_series_with_a_total_and_a_legend():
    chart = charts.column_chart(["en-US", "de-DE"], {"rephrase": [3, 0], "variant": [1, 2]},
                                {"rephrase": "#aaaaaa", "variant": "#bbbbbb"}, "pairs")
    assert re.findall(r"<title>(.*?)</title>", chart) == ["en-US · rephrase: 3", "en-US · variant: 1",
                                                          "de-DE · variant: 2"]  # no bar for a zero
    assert re.findall(r'class="value">(.*?)</text>', chart) == ["4", "2"]
    assert 'class="legend">rephrase</text>' in chart and 'class="legend">variant</text>' in chart
    assert "no data" in charts.column_chart([], {}, {}, "pairs")


def test_line_chart_breaks_the_line_where_a_run_has_no_value():
    chart = charts.line_chart(["a", "b", "c", "d"], [1, None, 3, 4], "trend", "#123456")
    assert chart.count("<polyline") == 1  # only c and d are consecutive
    assert re.findall(r"<title>(.*?)</title>", chart) == ["a: 1", "c: 3", "d: 4"]
    assert "no data" in charts.line_chart(["a"], [None], "trend", "#123456")


def test_multi_line_chart_one_colour_and_legend_entry_per_series():
    chart = charts.multi_line_chart(["a", "b"], {"en-US": [0.5, 0.6], "de-DE": [None, 0.2]}, "fix rate",
                                    lambda v: charts.fmt_pct(v, 0))
    assert re.findall(r'class="legend">(.*?)</text>', chart) == ["en-US", "de-DE"]
    colors = dict(re.findall(r'stroke="(#[0-9a-f]{6})" stroke-width="2.5"><title>([a-zA-Z-]+) · ', chart))
    assert colors == {charts.PALETTE[0]: "en-US", charts.PALETTE[1]: "de-DE"}
    assert "<title>de-DE · b: 20%</title>" in chart and "de-DE · a" not in chart


def test_donut_fills_to_the_rate():
    empty, half = charts.donut(0.0, "#ff0000", "none"), charts.donut(0.5, "#ff0000", "half <x>")
    assert 'stroke="#ff0000"' not in empty and ">0%</text>" in empty
    circumference = 2 * 3.141592653589793 * 44
    assert f'stroke-dasharray="{circumference / 2:.2f} {circumference:.2f}"' in half and ">50%</text>" in half
    assert "<title>half &lt;x&gt;</title>" in half
