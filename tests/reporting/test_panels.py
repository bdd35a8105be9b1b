"""The panels of a run's dashboard and of the runs index, from hand-made run folders: exact numbers per locale,
the NLU panel and its trends, n/a for what a run lacks, hostile text escaped (no Spark)."""

from __future__ import annotations

import re

import pytest

from reporting import panels
from reporting.charts import range_ticks
from reporting.facts import run_summary
from reporting.page import render_index, render_run
from reporting.panels import TRENDS
from tests.runs_factory import (
    IFRAME,
    IFRAME_ESCAPED,
    NLU,
    NLU_PANEL,
    SCRIPT,
    SCRIPT_ESCAPED,
    full_stages,
    locale_block,
    make_run,
    manifest,
    nlu_rows,
    section,
    write_nlu,
)


def test_hostile_locale_and_intent_in_nlu_json_are_escaped(run):
    hostile = {"day": SCRIPT, "model": IFRAME, "tolerance_points": 0.5, "locales": {
        IFRAME: {**NLU["locales"]["en-US"], "regressed_intents": [{"intent": SCRIPT, "lost": 4, "gained": 0}]},
        SCRIPT: {"fix_rate": 0.5, "accuracy": {"after": 80.0}, "regressed_intents": [SCRIPT], "regression": True},
    }}
    write_nlu(run, hostile)
    page = render_run(run)
    panel = section(page, NLU_PANEL)
    assert set(nlu_rows(page)) == {IFRAME_ESCAPED, SCRIPT_ESCAPED}
    assert f'<span class="chip bad" title="{SCRIPT_ESCAPED}: lost 4' in panel
    assert f"{SCRIPT_ESCAPED} −4/+0</span>" in panel and f'<span class="chip">{SCRIPT_ESCAPED}</span>' in panel
    assert f"day {SCRIPT_ESCAPED} · {IFRAME_ESCAPED}" in panel  # day and model, in the subtitle
    index = render_index([run])
    for title in ("NLU fix rate", "Held-out accuracy"):
        trend = section(index, title)
        assert f'class="legend">{IFRAME_ESCAPED}</text>' in trend  # the locale, in the legend
        assert f"<title>{SCRIPT_ESCAPED} · 12-01 02:00: " in trend  # and in the points' tooltips
    for html in (page, index):
        assert SCRIPT not in html and IFRAME not in html
        assert "<script" not in html.lower() and "<iframe" not in html.lower()


def test_nlu_panel_per_locale_numbers_and_verdicts(run):
    write_nlu(run, NLU)
    page = render_run(run)
    panel = section(page, NLU_PANEL)
    assert '<section class="card wide"><h2>NLU model in the loop</h2>' in panel
    assert "day 2026-12-01 · linear SVM over the packaged sentence encoder&#x27;s embeddings" in panel
    assert "regression: CI low below −0.5 points or an intent lost significantly" in panel
    rows = nlu_rows(page)
    assert list(rows) == ["de-DE", "en-US", "fr-FR"]
    en, de, fr = rows["en-US"], rows["de-DE"], rows["fr-FR"]
    assert "<b>62%</b>" in en and "31 / 50 fixed; learnable 27 / 30" in en
    assert "86.10% → 86.52%" in en and "day 0: 85.90% · 2,974 test utterances" in en
    assert 'title="95% paired-bootstrap confidence interval">+0.42 [-0.05, +0.88]</td>' in en
    assert '<td class="num">412</td>' in en
    assert ('<span class="chip bad" title="alarm_set: lost 5, gained 0 of 40 test utterances; p = 0.031">'
            "alarm_set −5/+0</span>") in en
    assert '<span class="badge pass">no regression</span>' in en and "badge fail" not in en
    assert "<b>25%</b>" in de and "2 / 8 fixed<" in de and "84.00% → 83.10%" in de  # no learnable count
    assert 'title="90% paired-bootstrap confidence interval">-0.90 [-1.60, -0.20]</td>' in de
    assert "iot_hue_lighton −6/+1</span>" in de
    assert '<span class="badge fail">regression</span>' in de and "badge pass" not in de
    assert "<b>n/a</b>" in fr and "no failing phrasings" in fr and '<span class="muted">none</span>' in fr
    assert "+0.00 [-0.30, +0.30]" in fr and '<span class="badge pass">no regression</span>' in fr
    assert run_summary(run)["nlu"] == NLU
    # the panel comes right after the rewrites, and the run's other panels are all still there
    assert page.index("Top new rewrites") < page.index(NLU_PANEL) < page.index("Quarantine reasons")


def test_no_nlu_json_no_panel_and_no_trends(run, previous):
    before = render_run(run, previous)
    assert NLU_PANEL not in before and 'class="nlu"' not in before
    assert run_summary(run)["nlu"] is None
    index = render_index([previous, run])
    assert "NLU fix rate" not in index and "Held-out accuracy" not in index
    assert index.count('<section class="card">') == len(TRENDS)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"a string"', b"", b'{"day": "\xff"}'])
def test_unreadable_nlu_json_says_so(run, previous, content):
    write_nlu(run, content)
    page = render_run(run)
    panel = section(page, NLU_PANEL)
    assert "unreadable nlu.json" in panel and "quality/nlu.json could not be read" in panel
    assert "Top new rewrites" in page and "Expectations" in page  # the rest of the dashboard is there
    assert run_summary(run)["nlu"] is None
    index = render_index([previous, run])  # an unreadable file is no trend: the index is as without it
    assert "NLU fix rate" not in index


def test_nlu_fields_missing_null_or_of_the_wrong_type_render_na(run):
    write_nlu(run, {"locales": {
        "en-US": {"fix_rate": "high", "accuracy": "better", "regressed_intents": "alarm_set", "regression": "no",
                  "records_added": None, "baseline_accuracy": float("nan")},
        "de-DE": "not an object",
        "fr-FR": {"fixed": 3, "failing_phrasings": 4, "accuracy": {"before": 70, "after": 71.5, "low": True},
                  "regressed_intents": [{"lost": "many"}, None]},
    }})
    rows = nlu_rows(render_run(run))
    assert set(rows) == {"en-US", "de-DE", "fr-FR"}
    for locale in ("en-US", "de-DE"):
        assert "<b>n/a</b>" in rows[locale] and "n/a → n/a" in rows[locale] and "day 0: n/a" in rows[locale]
        assert '<span class="badge na">n/a</span>' in rows[locale]
    assert "<b>75%</b>" in rows["fr-FR"]  # fixed / failing_phrasings
    assert "70.00% → 71.50%" in rows["fr-FR"] and ">+1.50</td>" in rows["fr-FR"]  # after - before, no CI
    assert '<span class="chip bad" title="n/a: lost n/a' in rows["fr-FR"]  # {"lost": "many"}
    assert '<span class="muted">—</span>' in rows["fr-FR"]  # null
    write_nlu(run, {"day": "2026-12-01"})
    assert "no locales in nlu.json" in section(render_run(run), NLU_PANEL)


def test_header_and_headline_numbers(run):
    page = render_run(run)
    assert "<h1>r2</h1>" in page
    assert "0.1.0+gtest" in page and "2026-12-01 02:00:00 UTC" in page and "42.0 s" in page
    assert "Validation passed" in page
    for label, value in [("Log rows in", "12,345"), ("Turns", "12,000"), ("Quarantined", "123"),
                         ("Duplicates", "77"), ("Pairs", "7"), ("Rewrites", "4"), ("Training records", "14"),
                         ("Expectations", "2 / 3")]:
        assert f'<div class="k">{label}</div><div class="v">{value}</div>' in page
    assert "1.00% of rows" in page  # 123 of 12,345
    assert "Warning: training: intent not null" in page


def test_panels_show_per_locale_counts(run):
    page = render_run(run)
    pairs = section(page, "Pairs per locale")
    assert "7 pairs, stacked by kind" in pairs
    assert "<title>en-US · rephrase: 3</title>" in pairs and "<title>en-US · variant: 1</title>" in pairs
    assert "<title>de-DE · variant: 2</title>" in pairs and "de-DE · rephrase" not in pairs
    assert "<title>fr-FR · rephrase: 1</title>" in pairs
    training = section(page, "Training records per locale")
    assert "14 MASSIVE-format records" in training
    assert "<title>en-US · records: 9</title>" in training and "<title>fr-FR · records: 1</title>" in training
    weights = section(page, "Pair weight distribution")
    assert "<title>weight 0.95–1.00: 2</title>" in weights  # 0.97 and 1.0
    assert "<title>weight 0.00–0.05: 0</title>" not in weights and "<title>weight 0.05–0.10: 1</title>" in weights
    support = section(page, "Support users per pair")
    assert "<title>3 users: 2</title>" in support and "<title>40–49 users: 1</title>" in support
    quarantine = section(page, "Quarantine reasons")
    assert "123 rows quarantined of 12,345" in quarantine and "<title>null_ts: 100</title>" in quarantine
    timings = section(page, "Stage timings")
    assert re.findall(r'class="cat">([a-z]+)<', timings) == ["ingest", "aggregate", "emit", "validate"]
    assert "<title>aggregate: 8.2 s</title>" in timings
    expectations = section(page, "Expectations")
    assert "2 of 2 passed" in expectations and "0 of 1 passed" in expectations
    assert "7 unexpected" in expectations and ">warning<" in expectations and ">critical<" in expectations


def test_top_rewrites_per_locale_ordered_with_a_null_intent_and_a_locale_without_rewrites(run):
    page = render_run(run)
    en = locale_block(page, "en-US")
    sources = re.findall(r'<td class="utt">(.*?)</td>', en)
    assert sources == [SCRIPT_ESCAPED, "wake me at seven", IFRAME_ESCAPED]  # by support users: 12, 4, 3
    assert '<td><span class="muted">—</span></td>' in en  # the null target_intent
    assert '<span class="chip">play_music</span>' in en
    assert "3 shown" in en
    assert "no new rewrites" in locale_block(page, "fr-FR")
    assert "mach das licht an" in locale_block(page, "de-DE")


def test_new_rewrites_leave_out_those_of_the_previous_run(run, previous):
    page = render_run(run, previous)
    en = locale_block(page, "en-US")
    assert "wake me at seven" not in en
    assert SCRIPT_ESCAPED in en and IFRAME_ESCAPED in en
    assert "not in the previous run r1" in page
    assert "wake me at seven" in locale_block(render_run(run), "en-US")


def test_failed_validation_is_flagged(previous):
    page = render_run(previous)
    assert "Validation failed" in page and "Critical: pairs: x" in page


def test_index_nlu_trends_one_line_per_locale_with_gaps(tmp_path, run, previous):
    write_nlu(previous, {**NLU, "locales": {k: v for k, v in NLU["locales"].items() if k != "fr-FR"}})
    later = {"en-US": {**NLU["locales"]["en-US"], "fix_rate": 0.7, "accuracy": {"after": 86.9}},
             "fr-FR": NLU["locales"]["fr-FR"]}
    write_nlu(run, {**NLU, "locales": later})
    without = make_run(tmp_path, "run-3", manifest("r3", "2026-12-02T02:00:00+00:00", **full_stages()))
    page = render_index([without, run, previous])
    fix, accuracy = section(page, "NLU fix rate"), section(page, "Held-out accuracy")
    for trend, plotted in ((fix, ["de-DE", "en-US"]), (accuracy, ["de-DE", "en-US", "fr-FR"])):
        assert re.findall(r'class="legend">(.*?)</text>', trend) == ["de-DE", "en-US", "fr-FR"]
        colors = dict(re.findall(r'stroke="(#[0-9a-f]{6})" stroke-width="2.5"><title>([a-zA-Z-]+) · ', trend))
        assert sorted(colors.values()) == plotted  # a colour per locale (fr-FR has no fix rate: no points)
        assert "· 12-02 02:00:" not in trend  # r3 has no nlu.json: a gap
        assert trend.count("<polyline") == 1  # only en-US is in two consecutive runs
    assert "<title>en-US · 11-30 02:00: 62%</title>" in fix and "<title>en-US · 12-01 02:00: 70%</title>" in fix
    assert "<title>de-DE · 11-30 02:00: 25%</title>" in fix and "fr-FR · " not in fix  # fr-FR's rate is null
    assert "<title>en-US · 12-01 02:00: 86.90%</title>" in accuracy
    assert "<title>fr-FR · 12-01 02:00: 80.00%</title>" in accuracy
    ticks = re.findall(r'class="tick">([0-9.]+%)</text>', accuracy)
    assert ticks == ["80%", "82%", "84%", "86%", "88%"]  # 80.00 to 86.90: the axis hugs the values, not from 0
    assert range_ticks(85.9, 86.52, "%")[0] == [85.75, 86.0, 86.25, 86.5, 86.75]
    assert range_ticks(85.9, 86.52, "%")[1](86.0) == "86.00%"
    assert range_ticks(70.0, 70.0)[0] == [70.0, 70.25]


def test_badges_and_the_loop_verdict():
    assert panels.badge(True) == '<span class="badge pass">Validation passed</span>'
    assert panels.badge(False) == '<span class="badge fail">Validation failed</span>'
    assert panels.badge("yes") == '<span class="badge na">Validation n/a</span>'
    assert panels.verdict(True) == '<span class="badge fail">regression</span>'  # a regression is bad news
    assert panels.verdict(False) == '<span class="badge pass">no regression</span>'
    assert panels.verdict(None) == '<span class="badge na">n/a</span>'


def test_card_escapes_its_title_and_subtitle():
    assert panels.card("<t>", "<p>body</p>", "a & b", wide=True) == (
        '<section class="card wide"><h2>&lt;t&gt;</h2><p class="sub">a &amp; b</p><p>body</p></section>')
    assert panels.card("T", "B") == '<section class="card"><h2>T</h2>B</section>'


def test_panel_quarantine_reasons_by_count_then_name():
    ingest = {"quarantined": 5, "rows_in": 50, "quarantined_by_reason": {"b": 2, "a": 2, "c": 1, "x": "many"}}
    panel = panels.panel_quarantine({"stages": {"ingest": ingest}})
    assert re.findall(r'class="cat">(.*?)</text>', panel) == ["a", "b", "c"]  # "many" is no count
    assert "5 rows quarantined of 50" in panel
    assert "no ingest stats in this run" in panels.panel_quarantine({"stages": {}})


def test_panel_rejected_most_rejected_first_with_the_accepted_reading_escaped():
    rejected = {
        "locale": ["de-DE", "en-US", "sw-KE"],
        "text": ["lösche den wecker", "<script>x</script>", "napenda r n b"],
        "intent": ["alarm_set", "play_music", "play_radio"],
        "served_users": [40.0, 9.6, 12.0],
        "rejected_users": [39.6, 9.4, 12.0],
        "accepted_intent": ["alarm_remove", None, None],
    }
    panel = panels.panel_rejected(rejected)
    assert re.findall(r'<td class="loc">(.*?)</td>', panel) == ["de-DE", "sw-KE", "en-US"]
    assert "&lt;script&gt;x&lt;/script&gt;" in panel and "<script>x" not in panel
    assert re.findall(r'class="note">(.*?)</span>', panel) == [
        "accepted: alarm_remove", "no accepted reading yet", "no accepted reading yet",
    ]
    assert re.findall(r'<td class="num">(.*?)</td>', panel) == ["40 / 40", "12 / 12", "9 / 10"]
    assert "3 rejected" in panel
    empty = panels.panel_rejected({name: [] for name in panels.REJECTED_COLUMNS})
    assert "none: no reading was rejected by most of its users" in empty


def test_panel_timings_known_stages_in_pipeline_order_then_the_rest_by_name():
    stages = {"zeta": {"elapsed_s": 1}, "validate": {"elapsed_s": 2}, "ingest": {"elapsed_s": 3},
              "alpha": {"elapsed_s": 4}, "emit": {"elapsed_s": "slow"}}
    panel = panels.panel_timings({"stages": stages})
    assert re.findall(r'class="cat">(.*?)</text>', panel) == ["ingest", "validate", "alpha", "zeta"]
    assert "10.0 s in all" in panel
    assert "no timings" in panels.panel_timings({})


def test_runs_table_newest_first_with_escaped_links(tmp_path):
    summaries = [{"run_dir": str(tmp_path / "a b"), "run_id": "<old>", "started_at": "2026-11-30T00:00:00",
                  "code_version": None, "pairs": 3, "rewrites": None, "training": 1, "quarantine_share": 0.5,
                  "pass_rate": 1.0, "passed": True},
                 {"run_dir": str(tmp_path / "new"), "run_id": "new", "started_at": "2026-12-01T00:00:00",
                  "code_version": "v2", "pairs": 1234, "rewrites": 2, "training": None, "quarantine_share": None,
                  "pass_rate": None, "passed": None}]
    table = panels.runs_table(summaries, str(tmp_path))
    assert re.findall(r'<a href="(.*?)">(.*?)</a>', table) == [
        ("new/quality/dashboard.html", "new"), ("a%20b/quality/dashboard.html", "&lt;old&gt;")]
    assert '<td class="num">1,234</td>' in table and '<td class="num">50.00%</td>' in table
