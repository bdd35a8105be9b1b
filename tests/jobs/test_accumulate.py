"""The accumulate application: its arguments, which days it merges, and hand-written mined days through `run`
into the running state, pairs, labels and stats."""

import json

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs import accumulate
from miner.posterior import beta_lower_bound
from miner.sketches import users_sketch
from pipeline.config import RunConfig
from pipeline.io import read_dataset, write_dataset
from pipeline.stages import ACCUMULATE, stats_path
from pipeline.storage import write_json
from pipeline.warehouse import current_pointer, day_dir
from schemas.feedback import FEEDBACK, READING_FEEDBACK
from schemas.labels import LABELS
from schemas.pairs import PAIRS
from schemas.sketches import LABEL_USERS, PAIR_USERS
from schemas.state import LABEL_STATE, PAIR_STATE
from tests.conftest import argument_error

WAKE, ALARM, JAZZ = "wake me at seven", "set an alarm for seven", "play jazz"
SEVEN = [Row(name="time", value="seven")]


def pair(source, target, alpha, beta, users, score, kind="rephrase", intent="alarm_set", semantic=0.8):
    weight = float(beta_lower_bound([alpha], [beta])[0])
    return ("en-US", source, target, kind, weight, users, users, intent, 0.9, 0.5, score, alpha, beta, 0.7, semantic,
            0.6)


def label(source, intent, weight, voters, surface="Wake me at seven", users=5):
    return ("en-US", source, intent, weight, users, voters, surface, SEVEN, None)


def write_sketches(spark, path, users_by_key, contract):
    """{key tuple: [user keys]} -> the day's user sketches, as the aggregate stage writes them."""
    key = [name for name in contract.column_names if name != "users_sketch"]
    rows = [(*k, user) for k, users in users_by_key.items() for user in users]
    keys_df = spark.createDataFrame(rows, ", ".join(f"{name} string" for name in [*key, "user_key"]))
    sketches_df = keys_df.groupBy(*key).agg(users_sketch(F.col("user_key")).alias("users_sketch"))
    write_dataset(sketches_df, path, contract, partition_by=("locale",))


def mine(spark, root, day, pairs, labels, finished=True, pair_users=None, label_users=None):
    """A mined day as the mining stages leave it: ROOT/days/<day>/pairs, labels and (when done) aggregate stats.

    pair_users {(source, target, kind): [user keys]} and label_users {source: [user keys]}: the day's user
    sketches; None leaves them out, as for a day mined before they existed.
    """
    folder = day_dir(str(root), day)
    write_dataset(spark.createDataFrame(pairs, PAIRS.spark_schema), f"{folder}/pairs", PAIRS, partition_by=("locale",))
    write_dataset(spark.createDataFrame(labels, LABELS.spark_schema), f"{folder}/labels", LABELS,
                  partition_by=("locale",))
    if pair_users is not None:
        write_sketches(spark, f"{folder}/pair_users", {("en-US", *k): v for k, v in pair_users.items()}, PAIR_USERS)
    if label_users is not None:
        write_sketches(spark, f"{folder}/label_users", {("en-US", k): v for k, v in label_users.items()}, LABEL_USERS)
    if finished:
        write_json(stats_path(folder, "aggregate"), {"rows_out": len(pairs)})


def without_sketch(contract):
    """The contract's schema as it was before user sketches: what the previous version's runs wrote."""
    return T.StructType([field for field in contract.spark_schema.fields if field.name != "users_sketch"])


def test_parse_args_defaults():
    assert vars(accumulate.parse_args(["--root", "R", "--ds", "2026-11-30", "--out", "O"])) == {
        "root": "R", "ds": "2026-11-30", "out": "O", "decay": 0.9, "late_days": 2, "min_users": 3,
    }


def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings():
    config = RunConfig(decay=1.0, late_days=0, min_users=5)  # no decay at all is allowed
    assert vars(accumulate.parse_args(ACCUMULATE.argv({**config.as_dict(), "root": "R", "ds": "D", "out": "O"}))) == {
        "root": "R", "ds": "D", "out": "O", "decay": 1.0, "late_days": 0, "min_users": 5,
    }


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--decay", "0"], "--decay must be in (0, 1], got 0.0"),
        (["--decay", "1.5"], "--decay must be in (0, 1], got 1.5"),
        (["--decay", "-0.5"], "--decay must be in (0, 1], got -0.5"),
        (["--late-days", "two"], "argument --late-days: invalid int value: 'two'"),
        (["--min-users", "3.5"], "argument --min-users: invalid int value: '3.5'"),
    ],
    ids=["zero-decay", "growth", "negative-decay", "late-days-in-words", "fractional-min-users"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    error = argument_error(accumulate.parse_args, ["--root", "R", "--ds", "2026-11-30", "--out", "O", *argv], capsys)
    assert f"accumulate: error: {message}" in error


def test_base_day_is_the_newest_published_day_outside_the_late_window(tmp_path):
    root = str(tmp_path)
    assert accumulate.base_day(root, "2026-11-30", 2) is None  # nothing published yet
    for day in ("2026-11-26", "2026-11-27", "2026-11-28"):
        write_json(current_pointer(root, day), {"ds": day, "version": "v1"})
    (tmp_path / "published" / "2026-11-25").mkdir()  # a folder without a pointer was never published

    assert accumulate.base_day(root, "2026-11-30", 2) == "2026-11-27"  # 11-28 may still be re-mined
    assert accumulate.base_day(root, "2026-11-30", 1) == "2026-11-28"
    assert accumulate.base_day(root, "2026-11-30", 5) is None


def accounts(first, last):
    return [f"account-{i}" for i in range(first, last + 1)]


@pytest.mark.slow
def test_run_merges_every_mined_day_up_to_ds_with_decay(spark, tmp_path):
    root = tmp_path / "root"
    mine(spark, root, "2026-11-29",
         [pair(WAKE, ALARM, 3.0, 1.0, 4, 0.5, semantic=0.7), pair(JAZZ, "jazz please", 2.0, 0.0, 3, 0.4, kind="variant",
                                                                   intent=None)],
         [label(WAKE, "alarm_set", 0.8, 4)],
         pair_users={(WAKE, ALARM, "rephrase"): accounts(1, 4)}, label_users={WAKE: accounts(1, 5)})
    mine(spark, root, "2026-11-30", [pair(WAKE, ALARM, 2.0, 0.0, 3, 0.9, semantic=0.9)],
         [label(WAKE, "alarm_set", 0.6, 3, surface="wake me at 7")],
         pair_users={(WAKE, ALARM, "rephrase"): accounts(3, 5)}, label_users={WAKE: accounts(4, 8)})
    mine(spark, root, "2026-11-28", [pair(WAKE, JAZZ, 9.0, 0.0, 9, 0.9)], [], finished=False)  # never finished
    mine(spark, root, "2026-12-01", [pair(WAKE, JAZZ, 9.0, 0.0, 9, 0.9)], [])  # after ds
    out = root / "staging" / "2026-11-30"

    stats = accumulate.run(spark, accumulate.parse_args([
        "--root", str(root), "--ds", "2026-11-30", "--out", str(out), "--decay", "0.5",
    ]))

    assert stats == {
        "ds": "2026-11-30", "base_day": None, "days": ["2026-11-29", "2026-11-30"],
        "day_dirs": {day: day_dir(str(root), day) for day in ("2026-11-29", "2026-11-30")},
        "decay": 0.5, "min_users": 3, "pairs_by_kind": {"rephrase": 1, "variant": 1}, "labels": 1,
        "served_rewrites": 0, "rows_out": 2,
    }
    assert json.loads(open(stats_path(str(out), "accumulate")).read()) == stats

    pair_state = read_dataset(spark, str(out / "pair_state"), PAIR_STATE)
    state = {r["kind"]: r.asDict() for r in pair_state.drop("users_sketch").collect()}
    assert state["rephrase"] == {
        "locale": "en-US", "source": WAKE, "target": ALARM, "kind": "rephrase",
        "alpha": 0.5 * 3.0 + 2.0, "beta": 0.5 * 1.0, "score_mass": pytest.approx(0.5 * 0.5 + 0.9), "day_mass": 1.5,
        "support_users": 5,  # accounts 1-4, then 3-5: five users, counted once each
        "support_sessions": 7, "last_day": "2026-11-30", "target_intent": "alarm_set",
        "success_probability": pytest.approx(0.9), "reach_probability": pytest.approx(0.5),
        "mean_rephrase_probability": pytest.approx(0.7), "semantic_similarity": pytest.approx(0.9),
        "lexical_similarity": pytest.approx(0.6),
    }
    assert (state["variant"]["alpha"], state["variant"]["day_mass"], state["variant"]["last_day"]) == (
        1.0, 0.5, "2026-11-29",
    )
    sketched = {r["kind"]: r["users"] for r in pair_state.select("kind", F.hll_sketch_estimate("users_sketch")
                                                                   .alias("users")).collect()}
    assert sketched == {"rephrase": 5, "variant": None}  # no sketch for a variant: its count stands alone

    (label_state,) = read_dataset(spark, str(out / "label_state"), LABEL_STATE).collect()
    assert {k: v for k, v in label_state.asDict().items() if k != "users_sketch"} == {
        "locale": "en-US", "source": WAKE, "intent": "alarm_set",
        "vote_mass": pytest.approx(0.5 * 0.8 * 4 + 0.6 * 3), "voter_mass": 0.5 * 4 + 3.0,
        "support_users": 8, "voters": 4, "last_day": "2026-11-30", "surface": "wake me at 7", "slots": SEVEN,
        "goal_head": None,
    }
    (merged_label,) = read_dataset(spark, str(out / "labels"), LABELS).collect()
    assert (merged_label["intent"], merged_label["weight"]) == ("alarm_set", pytest.approx((1.6 + 1.8) / 5.0))
    assert merged_label["support_users"] == 8

    pairs = {r["kind"]: r for r in read_dataset(spark, str(out / "pairs"), PAIRS).collect()}
    assert (pairs["rephrase"]["alpha"], pairs["rephrase"]["beta"]) == (3.5, 0.5)
    assert pairs["rephrase"]["weight"] == pytest.approx(float(beta_lower_bound([3.5], [0.5])[0]))
    assert pairs["rephrase"]["score"] == pytest.approx((0.25 + 0.9) / 1.5)
    assert (pairs["rephrase"]["support_users"], pairs["variant"]["support_users"]) == (5, 3)
    # nothing of the unfinished day or the day after ds
    assert JAZZ not in {r["target"] for r in pairs.values()}


@pytest.mark.slow
def test_run_publishes_only_what_reaches_the_floor_in_distinct_users_across_days(spark, tmp_path):
    root = tmp_path / "root"
    for day in ("2026-11-29", "2026-11-30"):
        two_other_users = accounts(1, 2) if day == "2026-11-29" else accounts(3, 4)
        mine(spark, root, day,
             [pair(WAKE, ALARM, 2.0, 0.0, 2, 0.5), pair(JAZZ, "jazz please", 2.0, 0.0, 2, 0.4, intent="play_music")],
             [label(WAKE, "alarm_set", 0.8, 2, users=2), label(JAZZ, "play_music", 0.8, 2, users=2)],
             pair_users={(WAKE, ALARM, "rephrase"): two_other_users, (JAZZ, "jazz please", "rephrase"): accounts(1, 2)},
             label_users={WAKE: two_other_users, JAZZ: accounts(1, 2)})
    out = root / "staging" / "2026-11-30"

    stats = accumulate.run(spark, accumulate.parse_args(["--root", str(root), "--ds", "2026-11-30", "--out", str(out)]))

    # WAKE: 2 + 2 other users reach k = 3; JAZZ: the same 2 users on both days stay below it
    assert (stats["pairs_by_kind"], stats["labels"]) == ({"rephrase": 1}, 1)
    assert [(r["source"], r["support_users"]) for r in read_dataset(spark, str(out / "pairs"), PAIRS).collect()] == [
        (WAKE, 4),
    ]
    assert [(r["source"], r["support_users"]) for r in read_dataset(spark, str(out / "labels"), LABELS).collect()] == [
        (WAKE, 4),
    ]


def test_run_fails_when_ds_itself_was_not_mined(spark, tmp_path):
    root = tmp_path / "root"
    mine(spark, root, "2026-11-29", [pair(WAKE, ALARM, 3.0, 1.0, 4, 0.5)], [label(WAKE, "alarm_set", 0.8, 4)])
    out = root / "staging" / "2026-11-30"
    with pytest.raises(FileNotFoundError, match="2026-11-30 has not been mined"):
        accumulate.run(spark, accumulate.parse_args(["--root", str(root), "--ds", "2026-11-30", "--out", str(out)]))
    assert not out.exists()


def test_run_starts_from_the_last_final_published_state_decayed_by_its_age(spark, tmp_path):
    root = tmp_path / "root"
    published = root / "published" / "2026-11-27" / "v1"
    # State as runs before the user sketches wrote it: no users_sketch column.
    base_pairs = [("en-US", WAKE, ALARM, "rephrase", 8.0, 2.0, 1.6, 2.0, 6, 10, "2026-11-27", "alarm_set", 0.8, 0.4,
                   0.6, 0.5, 0.5)]
    spark.createDataFrame(base_pairs, without_sketch(PAIR_STATE)).write.parquet(str(published / "pair_state"))
    base_labels = [("en-US", WAKE, "alarm_set", 4.0, 8.0, 6, 6, "2026-11-27", "Wake me at seven", SEVEN, ALARM)]
    spark.createDataFrame(base_labels, without_sketch(LABEL_STATE)).write.parquet(str(published / "label_state"))
    write_json(current_pointer(str(root), "2026-11-27"), {"ds": "2026-11-27", "version": "v1"})
    mine(spark, root, "2026-11-27", [pair(WAKE, ALARM, 50.0, 0.0, 50, 0.9)], [])  # already in the published state
    mine(spark, root, "2026-11-30", [pair(WAKE, ALARM, 2.0, 0.0, 3, 0.9)], [label(WAKE, "alarm_set", 0.6, 3)],
         pair_users={(WAKE, ALARM, "rephrase"): accounts(1, 3)}, label_users={WAKE: accounts(1, 5)})
    out = root / "staging" / "2026-11-30"

    stats = accumulate.run(spark, accumulate.parse_args([
        "--root", str(root), "--ds", "2026-11-30", "--out", str(out), "--decay", "0.5", "--late-days", "2",
    ]))

    assert (stats["base_day"], stats["days"], stats["pairs_by_kind"], stats["labels"]) == (
        "2026-11-27", ["2026-11-30"], {"rephrase": 1}, 1,
    )
    (state,) = read_dataset(spark, str(out / "pair_state"), PAIR_STATE).select(
        "*", F.hll_sketch_estimate("users_sketch").alias("sketched_users")
    ).collect()
    # The old state's 6 users stand (today's 3 may be among them); the sketch starts with today's users.
    assert (state["support_users"], state["sketched_users"]) == (6, 3)
    age = 0.5 ** 3  # the base is three days older than ds
    assert {k: state[k] for k in ("alpha", "beta", "score_mass", "day_mass", "support_users", "support_sessions",
                                  "last_day")} == {
        "alpha": pytest.approx(age * 8.0 + 2.0), "beta": pytest.approx(age * 2.0), "score_mass": pytest.approx(
            age * 1.6 + 0.9), "day_mass": pytest.approx(age * 2.0 + 1.0), "support_users": 6, "support_sessions": 13,
        "last_day": "2026-11-30",
    }
    (label_state,) = read_dataset(spark, str(out / "label_state"), LABEL_STATE).collect()
    assert (label_state["vote_mass"], label_state["voter_mass"], label_state["goal_head"]) == (
        pytest.approx(age * 4.0 + 0.6 * 3), pytest.approx(age * 8.0 + 3.0), None,  # the latest day's goal head
    )
    assert label_state["support_users"] == 6  # max(the old state's 6, today's 5 in the sketch)


def test_run_sums_the_days_feedback_with_decay_and_reads_a_day_without_it_as_empty(spark, tmp_path):
    root = tmp_path / "root"
    for day in ("2026-11-29", "2026-11-30"):
        mine(spark, root, day, [pair(WAKE, ALARM, 3.0, 1.0, 4, 0.5)], [label(WAKE, "alarm_set", 0.8, 4)])
    older = day_dir(str(root), "2026-11-29")
    write_dataset(spark.createDataFrame([("en-US", WAKE, ALARM, 2.0, 1.0)], FEEDBACK.spark_schema),
                  f"{older}/feedback", FEEDBACK)
    write_dataset(spark.createDataFrame([("en-US", WAKE, "alarm_query", 4.0, 4.0)], READING_FEEDBACK.spark_schema),
                  f"{older}/reading_feedback", READING_FEEDBACK)
    # ds was mined without rewrites served (no feedback) but with readings
    readings = [("en-US", WAKE, "alarm_query", 2.0, 1.0), ("en-US", JAZZ, "play_radio", 3.0, 0.0)]
    write_dataset(spark.createDataFrame(readings, READING_FEEDBACK.spark_schema),
                  f"{day_dir(str(root), '2026-11-30')}/reading_feedback", READING_FEEDBACK)
    out = root / "staging" / "2026-11-30"

    stats = accumulate.run(spark, accumulate.parse_args([
        "--root", str(root), "--ds", "2026-11-30", "--out", str(out), "--decay", "0.5",
    ]))

    assert stats["served_rewrites"] == 1
    assert [tuple(r) for r in read_dataset(spark, str(out / "feedback"), FEEDBACK).collect()] == [
        ("en-US", WAKE, ALARM, 1.0, 0.5),
    ]
    assert sorted(tuple(r) for r in read_dataset(spark, str(out / "reading_feedback"), READING_FEEDBACK).collect()) == [
        ("en-US", JAZZ, "play_radio", 3.0, 0.0), ("en-US", WAKE, "alarm_query", 4.0, 3.0),
    ]
