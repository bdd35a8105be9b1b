"""The sessionize application: its arguments, and hand-written turns through `run` into sessions and stats."""

import datetime as dt
import json
import shutil

import pytest

from jobs import sessionize
from pipeline.config import RunConfig
from pipeline.io import read_dataset, write_dataset
from pipeline.stages import SESSIONIZE, stats_path
from schemas.sessions import SESSIONS
from schemas.turns import TURNS
from tests.conftest import argument_error, collected, utc

T0 = utc(2026, 11, 30, 23, 59, 0)


def turn(event_id, seconds, user="user-a", locale="en-US", utterance="wake me at seven", intent="alarm_set",
         confidence=0.9):
    return (event_id, user, "device-1", T0 + dt.timedelta(seconds=seconds), locale, utterance, intent, [], confidence,
            "success", None, 1)


TURN_ROWS = [
    turn("a1", 0),
    turn("a3", 90),  # exactly 60 s after a2, across midnight: same session at --session-gap-seconds 60
    turn("a2", 30),
    turn("a4", 200),  # 110 s later: a new session
    turn("b1", 5, user="user-b", locale="de-DE", utterance="spiel jazz", intent="play_music"),
    turn("b2", 15, user="user-b", locale="de-DE", utterance="hallo", intent=None, confidence=None),  # NLU gave none
]


@pytest.fixture(scope="module")
def turns_out(spark, tmp_path_factory):
    """A folder holding OUT/turns, for a copy per run (each run writes OUT/sessions and OUT/_stats)."""
    out = tmp_path_factory.mktemp("sessionize-input")
    write_dataset(spark.createDataFrame(TURN_ROWS, TURNS.spark_schema), str(out / "turns"), TURNS,
                  partition_by=("locale",))
    return out


def run_on_turns(spark, turns_out, out, *argv):
    shutil.copytree(turns_out / "turns", out / "turns")
    return sessionize.run(spark, sessionize.parse_args(["--out", str(out), *argv]))


def sessions_of(spark, out):
    rows = sorted(read_dataset(spark, str(out / "sessions"), SESSIONS).collect(), key=lambda r: r["event_id"])
    numbers = {}
    for r in rows:
        numbers.setdefault(r["session_id"], len(numbers))
    # (event_id, session number in event order, part, turn_index, gap_s, is_runaway, locale)
    return [
        (r["event_id"], numbers[r["session_id"]], r["session_part"], r["turn_index"], r["gap_s"], r["is_runaway"],
         r["locale"])
        for r in rows
    ]


def test_parse_args_defaults():
    assert vars(sessionize.parse_args(["--out", "OUT"])) == {
        "out": "OUT", "session_gap_seconds": 300.0, "max_session_turns": 200,
    }


def test_parse_args_values():
    args = sessionize.parse_args(["--out", "O", "--session-gap-seconds", "60", "--max-session-turns", "2"])
    assert (args.session_gap_seconds, args.max_session_turns) == (60.0, 2)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-session-turns", "2.5"], "argument --max-session-turns: invalid int value: '2.5'"),
        (["--session-gap-seconds", "5 min"], "argument --session-gap-seconds: invalid float value: '5 min'"),
    ],
    ids=["fractional-turns", "not-a-number"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    assert f"sessionize: error: {message}" in argument_error(sessionize.parse_args, ["--out", "O", *argv], capsys)


def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings():
    config = RunConfig(session_gap_seconds=120.0, max_session_turns=50)
    args = sessionize.parse_args(SESSIONIZE.argv({**config.as_dict(), "out": "OUT"}))
    assert vars(args) == {"out": "OUT", "session_gap_seconds": 120.0, "max_session_turns": 50}


def test_run_cuts_sessions_at_the_gap_and_runaways_into_parts(spark, turns_out, tmp_path):
    out = tmp_path / "out"
    stats = run_on_turns(spark, turns_out, out, "--session-gap-seconds", "60", "--max-session-turns", "2")

    assert stats == {
        "turns": 6, "sessions": 3, "session_ids": 4, "runaway_sessions": 1, "runaway_turns": 3,
        "longest_session_part_turns": 2, "rows_out": 6,
    }
    assert json.loads(open(stats_path(str(out), "sessionize")).read()) == stats
    assert sessions_of(spark, out) == [
        ("a1", 0, 0, 0, None, True, "en-US"),
        ("a2", 0, 0, 1, 30.0, True, "en-US"),
        ("a3", 1, 1, 0, None, True, "en-US"),  # the runaway session's second part starts afresh
        ("a4", 2, 0, 0, None, False, "en-US"),
        ("b1", 3, 0, 0, None, False, "de-DE"),
        ("b2", 3, 0, 1, 10.0, False, "de-DE"),
    ]
    # every turn's own columns come through unchanged, nulls included
    b2 = read_dataset(spark, str(out / "sessions"), SESSIONS).where("event_id = 'b2'").first()
    assert (b2["ts"], b2["utterance"], b2["intent"], b2["nlu_confidence"], b2["deliveries"]) == (
        collected(T0 + dt.timedelta(seconds=15)), "hallo", None, None, 1,
    )
    # a working set, not partitioned by locale: a partitioned write sorts every row first
    assert [p.name for p in (out / "sessions").iterdir() if p.is_dir()] == []


def test_run_with_the_default_gap_and_limit_keeps_each_users_turns_together(spark, turns_out, tmp_path):
    out = tmp_path / "out"
    stats = run_on_turns(spark, turns_out, out)

    assert stats == {
        "turns": 6, "sessions": 2, "session_ids": 2, "runaway_sessions": 0, "runaway_turns": 0,
        "longest_session_part_turns": 4, "rows_out": 6,
    }
    assert [(e, n, index) for e, n, _, index, *_ in sessions_of(spark, out)] == [
        ("a1", 0, 0), ("a2", 0, 1), ("a3", 0, 2), ("a4", 0, 3), ("b1", 1, 0), ("b2", 1, 1),
    ]
