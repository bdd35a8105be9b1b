"""Log defects: duplicate deliveries and malformed rows."""

from __future__ import annotations

import collections
import math

from schemas.interactions import STATUSES
from simulation.defects import MALFORMED_KINDS


def test_duplicates_share_the_event_id_and_are_identical(run):
    log, truth, stats = run
    copies = collections.defaultdict(list)
    for row in log.to_pylist():
        if row["event_id"] is not None:
            copies[row["event_id"]].append(row)
    duplicated = {event_id: rows for event_id, rows in copies.items() if len(rows) > 1}
    deliveries = dict(zip(truth.column("event_id").to_pylist(), truth.column("deliveries").to_pylist()))

    assert len(duplicated) == stats.duplicates > 0
    for event_id, rows in duplicated.items():
        assert len(rows) == 2 and repr(rows[0]) == repr(rows[1])  # repr: NaN == NaN
        assert deliveries[event_id] == 2
    assert truth.column("event_id").drop_null().to_pylist() == list(dict.fromkeys(
        truth.column("event_id").drop_null().to_pylist()
    ))  # one truth row per event


def test_every_kind_of_malformed_row_is_present_and_broken(run, rows):
    log_rows, _ = rows
    malformed = [r for r in run[1].to_pylist() if r["role"] == "malformed"]
    kinds = collections.Counter(r["defect"] for r in malformed)
    by_id = {r["event_id"]: r for r in log_rows}

    assert set(kinds) == set(MALFORMED_KINDS)
    for row in malformed:
        if row["defect"] == "null_event_id":
            assert row["event_id"] is None
            continue
        written = by_id[row["event_id"]]
        assert row["gold_intent"] is None and row["goal_id"] is None
        check = {
            "null_user_id": lambda w: w["user_id"] is None,
            "null_ts": lambda w: w["ts"] is None,
            "unknown_status": lambda w: w["status"] not in STATUSES,
            "malformed_locale": lambda w: w["locale"] in ("english", "en_US", "sw_KE", "EN-us!", "xx-??"),
            "blank_utterance": lambda w: not w["utterance"].strip(),
            "control_only_utterance": lambda w: all(ord(c) < 32 or ord(c) == 127 for c in w["utterance"]),
            "confidence_out_of_range": lambda w: not 0 <= w["nlu_confidence"] <= 1 or math.isnan(w["nlu_confidence"]),
            "null_slot_value": lambda w: any(s["value"] is None for s in w["slots"]),
        }[row["defect"]]
        assert check(written), (row["defect"], written)
    assert sum(1 for r in log_rows if r["event_id"] is None) == kinds["null_event_id"]
