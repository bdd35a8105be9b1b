"""`rephrase-miner loop`: MASSIVE splits, the regression check on a mislabelled batch, and one whole loop."""

import gzip
import json
import random
from collections import Counter

import pytest

from miner.embeddings import load_static_encoder
from miner.models import resolve_model_path
from nlu import loop
from pipeline.errors import InputContractError
from simulation.simulate import load_seed_records


@pytest.fixture(scope="module")
def encode():
    return load_static_encoder(resolve_model_path("")).encode


@pytest.fixture(scope="module")
def shipped_en_us():
    """The shipped MASSIVE en-US train records (this project's subset), in file order."""
    return load_seed_records(["en-US"])["en-US"]


def record(id_, partition, utt="wake me up", intent="alarm_set"):
    return {"id": id_, "locale": "xx-XX", "partition": partition, "scenario": intent.split("_")[0],
            "intent": intent, "utt": utt, "annot_utt": utt}


def write_jsonl(path, records, compress=False):
    text = "".join(json.dumps(r) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())


def test_a_locale_with_a_train_partition_trains_on_it_and_draws_goals_from_dev(tmp_path):
    records = [record(str(n), p, intent=("alarm_set", "play_music")[n % 2])
               for n, p in enumerate(["train"] * 4 + ["dev"] * 3 + ["test"] * 2)]
    write_jsonl(tmp_path / "xx-XX.jsonl", records)
    data = loop.split_locale("xx-XX", loop.read_massive(tmp_path, "xx-XX"), seed=7)
    assert ([r["id"] for r in data.train], [r["id"] for r in data.goals], [r["id"] for r in data.test]) == (
        ["0", "1", "2", "3"], ["4", "5", "6"], ["7", "8"])
    assert data.train_source == "train"


def test_a_locale_without_train_splits_dev_by_id_and_never_reuses_a_record(tmp_path):
    dev = [record(f"d{n}", "dev", intent=("alarm_set", "play_music", "weather_query")[n % 3]) for n in range(200)]
    write_jsonl(tmp_path / "yy-YY.dev.jsonl", dev)
    write_jsonl(tmp_path / "yy-YY.test.jsonl.gz", [record("t0", "test"), {**record("t0", "test"), "utt": "dup"}],
                compress=True)
    data = loop.split_locale("yy-YY", loop.read_massive(tmp_path, "yy-YY"), seed=7)
    train_ids, goal_ids = {r["id"] for r in data.train}, {r["id"] for r in data.goals}
    assert not train_ids & goal_ids and len(train_ids | goal_ids) == 200
    assert 60 < len(train_ids) < 140  # about half
    assert [r["utt"] for r in data.test] == ["dup"]  # a record id counts once
    again = loop.split_locale("yy-YY", loop.read_massive(tmp_path, "yy-YY"), seed=7)
    assert [r["id"] for r in again.train] == [r["id"] for r in data.train]
    assert data.train_source == "50% of dev"


def test_a_launch_trains_on_a_few_seed_records_drawn_by_id_and_keeps_the_goals(tmp_path):
    dev = [record(f"d{n}", "dev", intent=("alarm_set", "play_music", "weather_query")[n % 3]) for n in range(600)]
    dev += [record(f"rare{n}", "dev", intent="alarm_remove") for n in range(4)]  # a hash draw of 20 misses them
    write_jsonl(tmp_path / "yy-YY.dev.jsonl", dev)
    write_jsonl(tmp_path / "yy-YY.test.jsonl", [record("t0", "test")])
    partitions = loop.read_massive(tmp_path, "yy-YY")
    full = loop.split_locale("yy-YY", partitions, seed=7)
    launch = loop.split_locale("yy-YY", partitions, seed=7, seed_records=20)
    assert len(launch.train) == 20 and {r["id"] for r in launch.train} < {r["id"] for r in full.train}
    assert launch.goals == full.goals and launch.test == full.test
    assert launch.train_source == "20 of 50% of dev"
    intents_in_train = Counter(r["intent"] for r in full.train)
    intents_in_launch = Counter(r["intent"] for r in launch.train)
    assert intents_in_train["alarm_remove"] >= 1
    assert intents_in_launch["alarm_remove"] == intents_in_train["alarm_remove"]  # every intent, as at a launch
    common = [intents_in_launch[i] for i in ("alarm_set", "play_music", "weather_query")]
    assert max(common) - min(common) <= 1
    assert loop.split_locale("yy-YY", partitions, seed=7, seed_records=10_000).train == full.train
    with pytest.raises(InputContractError, match="yy-YY: 1 seed records hold fewer than 2 intents"):
        loop.split_locale("yy-YY", partitions, seed=7, seed_records=1)


def test_missing_or_broken_massive_files_are_named(tmp_path):
    with pytest.raises(InputContractError, match="no such folder; give MASSIVE 1.1's folder with --massive"):
        loop.read_massive(tmp_path / "absent", "en-US")
    with pytest.raises(InputContractError, match="no MASSIVE file for zz-ZZ"):
        loop.read_massive(tmp_path, "zz-ZZ")
    write_jsonl(tmp_path / "zz-ZZ.dev.jsonl", [record("1", "dev")])
    with pytest.raises(InputContractError, match="no test partition"):
        loop.split_locale("zz-ZZ", loop.read_massive(tmp_path, "zz-ZZ"), seed=7)
    (tmp_path / "zz-ZZ.test.jsonl").write_text('{"id": "2", "partition": "test"}\n', encoding="utf-8")
    with pytest.raises(InputContractError, match=r"zz-ZZ.test.jsonl:1: not a MASSIVE record"):
        loop.read_massive(tmp_path, "zz-ZZ")


@pytest.mark.slow
def test_a_mislabelled_batch_of_records_is_flagged_as_a_regression(shipped_en_us, encode):
    """The regression check the loop relies on. A batch of mined records in which one intent's phrasings are
    labelled as another (27 of 280 records) must be flagged; the same batch labelled right must not."""
    records = list(shipped_en_us)
    random.Random(0).shuffle(records)  # the shipped file is in MASSIVE's order, grouped by intent
    train, pool, test = records[:4000], records[4000:6000], records[6000:8000]
    batch = [r for r in pool if r["intent"] in ("alarm_set", "alarm_query", "calendar_set", "news_query")]
    data = loop.LocaleData("en-US", train, [], test, "train")
    before = loop.correct_on_test(loop.train(data, [], encode), data)

    def retrained_verdict(label):
        mined = [{"utt": r["utt"], "intent": label(r), "weight": 0.8, "support_users": 5} for r in batch]
        return loop.compare(data, before, loop.correct_on_test(loop.train(data, mined, encode), data), seed=7)

    honest = retrained_verdict(lambda r: r["intent"])
    mislabelled = retrained_verdict(lambda r: "calendar_query" if r["intent"] == "alarm_set" else r["intent"])
    assert sum(r["intent"] == "alarm_set" for r in batch) == 27
    assert honest["regression"] is False and honest["accuracy"]["low"] >= -0.5
    assert "alarm_set" not in [r["intent"] for r in honest["regressed_intents"]]
    assert mislabelled["regression"] is True
    assert mislabelled["regressed_intents"][0]["intent"] == "alarm_set"
    assert mislabelled["accuracy"]["delta"] < honest["accuracy"]["delta"]


@pytest.mark.integration
def test_one_command_trains_simulates_mines_retrains_and_reports(spark, shipped_en_us, tmp_path, capsys):
    massive = tmp_path / "massive"
    massive.mkdir()
    partitions = ["train"] * 3000 + ["dev"] * 1500 + ["test"] * 600
    write_jsonl(massive / "en-US.jsonl", [{**r, "partition": p} for r, p in zip(shipped_en_us, partitions)])
    config = tmp_path / "miner.toml"
    config.write_text("shuffle_partitions = 2\n", encoding="utf-8")  # the suite's session keeps its settings
    out = tmp_path / "loop"
    argv = ["--massive", str(massive), "--out", str(out), "--locales", "en-US", "--days", "2", "--users", "600",
            "--config", str(config)]
    report = loop.run(loop.parse_args(argv))

    assert [day["day"] for day in report["days"]] == ["2026-11-30", "2026-12-01"]
    assert report["locales"]["en-US"]["train_records"] == 3000
    first, second = (day["locales"]["en-US"] for day in report["days"])
    assert first["failing_phrasings"] > 0 and 0.0 <= first["fix_rate"] <= 1.0
    assert first["records_added"] > 0 and second["records_added"] >= first["records_added"]  # evidence accumulates
    assert first["test_utterances"] == 600
    assert second["accuracy"]["before"] == first["accuracy"]["after"]  # each retraining against the one before
    # day 1: the baseline alone; day 2: the baseline (the retrained model serves a day later) behind day 1's rewrites
    assert first["defect_rate"]["served"] == first["defect_rate"]["without_learning"] > 0
    assert first["rewrites_served"] == 0 and second["rewrites_served"] == first["rewrites_published"] > 0
    assert second["defect_rate"]["rewritten_turns"] > 0
    assert second["defect_rate"]["without_rewrites"] == second["defect_rate"]["without_learning"]
    assert second["defect_rate"]["served"] < second["defect_rate"]["without_rewrites"]
    # ... and day 1's rejected readings in the model's hypothesis ranking
    assert first["rejections_served"] == 0 and second["rejections_served"] == first["rejections_published"] > 0
    assert first["defect_rate"]["reranked_turns"] == 0 < second["defect_rate"]["reranked_turns"]
    assert report["summary"]["en-US"]["defect_rate"]["last_day"] == second["defect_rate"]["served"]
    for day in report["days"]:
        published = day["published"]
        assert json.loads(open(f"{published}/quality/nlu.json").read())["locales"]["en-US"]["fixed"] == (
            day["locales"]["en-US"]["fixed"])
        dashboard = open(f"{published}/quality/dashboard.html").read()
        assert "NLU model in the loop" in dashboard and "Readings rejected by their users" in dashboard
    assert "NLU fix rate" in (out / "root" / "published" / "index.html").read_text()
    table = (out / "loop.md").read_text()
    assert "| 2026-12-01 | en-US |" in table and "## Live defect rate" in table
    assert json.loads((out / "loop.json").read_text())["days"][1]["locales"]["en-US"]["fixed"] == second["fixed"]
    assert "[loop] 2026-12-01: retrained" in capsys.readouterr().out  # progress as it goes
    with pytest.raises(FileExistsError, match="--overwrite"):
        loop.run(loop.parse_args(argv))
