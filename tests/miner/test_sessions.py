import datetime as dt

from miner.sessions import sessionize
from schemas.turns import TURNS
from tests.conftest import collected, utc

BASE = utc(2026, 11, 30, 23, 50, 0)


def turn(event_id, seconds, user="u1", device="d1", locale="en-US"):
    return (
        event_id, user, device, BASE + dt.timedelta(seconds=seconds), locale, f"text {event_id}",
        None, None, None, "success", None, 1,
    )


def sessions_of(spark, turns, **kwargs):
    df = spark.createDataFrame(turns, TURNS.spark_schema)
    rows = df.transform(sessionize, **kwargs).collect()
    return sorted(rows, key=lambda r: (r["user_key"], r["device_key"], r["ts"], r["event_id"]))


def shape(rows):
    """(event_id, session number in order of appearance, session_part, turn_index, gap_s, is_runaway)."""
    numbers = {}
    for r in rows:
        numbers.setdefault(r["session_id"], len(numbers))
    return [
        (r["event_id"], numbers[r["session_id"]], r["session_part"], r["turn_index"], r["gap_s"], r["is_runaway"])
        for r in rows
    ]


def test_gap_threshold_out_of_order_input_and_midnight(spark):
    turns = [
        turn("c", 700),  # 23:61:40 = 00:01:40 next day; 400 s after b: new session
        turn("a", 0),
        turn("b", 300),  # exactly the threshold: same session
        turn("d", 1000.5),  # 300.5 s after c: new session
    ]
    assert shape(sessions_of(spark, turns, session_gap_seconds=300)) == [
        ("a", 0, 0, 0, None, False),
        ("b", 0, 0, 1, 300.0, False),
        ("c", 1, 0, 0, None, False),
        ("d", 2, 0, 0, None, False),
    ]


def test_ties_in_ts_are_ordered_by_event_id(spark):
    turns = [turn("z", 10), turn("m", 10), turn("a", 10), turn("b", 0)]
    assert shape(sessions_of(spark, turns)) == [
        ("b", 0, 0, 0, None, False),
        ("a", 0, 0, 1, 10.0, False),
        ("m", 0, 0, 2, 0.0, False),
        ("z", 0, 0, 3, 0.0, False),
    ]


def test_sessions_belong_to_one_user_and_device(spark):
    turns = [
        turn("a", 0, device="d1"),
        turn("b", 5, device="d2"),
        turn("c", 10, device="d1"),
        turn("d", 15, user="u2", device="d1"),
    ]
    rows = sessions_of(spark, turns)
    session_of = {r["event_id"]: r["session_id"] for r in rows}
    assert session_of["a"] == session_of["c"]
    assert len({session_of["a"], session_of["b"], session_of["d"]}) == 3
    assert [(r["event_id"], r["turn_index"], r["gap_s"]) for r in rows if r["event_id"] in "ac"] == [
        ("a", 0, None), ("c", 1, 10.0),
    ]


def test_runaway_session_is_cut_into_parts_without_losing_rows(spark):
    bot = [turn(f"b{i}", 2 * i, user="bot") for i in range(7)]
    human = [turn("h0", 0), turn("h1", 4)]
    rows = sessions_of(spark, bot + human, max_session_turns=3)
    assert shape([r for r in rows if r["event_id"].startswith("b")]) == [
        ("b0", 0, 0, 0, None, True),
        ("b1", 0, 0, 1, 2.0, True),
        ("b2", 0, 0, 2, 2.0, True),
        ("b3", 1, 1, 0, None, True),
        ("b4", 1, 1, 1, 2.0, True),
        ("b5", 1, 1, 2, 2.0, True),
        ("b6", 2, 2, 0, None, True),
    ]
    assert shape([r for r in rows if r["event_id"].startswith("h")]) == [
        ("h0", 0, 0, 0, None, False), ("h1", 0, 0, 1, 4.0, False),
    ]


def test_a_session_of_exactly_max_turns_is_not_runaway_though_the_next_one_of_its_device_is(spark):
    # The turn max_session_turns after the first of a full session belongs to the device's next session.
    full = [turn(f"f{i}", 2 * i) for i in range(3)]
    longer = [turn(f"l{i}", 1000 + 2 * i) for i in range(4)]
    rows = sessions_of(spark, full + longer, max_session_turns=3)
    assert shape(rows) == [
        ("f0", 0, 0, 0, None, False),
        ("f1", 0, 0, 1, 2.0, False),
        ("f2", 0, 0, 2, 2.0, False),
        ("l0", 1, 0, 0, None, True),
        ("l1", 1, 0, 1, 2.0, True),
        ("l2", 1, 0, 2, 2.0, True),
        ("l3", 2, 1, 0, None, True),
    ]


def test_session_ids_are_deterministic_and_columns_pass_through(spark):
    turns = [turn("a", 0), turn("b", 3, locale="de-DE")]
    first, second = sessions_of(spark, turns), sessions_of(spark, list(reversed(turns)))
    assert [r["session_id"] for r in first] == [r["session_id"] for r in second]
    assert first[1].asDict() == {
        "session_id": first[0]["session_id"],
        "session_part": 0,
        "turn_index": 1,
        "gap_s": 3.0,
        "is_runaway": False,
        "event_id": "b",
        "user_key": "u1",
        "device_key": "d1",
        "ts": collected(BASE + dt.timedelta(seconds=3)),
        "locale": "de-DE",
        "utterance": "text b",
        "intent": None,
        "slots": None,
        "nlu_confidence": None,
        "status": "success",
        "rewritten_utterance": None,
        "deliveries": 1,
    }
