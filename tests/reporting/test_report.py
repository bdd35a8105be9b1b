"""Run dashboards and the runs index: exact facts from hand-made run folders, hostile text escaped, and a real
render in headless Chromium (no Spark)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reporting import report
from simulation.world import STANDALONE_HOSTILE

# the simulator's own hostile payloads, as they can reach pairs and rewrites
SCRIPT, IFRAME = STANDALONE_HOSTILE[0], STANDALONE_HOSTILE[2]
assert (SCRIPT, IFRAME) == ("<script>alert(1)</script>", "</td></tr><iframe src=javascript:alert(1)>")
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IFRAME_ESCAPED = "&lt;/td&gt;&lt;/tr&gt;&lt;iframe src=javascript:alert(1)&gt;"

PAIRS = pa.schema([("locale", pa.string()), ("source", pa.string()), ("target", pa.string()), ("kind", pa.string()),
                   ("weight", pa.float32()), ("support_users", pa.int64())])
REWRITES = pa.schema([("locale", pa.string()), ("source", pa.string()), ("target", pa.string()),
                      ("weight", pa.float32()), ("target_intent", pa.string()), ("support_users", pa.int64())])

# en-US: 3 rephrases and 1 variant; de-DE: 2 variants; fr-FR: 1 rephrase and no rewrites at all.
PAIR_ROWS = [
    ("en-US", "wake me at seven", "set an alarm for seven", "rephrase", 0.62, 4),
    ("en-US", SCRIPT, "play some jazz", "rephrase", 0.97, 12),
    ("en-US", IFRAME, "turn on the lights", "rephrase", 0.31, 3),
    ("en-US", "lights on", "turn on the lights", "variant", 0.5, 40),
    ("de-DE", "mach das licht an", "schalte das licht ein", "variant", 0.05, 5),
    ("de-DE", "wecke mich um sieben", "stelle einen wecker", "variant", 1.0, 7),
    ("fr-FR", "allume la lumière", "allume les lumières", "rephrase", 0.44, 3),
]
REWRITE_ROWS = [
    ("en-US", "wake me at seven", "set an alarm for seven", 0.62, "alarm_set", 4),
    ("en-US", SCRIPT, "play some jazz", 0.97, "play_music", 12),
    ("en-US", IFRAME, "turn on the lights", 0.31, None, 3),
    ("de-DE", "mach das licht an", "schalte das licht ein", 0.05, "iot_hue_lighton", 5),
]
RESULTS = [
    {"dataset": "pairs", "expectation": "expect_column_values_to_be_between", "description": "weight in [0, 1]",
     "severity": "critical", "success": True, "unexpected_count": 0},
    {"dataset": "pairs", "expectation": "expect_compound_columns_to_be_unique", "description": "pairs unique",
     "severity": "critical", "success": True, "unexpected_count": 0},
    {"dataset": "training", "expectation": "expect_column_values_to_not_be_null", "description": "intent not null",
     "severity": "warning", "success": False, "unexpected_count": 7},
]


# RUN/quality/nlu.json as `rephrase-miner loop` writes it: en-US improved, de-DE regressed (the CI's low end is
# below -tolerance_points and an intent lost significantly), fr-FR had no failing phrasings.
NLU = {
    "day": "2026-12-01",
    "model": "linear SVM over the packaged sentence encoder's embeddings and character 2-4-gram TF-IDF",
    "tolerance_points": 0.5,
    "locales": {
        "en-US": {"fix_rate": 0.62, "fixed": 31, "failing_phrasings": 50, "records_added": 412,
                  "learnable_fix_rate": 0.9, "learnable_fixed": 27, "learnable_phrasings": 30,
                  "accuracy": {"before": 86.10, "after": 86.52, "delta": 0.42, "low": -0.05, "high": 0.88,
                               "level": 0.95},
                  "baseline_accuracy": 85.9, "test_utterances": 2974,
                  "regressed_intents": [{"intent": "alarm_set", "lost": 5, "gained": 0, "test_utterances": 40,
                                         "p_value": 0.031}],
                  "regression": False},
        "de-DE": {"fix_rate": 0.25, "fixed": 2, "failing_phrasings": 8, "records_added": 37,
                  "accuracy": {"before": 84.0, "after": 83.1, "delta": -0.9, "low": -1.6, "high": -0.2, "level": 0.9},
                  "baseline_accuracy": 84.4, "test_utterances": 2974,
                  "regressed_intents": [{"intent": "iot_hue_lighton", "lost": 6, "gained": 1, "test_utterances": 31,
                                         "p_value": 0.012}],
                  "regression": True},
        "fr-FR": {"fix_rate": None, "fixed": 0, "failing_phrasings": 0, "records_added": 0,
                  "accuracy": {"before": 80.0, "after": 80.0, "delta": 0.0, "low": -0.3, "high": 0.3, "level": 0.95},
                  "baseline_accuracy": 80.0, "test_utterances": 1500, "regressed_intents": [], "regression": False},
    },
}
NLU_PANEL = "NLU model in the loop"


def write_nlu(run_dir: str, nlu: dict | bytes) -> None:
    """RUN/quality/nlu.json: the dict as JSON, or bytes as they are (a malformed file)."""
    path = Path(run_dir) / "quality" / "nlu.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(nlu if isinstance(nlu, bytes) else json.dumps(nlu).encode())


def nlu_rows(page: str) -> dict[str, str]:
    """The NLU panel's table rows, by locale (as escaped in the page)."""
    return dict(re.findall(r'<tr><td class="loc">(.*?)</td>(.*?)</tr>', section(page, NLU_PANEL), re.S))


def manifest(run_id: str, started: str, **stages: dict) -> dict:
    return {"run_id": run_id, "started_at": started, "finished_at": started.replace(":00+", ":42+"),
            "code_version": "0.1.0+gtest", "config": {"min_users": 3}, "stages": stages}


def full_stages() -> dict:
    return {
        "ingest": {"elapsed_s": 21.5, "rows_in": 12345, "quarantined": 123, "duplicates": 77, "turns": 12000,
                   "quarantined_by_reason": {"null_ts": 100, "malformed_locale": 20, SCRIPT: 3}},
        "aggregate": {"elapsed_s": 8.25, "pairs_by_kind": {"rephrase": 4, "variant": 3}},
        "emit": {"elapsed_s": 4.0, "rewrites": 4, "rewrites_by_locale": {"en-US": 3, "de-DE": 1},
                 "training_records": 14, "training_records_by_locale": {"en-US": 9, "de-DE": 4, "fr-FR": 1}},
        "validate": {"elapsed_s": 3.5, "passed": True, "results": RESULTS, "warnings": ["training: intent not null"],
                     "failed_critical": []},
    }


def write_parquet(path: Path, rows: list[tuple], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist([dict(zip(schema.names, row)) for row in rows], schema=schema)
    pq.write_to_dataset(table, str(path), partition_cols=["locale"])
    (path / "_SUCCESS").write_text("")


def make_run(root: Path, name: str, meta: dict | None, pairs=PAIR_ROWS, rewrites=REWRITE_ROWS) -> str:
    run = root / name
    run.mkdir(parents=True)
    if meta is not None:
        (run / "manifest.json").write_text(json.dumps(meta))
    if pairs:
        write_parquet(run / "pairs", pairs, PAIRS)
    if rewrites:
        write_parquet(run / "rewrites", rewrites, REWRITES)
    (run / "training").mkdir()
    (run / "training" / "en-US.jsonl").write_text('{"utt": "wake me at seven"}\n' * 9)
    return str(run)


@pytest.fixture
def run(tmp_path) -> str:
    return make_run(tmp_path, "run-2", manifest("r2", "2026-12-01T02:00:00+00:00", **full_stages()))


@pytest.fixture
def previous(tmp_path) -> str:
    rows = [("en-US", "wake me at seven", "set an alarm", 0.5, "alarm_set", 3)]
    stages = {**full_stages(), "validate": {"passed": False, "results": RESULTS, "failed_critical": ["pairs: x"]}}
    return make_run(tmp_path, "run-1", manifest("r1", "2026-11-30T02:00:00+00:00", **stages), rewrites=rows)


def section(page: str, title: str) -> str:
    """The <section> of the panel with this title."""
    match = re.search(rf'<section class="card[^"]*"><h2>{re.escape(title)}</h2>.*?</section>', page, re.S)
    assert match, f"no panel {title!r}"
    return match.group(0)


def locale_block(page: str, locale: str) -> str:
    pattern = rf'<div class="locale"><h3>{re.escape(locale)} .*?(?=<div class="locale">|</section>)'
    match = re.search(pattern, page, re.S)
    assert match, f"no rewrites block for {locale}"
    return match.group(0)


def test_hostile_text_is_escaped_everywhere(run):
    page = report.render_run(run)
    assert SCRIPT_ESCAPED in section(page, "Top new rewrites")
    assert IFRAME_ESCAPED in section(page, "Top new rewrites")
    assert SCRIPT_ESCAPED in section(page, "Quarantine reasons")  # a reason, in SVG <text> and <title>
    assert SCRIPT not in page and IFRAME not in page
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    assert "script-src" not in page and "default-src 'none'" in page  # a CSP that forbids any script


def test_hostile_locale_and_intent_in_nlu_json_are_escaped(run):
    hostile = {"day": SCRIPT, "model": IFRAME, "tolerance_points": 0.5, "locales": {
        IFRAME: {**NLU["locales"]["en-US"], "regressed_intents": [{"intent": SCRIPT, "lost": 4, "gained": 0}]},
        SCRIPT: {"fix_rate": 0.5, "accuracy": {"after": 80.0}, "regressed_intents": [SCRIPT], "regression": True},
    }}
    write_nlu(run, hostile)
    page = report.render_run(run)
    panel = section(page, NLU_PANEL)
    assert set(nlu_rows(page)) == {IFRAME_ESCAPED, SCRIPT_ESCAPED}
    assert f'<span class="chip bad" title="{SCRIPT_ESCAPED}: lost 4' in panel
    assert f"{SCRIPT_ESCAPED} −4/+0</span>" in panel and f'<span class="chip">{SCRIPT_ESCAPED}</span>' in panel
    assert f"day {SCRIPT_ESCAPED} · {IFRAME_ESCAPED}" in panel  # day and model, in the subtitle
    index = report.render_index([run])
    for title in ("NLU fix rate", "Held-out accuracy"):
        trend = section(index, title)
        assert f'class="legend">{IFRAME_ESCAPED}</text>' in trend  # the locale, in the legend
        assert f"<title>{SCRIPT_ESCAPED} · 12-01 02:00: " in trend  # and in the points' tooltips
    for html in (page, index):
        assert SCRIPT not in html and IFRAME not in html
        assert "<script" not in html.lower() and "<iframe" not in html.lower()


def test_nlu_panel_per_locale_numbers_and_verdicts(run):
    write_nlu(run, NLU)
    page = report.render_run(run)
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
    assert report.run_summary(run)["nlu"] == NLU
    # the panel comes right after the rewrites, and the run's other panels are all still there
    assert page.index("Top new rewrites") < page.index(NLU_PANEL) < page.index("Quarantine reasons")


def test_no_nlu_json_no_panel_and_no_trends(run, previous):
    before = report.render_run(run, previous)
    assert NLU_PANEL not in before and 'class="nlu"' not in before
    assert report.run_summary(run)["nlu"] is None
    index = report.render_index([previous, run])
    assert "NLU fix rate" not in index and "Held-out accuracy" not in index
    assert index.count('<section class="card">') == len(report.TRENDS)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"a string"', b"", b'{"day": "\xff"}'])
def test_unreadable_nlu_json_says_so(run, previous, content):
    write_nlu(run, content)
    page = report.render_run(run)
    panel = section(page, NLU_PANEL)
    assert "unreadable nlu.json" in panel and "quality/nlu.json could not be read" in panel
    assert "Top new rewrites" in page and "Expectations" in page  # the rest of the dashboard is there
    assert report.run_summary(run)["nlu"] is None
    index = report.render_index([previous, run])  # an unreadable file is no trend: the index is as without it
    assert "NLU fix rate" not in index


def test_nlu_fields_missing_null_or_of_the_wrong_type_render_na(run):
    write_nlu(run, {"locales": {
        "en-US": {"fix_rate": "high", "accuracy": "better", "regressed_intents": "alarm_set", "regression": "no",
                  "records_added": None, "baseline_accuracy": float("nan")},
        "de-DE": "not an object",
        "fr-FR": {"fixed": 3, "failing_phrasings": 4, "accuracy": {"before": 70, "after": 71.5, "low": True},
                  "regressed_intents": [{"lost": "many"}, None]},
    }})
    rows = nlu_rows(report.render_run(run))
    assert set(rows) == {"en-US", "de-DE", "fr-FR"}
    for locale in ("en-US", "de-DE"):
        assert "<b>n/a</b>" in rows[locale] and "n/a → n/a" in rows[locale] and "day 0: n/a" in rows[locale]
        assert '<span class="badge na">n/a</span>' in rows[locale]
    assert "<b>75%</b>" in rows["fr-FR"]  # fixed / failing_phrasings
    assert "70.00% → 71.50%" in rows["fr-FR"] and ">+1.50</td>" in rows["fr-FR"]  # after - before, no CI
    assert '<span class="chip bad" title="n/a: lost n/a' in rows["fr-FR"]  # {"lost": "many"}
    assert '<span class="muted">—</span>' in rows["fr-FR"]  # null
    write_nlu(run, {"day": "2026-12-01"})
    assert "no locales in nlu.json" in section(report.render_run(run), NLU_PANEL)


def test_header_and_headline_numbers(run):
    page = report.render_run(run)
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
    page = report.render_run(run)
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
    page = report.render_run(run)
    en = locale_block(page, "en-US")
    sources = re.findall(r'<td class="utt">(.*?)</td>', en)
    assert sources == [SCRIPT_ESCAPED, "wake me at seven", IFRAME_ESCAPED]  # by support users: 12, 4, 3
    assert '<td><span class="muted">—</span></td>' in en  # the null target_intent
    assert '<span class="chip">play_music</span>' in en
    assert "3 shown" in en
    assert "no new rewrites" in locale_block(page, "fr-FR")
    assert "mach das licht an" in locale_block(page, "de-DE")


def test_new_rewrites_leave_out_those_of_the_previous_run(run, previous):
    page = report.render_run(run, previous)
    en = locale_block(page, "en-US")
    assert "wake me at seven" not in en
    assert SCRIPT_ESCAPED in en and IFRAME_ESCAPED in en
    assert "not in the previous run r1" in page
    assert "wake me at seven" in locale_block(report.render_run(run), "en-US")


def test_new_rewrites_top_ten_by_support_then_weight():
    weights_and_users = [(0.1, 5), (0.9, 5), (0.5, 9)] + [(0.2, 1)] * 10
    rows = [("en-US", f"s{i}", "t", w, "x", u) for i, (w, u) in enumerate(weights_and_users)]
    current = {name: [row[i] for row in rows] for i, name in enumerate(REWRITES.names)}
    top = report.new_rewrites(current, {"locale": ["en-US"], "source": ["s12"]})
    assert [r["source"] for r in top["en-US"]][:3] == ["s2", "s1", "s0"]
    assert len(top["en-US"]) == 10 and "s12" not in [r["source"] for r in top["en-US"]]


def test_missing_stages_render_na(tmp_path):
    scheduled = manifest("sched", "2026-12-02T02:00:00+00:00",
                         accumulate={"elapsed_s": 9.0, "pairs_by_kind": {"rephrase": 5}},
                         emit={"elapsed_s": 1.0, "rewrites_by_locale": {"en-US": 2}})
    page = report.render_run(make_run(tmp_path, "scheduled", scheduled))
    assert '<div class="k">Log rows in</div><div class="v na">n/a</div>' in page
    assert '<div class="k">Pairs</div><div class="v">5</div>' in page  # from accumulate
    assert '<div class="k">Rewrites</div><div class="v">2</div>' in page
    assert "no ingest stats in this run" in section(page, "Quarantine reasons")
    assert "no validate stats in this run" in section(page, "Expectations")
    assert "Validation n/a" in page
    assert "<title>accumulate: 9.0 s</title>" in section(page, "Stage timings")
    assert "<title>en-US · records: 9</title>" in section(page, "Training records per locale")  # counted lines

    bare = report.render_run(make_run(tmp_path, "bare", None, pairs=[], rewrites=[]))
    assert "<h1>bare</h1>" in bare and bare.count("n/a") >= 8
    assert "no data" in section(bare, "Pair weight distribution")


def test_failed_validation_is_flagged(previous):
    page = report.render_run(previous)
    assert "Validation failed" in page and "Critical: pairs: x" in page


def test_index_lists_runs_newest_first_with_relative_links_and_trends(tmp_path, run, previous):
    out = report.write_index([previous, run], str(tmp_path / "site" / "index.html"))
    page = Path(out).read_text()
    assert page.index(">r2</a>") < page.index(">r1</a>")
    assert 'href="../run-2/quality/dashboard.html"' in page and 'href="../run-1/quality/dashboard.html"' in page
    for title in ("Pairs", "Training records", "Rewrites", "Quarantine share", "Expectation pass rate"):
        section(page, title)
    assert "<title>11-30 02:00: 1.00%</title>" in section(page, "Quarantine share")
    assert "<title>12-01 02:00: 67%</title>" in section(page, "Expectation pass rate")
    assert "<title>12-01 02:00: 7</title>" in section(page, "Pairs")
    assert 'href="run-2/quality/dashboard.html"' in report.render_index([run, previous], link_base=str(tmp_path))


def test_index_nlu_trends_one_line_per_locale_with_gaps(tmp_path, run, previous):
    write_nlu(previous, {**NLU, "locales": {k: v for k, v in NLU["locales"].items() if k != "fr-FR"}})
    later = {"en-US": {**NLU["locales"]["en-US"], "fix_rate": 0.7, "accuracy": {"after": 86.9}},
             "fr-FR": NLU["locales"]["fr-FR"]}
    write_nlu(run, {**NLU, "locales": later})
    without = make_run(tmp_path, "run-3", manifest("r3", "2026-12-02T02:00:00+00:00", **full_stages()))
    page = report.render_index([without, run, previous])
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
    assert report.range_ticks(85.9, 86.52, "%")[0] == [85.75, 86.0, 86.25, 86.5, 86.75]
    assert report.range_ticks(85.9, 86.52, "%")[1](86.0) == "86.00%"
    assert report.range_ticks(70.0, 70.0)[0] == [70.0, 70.25]


def test_cli_writes_dashboards_and_index(tmp_path, run, previous):
    assert report.main(["--run", run, "--previous", previous]) == 0
    assert "not in the previous run r1" in (Path(run) / "quality" / "dashboard.html").read_text()
    index = tmp_path / "index.html"
    assert report.main(["--index", str(index), "--runs", run, previous]) == 0
    assert index.exists() and (Path(previous) / "quality" / "dashboard.html").exists()
    # each run against the one before it in time: r2's dashboard still compares with r1
    assert "not in the previous run r1" in (Path(run) / "quality" / "dashboard.html").read_text()
    assert report.write_dashboard(run) == str(Path(run) / "quality" / "dashboard.html")


def test_bins():
    assert report.weight_bins([0.0, 0.049, 0.05, 1.0, None], bins=20) == [2, 1] + [0] * 17 + [1]
    counts, edges = report.support_bins([3, 3, 4, 7, 8, 40, 331])
    assert edges[0] == 3 and edges[-1] > 331 and sum(counts) == 7
    assert counts[:2] == [2, 1]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium not found: install Debian's chromium (apt-get install chromium fonts-dejavu-core), "
                    "as .ci/run does")
    return found


def headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=True)


def test_dashboard_in_headless_chromium(tmp_path, run, previous):
    write_nlu(run, NLU)
    write_nlu(previous, {**NLU, "locales": {"en-US": {**NLU["locales"]["en-US"], "fix_rate": 0.5}}})
    url = Path(report.write_dashboard(run, previous)).resolve().as_uri()
    dom = headless(tmp_path, "--dump-dom", url).stdout
    assert "Top new rewrites" in dom and "Pairs per locale" in dom
    assert NLU_PANEL in dom and "+0.42 [-0.05, +0.88]" in dom
    assert '<span class="badge fail">regression</span>' in dom
    assert '<span class="badge pass">no regression</span>' in dom
    assert SCRIPT_ESCAPED in dom and IFRAME_ESCAPED in dom  # the hostile strings are text, not markup
    assert "<script" not in dom.lower() and "<iframe" not in dom.lower()
    assert '<div class="k">Log rows in</div><div class="v">12,345</div>' in dom
    assert re.search(r'<text [^>]*class="value"[^>]*>9</text>', dom)  # en-US training records, on its bar

    shot = tmp_path / "dashboard.png"
    headless(tmp_path, f"--screenshot={shot}", "--window-size=1400,2000", url)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    index = Path(report.write_index([previous, run], str(tmp_path / "site" / "index.html"))).resolve().as_uri()
    dom = headless(tmp_path, "--dump-dom", index).stdout
    assert "NLU fix rate" in dom and "Held-out accuracy" in dom
    assert "<title>en-US · 11-30 02:00: 50%</title>" in dom and "<title>de-DE · 12-01 02:00: 83.10%</title>" in dom
    shot = tmp_path / "index.png"
    headless(tmp_path, f"--screenshot={shot}", "--window-size=1400,1600", index)
    assert shot.exists() and shot.stat().st_size > 10_000


# A phrasing of each script the dashboards show, beside as many characters no font has (the private use plane):
# without a font for the script, Chromium draws the same empty boxes for both.
SCRIPT_SAMPLES = {"ja-JP": "すべてのアラーム", "zh-CN": "取消所有的闹钟", "ar-SA": "اضبط المنبه", "kk-KZ": "оятқышты өшір"}


@pytest.mark.parametrize("locale", sorted(SCRIPT_SAMPLES))
def test_chromium_has_a_font_for_every_script_the_dashboards_show(tmp_path, locale):
    text = SCRIPT_SAMPLES[locale]
    unknown = "".join(chr(0x10FFF0 + i % 12) for i in range(len(text)))
    shots = []
    for name, sample in (("script", text), ("unknown", unknown)):
        page = tmp_path / f"{name}.html"
        page.write_text('<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff">'
                        f'<span style="font:48px sans-serif">{sample}</span>', encoding="utf-8")
        shot = tmp_path / f"{name}.png"
        headless(tmp_path, f"--screenshot={shot}", "--window-size=500,80", page.as_uri())
        shots.append(shot.read_bytes())
    assert shots[0] != shots[1], f"{locale} renders as empty boxes: install fonts-noto-cjk (CJK), as .ci/run does"
