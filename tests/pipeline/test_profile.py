"""The log profile: its verdict on hand-written figures, and whole profiles of tiny days read as ingest reads them."""

import datetime as dt
import json
from dataclasses import replace

import pytest

from pipeline.config import RunConfig
from pipeline.log_format import LogFormat
from pipeline.profile import NOT_READY, READY, WARNINGS, profile_logs, verdict
from tests.logs_factory import rephrase_day_rows

SETTINGS = {"min_users": 3, "max_quarantine_share": 0.05, "stop_quarantine_share": 0.5, "locales": []}


def figures(**overrides) -> dict:
    """A healthy day's profile figures: a thousand turns, 400 sessions, a fifth of them failing."""
    values = {
        "reader_warnings": [], "rows": 1000, "quarantined": 0, "valid_rows": 1000, "event_ids": 1000,
        "sessions": 400, "friction_turns": 200, "pairs_at_floor": 5, "span_hours": 23.9, "outside_folder_day": 0,
        "null_confidence": 0, "null_intent": 100, "locales": {"en-US": {"rows": 1000, "friction_rows": 150}},
        "quarantine": [], "settings": SETTINGS,
    }
    return {**values, **overrides}


def quarantined(reason, column, rows):
    return {"reason": reason, "source_column": column, "rows": rows, "examples": ["7"], "hint": f"check {column}"}


def test_a_healthy_day_is_ready():
    assert verdict(figures()) == {"level": READY, "blocking": [], "warnings": []}


@pytest.mark.parametrize(
    "overrides, blocking",
    [
        ({"rows": 0, "valid_rows": 0, "event_ids": 0}, "the files hold no rows"),
        ({"valid_rows": 0, "quarantined": 1000, "quarantine": [quarantined("null_ts", "when", 1000)]},
         "every row would be quarantined: null_ts in when (1,000 rows); first check: check when"),
        ({"quarantined": 600, "valid_rows": 400, "quarantine": [quarantined("unknown_status", "outcome", 600)]},
         "60.0% of rows would be quarantined (ingest stops above 50%): unknown_status in outcome (600 rows)"),
        ({"quarantined": 80, "valid_rows": 920, "quarantine": [quarantined("implausible_ts", "ms", 80)]},
         "8.0% of rows would be quarantined (validation does not publish a day above 5%)"),
        ({"friction_turns": 0, "pairs_at_floor": 0}, "no turn failed"),
    ],
    ids=["empty", "all-quarantined", "ingest-stops", "validation-blocks", "no-failures"],
)
def test_what_would_stop_ingest_or_publishing_is_blocking(overrides, blocking):
    judged = verdict(figures(**overrides))
    assert judged["level"] == NOT_READY
    assert judged["blocking"][0].startswith(blocking)


@pytest.mark.parametrize(
    "overrides, warning",
    [
        ({"sessions": 990}, "sessions average 1.01 turns: is user_id or device_id a per-request id?"),
        ({"friction_turns": 700}, "70% of turns failed: is `status_values` inverted?"),
        ({"pairs_at_floor": 0}, "no failing phrasing was rephrased into a working one by 3 or more users"),
        ({"event_ids": 500}, "50% of rows repeat an event_id"),
        ({"span_hours": 72.0}, "the timestamps span 72 hours"),
        ({"outside_folder_day": 125}, "12.5% of rows are timestamped outside their date= folder's day (UTC)"),
        ({"null_confidence": 1000}, "no row has nlu_confidence"),
        ({"null_intent": 900}, "90% of turns have no intent"),
        ({"settings": {**SETTINGS, "locales": ["de-DE"]}}, "locales outside the configured set: en-US"),
        ({"locales": {"en-US": {"rows": 900, "friction_rows": 100}, "de-DE": {"rows": 100, "friction_rows": 100}}},
         "most turns of de-DE (100%) have a failing status"),
        ({"quarantined": 10, "valid_rows": 990, "quarantine": [quarantined("malformed_locale", "market", 10)]},
         "10 rows (1.00%) would be quarantined: malformed_locale in market (10 rows)"),
        ({"reader_warnings": ["a.jsonl: no sampled line has intent"]}, "a.jsonl: no sampled line has intent"),
    ],
    ids=["per-request-ids", "inverted-statuses", "nothing-at-the-floor", "repeated-ids", "long-span",
         "shifted-timestamps", "no-confidence", "no-intent", "unexpected-locale", "failing-locale", "some-quarantined",
         "reader"],
)
def test_signs_of_a_wrong_mapping_are_warnings(overrides, warning):
    judged = verdict(figures(**overrides))
    assert (judged["level"], judged["blocking"]) == (WARNINGS, [])
    assert [w for w in judged["warnings"] if w.startswith(warning)], judged["warnings"]


JSONL = LogFormat(
    format="jsonl", timestamp="epoch_millis",
    columns={"event_id": "id", "user_id": "customer", "ts": "received_ms", "utterance": "text", "status": "outcome"},
    constants={"locale": "en-US"}, absent=("device_id", "intent", "slots", "nlu_confidence"),
    status_values={"0": "success", "1": "error"},
)


def write_jsonl_day(folder, rows):
    folder.mkdir(parents=True)
    lines = [
        {"id": r["event_id"], "customer": r["user_id"], "received_ms": int(r["ts"].timestamp() * 1000),
         "text": r["utterance"], "outcome": 1 if r["status"] == "error" else 0} for r in rows
    ]
    (folder / "part-0.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_day_profiled_through_its_log_format_counts_what_ingest_would(spark, tmp_path):
    start = dt.datetime(2026, 11, 30, 9, tzinfo=dt.timezone.utc)
    write_jsonl_day(tmp_path / "logs" / "date=2026-11-30", rephrase_day_rows(start, ["u1", "u2", "u3"]))
    profile = profile_logs(spark, str(tmp_path / "logs"), RunConfig(log_format=JSONL.as_dict()), log=lambda _: None)

    assert {key: profile[key] for key in ("files", "rows", "quarantined", "valid_rows", "users", "sessions",
                                          "friction_turns", "rephrased_turns", "pairs", "pairs_at_floor")} == {
        "files": 1, "rows": 9, "quarantined": 0, "valid_rows": 9, "users": 5, "sessions": 5, "friction_turns": 4,
        "rephrased_turns": 4, "pairs": 2, "pairs_at_floor": 1,
    }
    assert (profile["first_ts"], profile["locales"], profile["statuses"]) == (
        "2026-11-30 09:00:00", {"en-US": {"rows": 9, "friction_rows": 4}}, {"success": 5, "error": 4},
    )
    assert profile["verdict"] == {
        "level": WARNINGS, "blocking": [],
        "warnings": [  # the mapping marks both columns absent
            "no row has nlu_confidence: only the statuses mark a failing turn",
            "100% of turns have no intent: training records take the intent of the turn that worked",
        ],
    }
    assert json.loads(json.dumps(profile)) == profile  # what --json writes


def test_a_wrong_mapping_is_not_ready_and_names_the_logs_column_and_values(spark, tmp_path):
    start = dt.datetime(2026, 11, 30, 9, tzinfo=dt.timezone.utc)
    write_jsonl_day(tmp_path / "logs" / "date=2026-11-30", rephrase_day_rows(start, ["u1", "u2", "u3"]))
    seconds = replace(JSONL, timestamp="epoch_seconds")  # milliseconds read as seconds
    profile = profile_logs(spark, str(tmp_path / "logs"), RunConfig(log_format=seconds.as_dict()), log=lambda _: None)

    assert profile["verdict"]["level"] == NOT_READY
    assert profile["verdict"]["blocking"] == [
        "every row would be quarantined: implausible_ts in received_ms (9 rows); first check: is the `timestamp` "
        "unit right? epoch milliseconds read as seconds land in the far future"
    ]
    [entry] = profile["quarantine"]
    assert (entry["reason"], entry["source_column"], entry["rows"], len(entry["examples"])) == (
        "implausible_ts", "received_ms", 9, 3,
    )
