"""Users and their sessions: rephrase chains, switches, devices, turn timing."""

from __future__ import annotations

import collections
import datetime as dt


def test_rephrases_point_back_along_their_chain(rows):
    log_rows, truth = rows
    ts = {r["event_id"]: r["ts"] for r in log_rows}
    chain_lengths = collections.Counter()
    for row in truth.values():
        if row["role"] not in ("rephrase", "repeat"):
            assert row["rephrase_of"] is None and row["rephrase_root"] is None
            continue
        previous, root = truth[row["rephrase_of"]], truth[row["rephrase_root"]]
        assert previous["nlu_outcome"] != "correct" and root["nlu_outcome"] != "correct"
        assert previous["goal_id"] == root["goal_id"] == row["goal_id"]
        assert previous["user_id"] == row["user_id"]
        assert root["rephrase_of"] is None and root["role"] not in ("rephrase", "repeat")
        assert previous["attempt"] == row["attempt"] - 1
        gap = (ts[row["event_id"]] - ts[previous["event_id"]]).total_seconds()
        assert 2 <= gap <= 20
        if previous["rephrase_of"] is not None:
            assert previous["rephrase_root"] == row["rephrase_root"]
        chain_lengths[row["attempt"]] += 1
    assert chain_lengths[2] > chain_lengths[3] > 0  # fail, fail, success chains exist


def _scenario(intent: str) -> str:
    return intent.split("_")[0]


def _slot_values(row: dict) -> set:
    return {(s["name"], s["value"].casefold()) for s in row["gold_slots"] or []}


def test_switches_follow_a_failure_are_not_rephrases_and_often_keep_the_slot_values(rows):
    log_rows, truth = rows
    turns_of_user = collections.defaultdict(list)
    for row in log_rows:
        known = truth.get(row["event_id"])
        if known and known["goal_id"] and row["ts"] is not None:
            turns_of_user[known["user_id"]].append((row["ts"], known))
    same_values = switches = 0
    for turns in turns_of_user.values():
        turns = [known for _, known in sorted(turns, key=lambda pair: pair[0])]
        for before, row in zip(turns, turns[1:]):
            if row["role"] != "switch" or before["event_id"] == row["event_id"]:
                continue
            switches += 1
            assert row["rephrase_of"] is None and row["attempt"] == 1
            assert before["nlu_outcome"] != "correct"
            if (_slot_values(row) and _slot_values(row) == _slot_values(before)
                    and row["gold_intent"] != before["gold_intent"]
                    and _scenario(row["gold_intent"]) == _scenario(before["gold_intent"])):
                same_values += 1  # e.g. alarm_set at seven am, then alarm_query at seven am
    assert switches > 100
    assert same_values > 0.1 * switches


def test_sessions_cross_midnight_and_some_users_have_no_device(run):
    log, truth, _ = run
    midnight = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    timestamps = [t for t in log.column("ts").to_pylist() if t is not None]
    devices = collections.defaultdict(set)
    for user, device in zip(log.column("user_id").to_pylist(), log.column("device_id").to_pylist()):
        devices[user].add(device)

    assert any(t >= midnight for t in timestamps)
    assert all(dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc) <= t < midnight + dt.timedelta(hours=1)
               for t in timestamps)
    assert any(d == {None} for d in devices.values())
    assert any(len(d) == 2 for d in devices.values())


def test_turns_of_one_user_and_device_are_minutes_apart_within_and_far_apart_between_sessions(run):
    log, truth, _ = run
    roles = dict(zip(truth.column("event_id").to_pylist(), truth.column("role").to_pylist()))
    times = collections.defaultdict(set)
    for row in log.select(["event_id", "user_id", "device_id", "ts"]).to_pylist():
        extra = roles.get(row["event_id"]) in ("malformed", "hostile")  # copies placed near real turns
        if row["ts"] is not None and row["user_id"] is not None and not extra:
            times[(row["user_id"], row["device_id"])].add(row["ts"])
    gaps = [
        (b - a).total_seconds() for ts in times.values() for a, b in zip(sorted(ts), sorted(ts)[1:])
    ]

    assert not [g for g in gaps if 120 < g <= 600]  # within a session <= 2 min, between > 10 min
    assert any(g > 600 for g in gaps)
