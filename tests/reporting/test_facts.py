"""What reporting.facts reads from a run folder: headline numbers, counts, fallbacks for missing or malformed
stats, the order of runs and of rewrites, and the bins the histograms draw (no Spark, no HTML)."""

from __future__ import annotations

import math

import pytest

from reporting import facts
from tests.runs_factory import REWRITES, latest_run, make_run, manifest, write_nlu


def test_run_summary_headline_numbers(tmp_path):
    summary = facts.run_summary(latest_run(tmp_path))
    assert summary["run_id"] == "r2" and summary["code_version"] == "0.1.0+gtest"
    assert (summary["pairs"], summary["rewrites"], summary["training"]) == (7, 4, 14)  # from the stats
    assert summary["quarantine_share"] == 123 / 12345
    assert summary["pass_rate"] == 2 / 3 and summary["passed"] is True
    assert summary["duration_s"] == 42.0 and summary["nlu"] is None


def test_run_summary_counts_the_datasets_when_the_stats_do_not_say(tmp_path):
    summary = facts.run_summary(make_run(tmp_path, "no-stats", manifest("x", "2026-12-01T02:00:00+00:00")))
    assert (summary["pairs"], summary["rewrites"]) == (7, 4)  # rows of pairs/ and rewrites/
    assert summary["training"] is None and summary["quarantine_share"] is None and summary["pass_rate"] is None
    bare = facts.run_summary(make_run(tmp_path, "bare", None, pairs=[], rewrites=[]))
    assert bare["run_id"] == "bare" and bare["pairs"] is None and bare["duration_s"] is None


def test_unreadable_files_are_no_facts(tmp_path):
    (tmp_path / "manifest.json").write_text("[1, 2]")
    assert facts.load_manifest(tmp_path) == {} and facts.load_manifest(tmp_path / "missing") == {}
    write_nlu(str(tmp_path), b"{not json")
    assert facts.load_nlu(tmp_path) is None
    write_nlu(str(tmp_path), {"locales": {"en-US": "not an object"}})
    assert facts.nlu_locales(facts.load_nlu(tmp_path)) == {"en-US": {}}
    assert facts.stage({"stages": {"emit": [1]}}, "emit") == {} and facts.stage({}, "ingest") == {}


def test_read_columns_fills_columns_the_dataset_lacks(tmp_path):
    run = make_run(tmp_path, "run", None)
    columns = facts.read_columns(tmp_path / "run" / "pairs", ("locale", "kind", "no_such_column"))
    assert sorted(columns["locale"]) == ["de-DE", "de-DE", "en-US", "en-US", "en-US", "en-US", "fr-FR"]
    assert columns["no_such_column"] == [None] * 7
    assert facts.read_columns(tmp_path / "nothing", ("locale",)) == {"locale": []}
    assert facts.count_rows(f"{run}/rewrites") == 4 and facts.count_rows(tmp_path / "nothing") is None


def test_training_records_from_the_emit_stats_else_counted_lines(tmp_path):
    stats = {"stages": {"emit": {"training_records_by_locale": {"en-US": 9, "de-DE": 4.0, "xx": "many"}}}}
    assert facts.training_by_locale(tmp_path, stats) == {"en-US": 9, "de-DE": 4}
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "fr-FR.jsonl").write_text('{"a": 1}\n\n{"a": 2}\n')
    assert facts.training_by_locale(tmp_path, {}) == {"fr-FR": 2}  # blank lines are no records


def test_numbers_from_json_files():
    assert facts.number(3) == 3.0 and facts.number(0.5) == 0.5
    for value in (None, True, "1", float("nan"), math.inf, 10**400, [1]):
        assert facts.number(value) is None
    assert facts.counts_of({"a": 2, "b": True, "c": "3", 4: 1.0}) == {"a": 2, "4": 1}
    assert facts.total({"a": 2, "b": 3}) == 5 and facts.total(None) is None
    assert facts.ratio(1, 4) == 0.25 and facts.ratio(1, 0) is None and facts.ratio(None, 4) is None


def test_nlu_fix_rate_and_accuracy_delta_fall_back_to_their_parts():
    assert facts.fix_rate({"fix_rate": 0.6, "fixed": 1, "failing_phrasings": 4}) == 0.6
    assert facts.fix_rate({"fix_rate": None, "fixed": 3, "failing_phrasings": 4}) == 0.75
    assert facts.fix_rate({"fixed": 0, "failing_phrasings": 0}) is None  # nothing was failing
    assert facts.accuracy_delta({"delta": 0.42, "before": 1.0, "after": 5.0}) == 0.42
    assert facts.accuracy_delta({"before": 70, "after": 71.5}) == 1.5
    assert facts.accuracy_delta({"before": 70}) is None
    assert facts.nlu_accuracy({"accuracy": "better"}) == {}


def test_pairs_by_kind_from_aggregate_else_accumulate():
    scheduled = {"stages": {"accumulate": {"pairs_by_kind": {"rephrase": 5}}}}
    assert facts.pairs_by_kind(scheduled) == {"rephrase": 5}
    both = {"stages": {"aggregate": {"pairs_by_kind": {"variant": 1}}, **scheduled["stages"]}}
    assert facts.pairs_by_kind(both) == {"variant": 1} and facts.pairs_by_kind({}) is None


@pytest.mark.parametrize(("started", "finished", "expected"), [
    ("2026-12-01T02:00:00+00:00", "2026-12-01T02:01:30+00:00", 90.0),
    ("2026-12-01T02:00:00+00:00", "2026-12-01T02:01:30", None),  # one aware, one naive
    ("2026-12-01T02:00:00+00:00", None, None),
    ("yesterday", "today", None),
])
def test_duration(started, finished, expected):
    assert facts.duration_s({"started_at": started, "finished_at": finished}) == expected


def test_chronological_oldest_first_runs_without_a_start_first_ties_by_id():
    runs = [{"run_id": "c", "started_at": "2026-12-02T00:00:00"}, {"run_id": "b", "started_at": None},
            {"run_id": "d", "started_at": "2026-12-01T00:00:00"}, {"run_id": "a", "started_at": "2026-12-01T00:00:00"}]
    assert [r["run_id"] for r in facts.chronological(runs)] == ["b", "a", "d", "c"]


def test_new_rewrites_top_ten_by_support_then_weight():
    weights_and_users = [(0.1, 5), (0.9, 5), (0.5, 9)] + [(0.2, 1)] * 10
    rows = [("en-US", f"s{i}", "t", w, "x", u) for i, (w, u) in enumerate(weights_and_users)]
    current = {name: [row[i] for row in rows] for i, name in enumerate(REWRITES.names)}
    top = facts.new_rewrites(current, {"locale": ["en-US"], "source": ["s12"]})
    assert [r["source"] for r in top["en-US"]][:3] == ["s2", "s1", "s0"]
    assert len(top["en-US"]) == 10 and "s12" not in [r["source"] for r in top["en-US"]]


def test_bins():
    assert facts.weight_bins([0.0, 0.049, 0.05, 1.0, None], bins=20) == [2, 1] + [0] * 17 + [1]
    counts, edges = facts.support_bins([3, 3, 4, 7, 8, 40, 331])
    assert edges[0] == 3 and edges[-1] > 331 and sum(counts) == 7
    assert counts[:2] == [2, 1]

