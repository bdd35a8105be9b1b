"""The aggregate application: its arguments, and the mined day's candidates, outcomes and phrasings through `run`
into pairs, labels and stats."""

import json
import shutil

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F

from jobs import aggregate
from pipeline.config import RunConfig
from pipeline.io import read_dataset
from pipeline.stages import AGGREGATE, stats_path
from schemas.candidates import CANDIDATES
from schemas.feedback import READING_FEEDBACK
from schemas.labels import LABELS
from schemas.pairs import PAIRS
from schemas.sketches import LABEL_USERS, PAIR_USERS
from tests.conftest import argument_error
from tests.jobs.mined_day import ALARM, JAZZ, SHORT_ALARM, STAGE_INPUTS, WAKE, stage_out


@pytest.fixture(scope="module")
def inputs_out(spark, tmp_path_factory):
    """OUT holding only what the aggregate stage reads, from the mined day, to copy for each run."""
    return stage_out(spark, tmp_path_factory, "aggregate")


def run_on_inputs(spark, inputs_out, name, *argv):
    out = inputs_out.parent / name
    for dataset in STAGE_INPUTS["aggregate"]:
        shutil.copytree(inputs_out / dataset, out / dataset)
    return out, aggregate.run(spark, aggregate.parse_args(["--out", str(out), *argv]))


def pairs_of(spark, out):
    return {r["kind"]: r.asDict() for r in read_dataset(spark, str(out / "pairs"), PAIRS).collect()}


def test_parse_args_defaults():
    assert vars(aggregate.parse_args(["--out", "OUT"])) == {"out": "OUT", "min_users": 3, "intent_prior": True}


@pytest.mark.parametrize("text, expected", [("false", False), ("FALSE", False), ("True", True), (" true ", True)])
def test_parse_args_intent_prior_is_a_boolean_in_any_case(text, expected):
    assert aggregate.parse_args(["--out", "O", "--intent-prior", text]).intent_prior is expected


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--intent-prior", "maybe"], "argument --intent-prior: invalid parse_bool value: 'maybe'"),
        (["--intent-prior", "1"], "argument --intent-prior: invalid parse_bool value: '1'"),
        (["--min-users", "three"], "argument --min-users: invalid int value: 'three'"),
    ],
    ids=["not-a-boolean", "a-number-is-not-a-boolean", "floor-in-words"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    assert f"aggregate: error: {message}" in argument_error(aggregate.parse_args, ["--out", "O", *argv], capsys)


@pytest.mark.parametrize("intent_prior", [True, False])
def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings(intent_prior):
    # the stage renders a boolean as str(value): "True" / "False"
    config = RunConfig(min_users=4, intent_prior=intent_prior)
    assert vars(aggregate.parse_args(AGGREGATE.argv({**config.as_dict(), "out": "OUT"}))) == {
        "out": "OUT", "min_users": 4, "intent_prior": intent_prior,
    }


@pytest.mark.slow
def test_run_pools_the_rephrase_labels_the_failing_phrasing_and_keeps_the_variant(spark, inputs_out):
    out, stats = run_on_inputs(spark, inputs_out, "defaults")

    assert stats == {
        "pairs_by_kind": {"rephrase": 1, "variant": 1}, "labels": 1, "min_users": 3, "intent_prior": True,
        "served_rewrites": 0, "served_readings": 3, "rows_out": 2,
    }
    assert json.loads(open(stats_path(str(out), "aggregate")).read()) == stats
    # the failing "wake me at seven" was read as no intent: no reading to judge; the others worked for everyone
    readings = sorted(tuple(r) for r in read_dataset(spark, str(out / "reading_feedback"), READING_FEEDBACK).collect())
    assert readings == [
        ("en-US", SHORT_ALARM, "alarm_set", 3.0, 0.0), ("en-US", JAZZ, "play_music", 2.0, 0.0),
        ("en-US", ALARM, "alarm_set", 4.0, 0.0),
    ]

    pairs = pairs_of(spark, out)
    variant_input = read_dataset(spark, str(inputs_out / "variants"), PAIRS).first().asDict()
    assert pairs["variant"] == variant_input  # the variants stage's pair, as it wrote it
    assert (variant_input["source"], variant_input["target"]) == (SHORT_ALARM, ALARM)

    rephrase = pairs["rephrase"]
    candidates = [
        r for r in read_dataset(spark, str(inputs_out / "candidates"), CANDIDATES).collect() if r["target"] == ALARM
    ]
    assert {k: rephrase[k] for k in ("locale", "source", "target", "support_users", "support_sessions",
                                     "target_intent", "success_probability")} == {
        "locale": "en-US", "source": WAKE, "target": ALARM, "support_users": 4, "support_sessions": 4,
        "target_intent": "alarm_set", "success_probability": 1.0,  # nobody who said the target met a defect
    }
    assert rephrase["mean_rephrase_probability"] == pytest.approx(
        sum(r["rephrase_probability"] for r in candidates) / len(candidates)
    )
    assert 0.3 <= rephrase["weight"] < 1.0 and rephrase["alpha"] > rephrase["beta"] >= 0.0

    (label,) = read_dataset(spark, str(out / "labels"), LABELS).collect()
    assert 0.25 <= label["weight"] < 1.0
    assert {k: v for k, v in label.asDict().items() if k != "weight"} == {
        "locale": "en-US", "source": WAKE, "intent": "alarm_set", "support_users": 5, "voters": 4,
        "surface": "Wake me at seven", "slots": [Row(name="time", value="seven")],
        "goal_head": ALARM,  # the phrasing most users succeed with for alarm_set at seven
    }


def sketched_users(spark, path, contract):
    """Each row's key and the estimate of its users' sketch."""
    key = [name for name in contract.column_names if name != "users_sketch"]
    return [tuple(r) for r in read_dataset(spark, path, contract).select(
        *key, F.hll_sketch_estimate("users_sketch")
    ).collect()]


@pytest.mark.slow
def test_run_sketches_the_users_it_counted_behind_each_rephrase_and_label(spark, inputs_out):
    out, _ = run_on_inputs(spark, inputs_out, "sketches")

    # The very users of support_users: account-1 .. account-4 rephrased, and account-5 failed too. The variant
    # pair has no sketch: its support adds up each goal's users, no count of one set of users.
    assert sketched_users(spark, str(out / "pair_users"), PAIR_USERS) == [("en-US", WAKE, ALARM, "rephrase", 4)]
    assert sketched_users(spark, str(out / "label_users"), LABEL_USERS) == [("en-US", WAKE, 5)]


@pytest.mark.slow
def test_run_with_a_higher_floor_and_no_prior(spark, inputs_out):
    out, stats = run_on_inputs(spark, inputs_out, "floor-5", "--min-users", "5", "--intent-prior", "false")

    # The rephrase had 4 users: below the floor. The variant pair was floored by the variants stage (which ran
    # with 3) and passes through as it is.
    assert stats == {
        "pairs_by_kind": {"variant": 1}, "labels": 1, "min_users": 5, "intent_prior": False,
        "served_rewrites": 0, "served_readings": 3, "rows_out": 1,
    }
    assert list(pairs_of(spark, out)) == ["variant"]
    assert read_dataset(spark, str(out / "pair_users"), PAIR_USERS).count() == 0  # no rephrase, no sketch
    (label,) = read_dataset(spark, str(out / "labels"), LABELS).collect()
    # the phrasing still failed for 5 users; its goal's head, said by 4, no longer reaches the floor
    assert (label["source"], label["intent"], label["support_users"], label["goal_head"]) == (
        WAKE, "alarm_set", 5, None,
    )
