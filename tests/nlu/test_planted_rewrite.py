"""Self-aware feedback end to end: a deliberately bad rewrite planted in the runtime's table is withdrawn by the
publish after its first day of serving, and a good one served beside it is kept, with its live success."""

import collections
import datetime as dt

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from miner.embeddings import load_static_encoder
from miner.models import resolve_model_path
from miner.text import normalize
from nlu import classifier as nlu
from pipeline.config import RunConfig
from pipeline.runner import run_pipeline
from simulation.simulate import load_seed_records, write_simulation

pytestmark = pytest.mark.integration

LOCALE = "sw-KE"
DAY = dt.date(2026, 11, 30)
USERS = 500


def quiet(*_args, **_kwargs):
    pass


def popular_correct_phrasings(truth) -> list[tuple[str, str, int]]:
    """(normalized phrasing, intent, users) of the opening turns the model read right, most users first."""
    opened = truth.filter(pc.and_(pc.equal(truth["role"], "first"), pc.equal(truth["nlu_outcome"], "correct")))
    users = collections.defaultdict(set)
    for said, intent, user in zip(*(opened[c].to_pylist() for c in ("utterance", "gold_intent", "user_id"))):
        users[(normalize(said), intent)].add(user)
    return sorted(((text, intent, len(who)) for (text, intent), who in users.items()), key=lambda f: (-f[2], f[0]))


def test_a_planted_bad_rewrite_is_withdrawn_after_one_day_and_a_good_one_is_kept(spark, tmp_path):
    records = load_seed_records([LOCALE])[LOCALE]  # the shipped dev subset: half trains, half are the goals
    encode = load_static_encoder(resolve_model_path("")).encode
    model = nlu.train_intent_model([r["utt"] for r in records[::2]], [r["intent"] for r in records[::2]], encode)
    goals = {LOCALE: records[1::2]}
    write_simulation(tmp_path / "before", goals, USERS, DAY, 7, 1, readers={LOCALE: model}, log=quiet)
    phrasings = popular_correct_phrasings(pq.read_table(tmp_path / "before" / "truth.parquet"))

    (bad_source, bad_intent, _), (good_source, good_intent, _) = phrasings[:2]
    # the bad target: a popular phrasing of another scenario, which the model reads as that other intent
    bad_target = next(text for text, intent, _ in phrasings if intent.split("_")[0] != bad_intent.split("_")[0])
    # the good target: another phrasing the model reads as the source's own intent
    good_target = next(text for text, intent, _ in phrasings if intent == good_intent and text != good_source)
    rewrites = {LOCALE: {bad_source: bad_target, good_source: good_target}}

    served_day = DAY + dt.timedelta(days=1)
    write_simulation(tmp_path / "served", goals, USERS, served_day, 7, 1, readers={LOCALE: model},
                     traffic_seed=8, rewrites=rewrites, log=quiet)
    out = tmp_path / "run"
    run_pipeline(str(tmp_path / "served" / "logs"), str(out), RunConfig(shuffle_partitions=2), None, quiet)

    feedback = {(r["source"], r["target"]): r for r in pq.read_table(out / "feedback").to_pylist()}
    assert feedback[(bad_source, bad_target)]["failed_users"] >= 3
    good = feedback[(good_source, good_target)]
    assert good["served_users"] >= 3 and good["failed_users"] < good["served_users"] / 2
    withdrawn = {(r["source"], r["target"]): r["reason"] for r in pq.read_table(out / "withdrawn_rewrites").to_pylist()}
    assert withdrawn == {(bad_source, bad_target): "failed"}
