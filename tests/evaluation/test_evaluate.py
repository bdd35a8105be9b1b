"""`rephrase-miner evaluate` on a tiny hand-written run and truth file."""

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evaluation.evaluate import main, parse_args, run
from miner.defaults import MIN_USERS
from pipeline.errors import InputContractError
from schemas.outputs import REWRITES
from schemas.pairs import PAIRS
from schemas.sessions import SESSIONS
from schemas.truth import TRUTH as TRUTH_CONTRACT
from tests.conftest import utc

T0 = utc(2026, 11, 30, 8)


def truth_row(event_id, user, utterance, gold, role="first", outcome="correct", rephrase_of=None):
    return {
        "event_id": event_id, "locale": "en-US", "user_id": user, "utterance": utterance, "gold_intent": gold,
        "gold_slots": [], "goal_id": f"g-{gold}", "role": role, "nlu_outcome": outcome, "rephrase_of": rephrase_of,
        "rephrase_root": rephrase_of, "attempt": 1, "surface": "clean", "defect": None, "deliveries": 1,
    }


TRUTH = [
    # "wake me at seven" is misread for 4 users; 3 rephrase it, 1 switches goal
    truth_row("t1", "u1", "wake me at seven", "alarm_set", outcome="friction"),
    truth_row("t2", "u1", "set an alarm for seven", "alarm_set", "rephrase", rephrase_of="t1"),
    truth_row("t3", "u2", "Wake me at seven", "alarm_set", outcome="friction"),
    truth_row("t4", "u2", "set an alarm for seven", "alarm_set", "rephrase", rephrase_of="t3"),
    truth_row("t7", "u3", "wake me at seven", "alarm_set", outcome="friction"),
    truth_row("t8", "u3", "set an alarm for seven", "alarm_set", "rephrase", rephrase_of="t7"),
    truth_row("t9", "u4", "wake me at seven", "alarm_set", outcome="friction"),
    truth_row("t10", "u4", "what's the weather", "weather_query", "switch"),
    # "play jazz" is misread for one user only
    truth_row("t5", "u1", "play jazz", "music_play", outcome="friction"),
    truth_row("t6", "u1", "play some jazz", "music_play", "rephrase", rephrase_of="t5"),
]


def session_turn(user, index, seconds, utterance, status, intent=None):
    return {
        "session_id": f"s-{user}", "session_part": 0, "turn_index": index, "gap_s": None, "is_runaway": False,
        "event_id": f"{user}-{index}", "user_key": user, "device_key": "dev", "ts": T0 + dt.timedelta(seconds=seconds),
        "locale": "en-US", "utterance": utterance, "intent": intent, "slots": None, "nlu_confidence": 0.9,
        "status": status, "deliveries": 1,
    }


SESSIONS_ROWS = [
    session_turn("k1", 0, 0, "wake me at seven", "error"),
    session_turn("k1", 1, 10, "set an alarm for seven", "success", "alarm_set"),  # token-set ratio 57.9
    session_turn("k1", 2, 100, "play jazz", "error"),
    session_turn("k1", 3, 120, "play some jazz", "success", "music_play"),  # one user only
    session_turn("k2", 0, 0, "Wake me at seven", "error"),
    session_turn("k2", 1, 10, "set an alarm for seven", "success", "alarm_set"),
    session_turn("k3", 0, 0, "wake me at seven", "error"),
    session_turn("k3", 1, 90, "set an alarm for seven", "success", "alarm_set"),  # too late to vote
    session_turn("k4", 0, 0, "wake me at seven", "error"),
    session_turn("k4", 1, 10, "what's the weather", "success", "weather_query"),  # votes, but not similar
]


def pair(source, target, kind):
    return {
        "locale": "en-US", "source": source, "target": target, "kind": kind, "weight": 0.5, "support_users": 3,
        "support_sessions": 3, "target_intent": None, "success_probability": None, "reach_probability": None,
        "score": 0.5, "alpha": 3.0, "beta": 1.0, "mean_rephrase_probability": None, "semantic_similarity": None,
        "lexical_similarity": None,
    }


def training(utt, intent):
    return {
        "id": f"id-{utt}", "locale": "en-US", "partition": "train", "scenario": intent.split("_")[0],
        "intent": intent, "utt": utt, "annot_utt": utt, "kind": "rephrase", "weight": 0.8, "support_users": 3,
        "run_id": "run-1",
    }


def write_partitioned(rows, schema, path):
    pq.write_to_dataset(pa.Table.from_pylist(rows, schema=schema), path, partition_cols=["locale"])


@pytest.fixture
def inputs(tmp_path):
    run_dir, truth_file = tmp_path / "run", tmp_path / "sim" / "truth.parquet"
    truth_file.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(TRUTH, schema=TRUTH_CONTRACT.arrow_schema), truth_file)
    write_partitioned(SESSIONS_ROWS, SESSIONS.arrow_schema, run_dir / "sessions")
    write_partitioned(
        [pair("wake me at seven", "set an alarm for seven", "rephrase"), pair("play jazz", "set an alarm for seven", "variant")],
        PAIRS.arrow_schema, run_dir / "pairs",
    )
    write_partitioned(
        [{"locale": "en-US", "source": "wake me at seven", "target": "set an alarm for seven", "weight": 0.7,
          "target_intent": "alarm_set", "support_users": 3, "served_users": 0.0, "live_success_rate": None}],
        REWRITES.arrow_schema, run_dir / "rewrites",
    )
    (run_dir / "training").mkdir()
    records = [training("wake me at seven", "alarm_set"), training("play jazz", "alarm_set")]
    (run_dir / "training" / "en-US.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return run_dir, truth_file, tmp_path / "eval"


def labels(records, correct, recalled, failing_phrasings=1):
    return {
        "records": records, "correct_records": correct, "label_precision": correct / records if records else None,
        "recalled_phrasings": recalled, "recall": recalled / failing_phrasings, "pairs": None, "replay": None,
    }


MINER = {
    **labels(2, 1, 1),
    "pairs": {
        "rephrase": {"pairs": 1, "same_intent": 1, "precision": 1.0},
        "variant": {"pairs": 1, "same_intent": 0, "precision": 0.0},
        "all": {"pairs": 2, "same_intent": 1, "precision": 0.5},
    },
    "replay": {
        "all": {"failing_turns": 5, "rewritten": 4, "wins": 4, "losses": 0, "unchanged": 1, "win_loss_ratio": None,
                "defect_reduction": 0.8},
        "recurring": {"failing_turns": 4, "rewritten": 4, "wins": 4, "losses": 0, "unchanged": 0,
                      "win_loss_ratio": None, "defect_reduction": 1.0},
        "correct_turns_broken": 0,
    },
}

LOCALE = {
    "scope": {"goal_turns": 10, "failing_turns": 5, "recurring_failing_turns": 4, "failing_phrasings": 1},
    "systems": {
        "miner": MINER,
        "baseline_a@3": labels(1, 1, 1),  # k1, k2 (alarm_set) against k4 (weather_query)
        "baseline_b@3": labels(0, 0, 0),  # k4's vote is not similar: 2 users left
        "baseline_a@2": labels(1, 1, 1),
        "baseline_b@2": labels(1, 1, 1),
    },
}


@pytest.mark.slow
def test_evaluation_json_markdown_and_printed_tables(spark, inputs, capsys):
    run_dir, truth_file, out = inputs
    assert main(["--run", str(run_dir), "--truth", str(truth_file), "--out", str(out)]) == 0
    assert json.loads((out / "evaluation.json").read_text()) == {
        "run": str(run_dir), "truth": str(truth_file), "min_users": 3,
        "systems": ["miner", "baseline_a@3", "baseline_b@3", "baseline_a@2", "baseline_b@2"],
        "locales": {"en-US": LOCALE, "all": LOCALE},
    }
    miner_row = "| en-US | miner | 2 | 50.0% | 100.0% | 50.0% | 4 | 0 | ∞ | 80.0% |"
    assert miner_row in capsys.readouterr().out
    document = (out / "evaluation.md").read_text()
    assert miner_row in document and "## Definitions" in document


def test_a_truth_file_without_a_needed_column_is_named(spark, inputs):
    run_dir, truth_file, out = inputs
    without_role = TRUTH_CONTRACT.arrow_schema.remove(TRUTH_CONTRACT.arrow_schema.get_field_index("role"))
    pq.write_table(pa.Table.from_pylist([{k: v for k, v in TRUTH[0].items() if k != "role"}], schema=without_role), truth_file)
    with pytest.raises(InputContractError, match="column 'role': missing"):
        run(spark, parse_args(["--run", str(run_dir), "--truth", str(truth_file), "--out", str(out)]))


def test_min_users_is_an_option_of_at_least_one():
    assert parse_args(["--run", "r", "--truth", "t", "--out", "o", "--min-users", "2"]).min_users == 2
    with pytest.raises(SystemExit):
        parse_args(["--run", "r", "--truth", "t", "--out", "o", "--min-users", "0"])


def test_min_users_defaults_to_the_runs_own_floor(tmp_path):
    def min_users(*extra):
        return parse_args(["--run", str(tmp_path), "--truth", "t", "--out", "o", *extra]).min_users

    assert min_users() == MIN_USERS  # no manifest
    (tmp_path / "manifest.json").write_text(json.dumps({"run_id": "2026-11-30 v1", "stages": {}}))
    assert min_users() == MIN_USERS  # a manifest without the run's settings
    (tmp_path / "manifest.json").write_text(json.dumps({"config": {"min_users": 5, "decay": 0.9}}))
    assert min_users() == 5
    assert min_users("--min-users", "2") == 2  # the option wins
