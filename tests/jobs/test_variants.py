"""The variants application: its arguments, and the mined day's outcomes through `run` into phrasings,
goal phrasings, variant pairs and stats."""

import json
import shutil

import pytest

from jobs import variants
from miner.posterior import beta_lower_bound
from pipeline.config import RunConfig
from pipeline.io import read_dataset
from pipeline.stages import VARIANTS, stats_path
from schemas.pairs import PAIRS
from schemas.phrasings import GOAL_PHRASINGS, PHRASINGS
from tests.conftest import argument_error
from tests.jobs.mined_day import ALARM, JAZZ, SHORT_ALARM, WAKE, stage_out


@pytest.fixture(scope="module")
def outcomes_out(spark, tmp_path_factory):
    """OUT holding only the mined day's outcomes, to copy for each run."""
    return stage_out(spark, tmp_path_factory, "variants")


def run_on_outcomes(spark, outcomes_out, name, *argv):
    out = outcomes_out.parent / name
    shutil.copytree(outcomes_out / "outcomes", out / "outcomes")
    return out, variants.run(spark, variants.parse_args(["--out", str(out), *argv]))


def test_parse_args_defaults():
    assert vars(variants.parse_args(["--out", "OUT"])) == {"out": "OUT", "min_users": 3, "top_phrasings_per_goal": 10}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--min-users", "3.0"], "argument --min-users: invalid int value: '3.0'"),
        (["--top-phrasings-per-goal", "all"], "argument --top-phrasings-per-goal: invalid int value: 'all'"),
    ],
    ids=["fractional-floor", "not-a-number"],
)
def test_parse_args_rejects_a_bad_value(argv, message, capsys):
    assert f"variants: error: {message}" in argument_error(variants.parse_args, ["--out", "O", *argv], capsys)


def test_parse_args_requires_out(capsys):
    with pytest.raises(SystemExit):
        variants.parse_args([])
    assert "the following arguments are required: --out" in capsys.readouterr().err


def test_the_arguments_the_pipeline_passes_parse_back_to_the_run_settings():
    config = RunConfig(min_users=4, top_phrasings_per_goal=2)
    assert vars(variants.parse_args(VARIANTS.argv({**config.as_dict(), "out": "OUT"}))) == {
        "out": "OUT", "min_users": 4, "top_phrasings_per_goal": 2,
    }


def test_run_writes_each_phrasing_each_goal_and_the_variant_pair(spark, outcomes_out):
    out, stats = run_on_outcomes(spark, outcomes_out, "defaults")

    assert stats == {"variant_pairs": 1, "rows_out": 1}
    assert json.loads(open(stats_path(str(out), "variants")).read()) == stats

    phrasings = sorted(read_dataset(spark, str(out / "phrasings"), PHRASINGS).collect(), key=lambda r: r["text"])
    assert [tuple(r) for r in phrasings] == [
        ("en-US", SHORT_ALARM, 3, 0, 1.0, None),
        ("en-US", JAZZ, 2, 0, 1.0, None),
        ("en-US", ALARM, 4, 0, 1.0, None),
        ("en-US", WAKE, 5, 5, 0.0, "Wake me at seven"),  # failed for all five; said so by four of them
    ]
    goals = sorted(read_dataset(spark, str(out / "goal_phrasings"), GOAL_PHRASINGS).collect(), key=lambda r: r["text"])
    assert [tuple(r) for r in goals] == [
        ("en-US", "alarm_set", ["time=seven"], SHORT_ALARM, 3),
        ("en-US", "play_music", [], JAZZ, 2),
        ("en-US", "alarm_set", ["time=seven"], ALARM, 4),
    ]

    # "alarm for seven" (3 users) -> the goal's most popular phrasing (4 users)
    (pair,) = read_dataset(spark, str(out / "variants"), PAIRS).collect()
    weight = pytest.approx(float(beta_lower_bound([3.0], [0.0])[0]))
    assert pair.asDict() == {
        "locale": "en-US", "source": SHORT_ALARM, "target": ALARM, "kind": "variant", "weight": weight,
        "support_users": 3, "support_sessions": 3, "target_intent": "alarm_set", "success_probability": 1.0,
        "reach_probability": None, "score": weight, "alpha": 3.0, "beta": 0.0, "mean_rephrase_probability": None,
        "semantic_similarity": None, "lexical_similarity": None,
    }


@pytest.mark.parametrize(
    "argv", [["--min-users", "4"], ["--top-phrasings-per-goal", "1"]], ids=["floor-above-3-users", "head-only"],
)
def test_run_honours_the_floor_and_the_phrasing_cap(spark, outcomes_out, argv):
    out, stats = run_on_outcomes(spark, outcomes_out, argv[0].lstrip("-"), *argv)

    assert stats == {"variant_pairs": 0, "rows_out": 0}
    assert read_dataset(spark, str(out / "variants"), PAIRS).count() == 0
    # the per-phrasing aggregates do not depend on either setting
    assert read_dataset(spark, str(out / "phrasings"), PHRASINGS).count() == 4
    assert read_dataset(spark, str(out / "goal_phrasings"), GOAL_PHRASINGS).count() == 3
