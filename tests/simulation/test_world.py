"""The log simulator's world and users: exact mechanics on hand-made records, properties on a small run."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import io
import json
import math
from importlib import resources

import numpy as np
import pyarrow as pa
import pytest
import regex

from schemas.interactions import INTERACTIONS, STATUSES
from simulation import world as sim

DAY = dt.date(2026, 11, 30)
SMALL = sim.SimulationConfig(bot_hours=0.05, users_per_batch=400)  # a 90-turn bot keeps runs fast


def _record(intent: str, annot_utt: str, scenario: str | None = None) -> dict:
    return {"scenario": scenario or intent.split("_")[0], "intent": intent, "annot_utt": annot_utt}


ALARM_RECORDS = [
    _record("alarm_set", "wake me up at [time : seven am]"),
    _record("alarm_set", "set an alarm for [time : six pm]"),
    _record("alarm_set", "alarm for [date : monday] at [time : nine]"),
    _record("alarm_query", "what alarms do i have at [time : five am]"),
    _record("alarm_query", "show my alarms"),
    _record("weather_query", "weather from [date : monday] to [date : friday]"),
]


def _shipped(name: str, folder: str = "massive") -> list[dict]:
    path = resources.files("miner").joinpath("data", folder, name)
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def seed_records() -> dict[str, list[dict]]:
    return {"en-US": _shipped("en-US.train.jsonl.gz"), "sw-KE": _shipped("sw-KE.dev.jsonl.gz")}


@pytest.fixture(scope="module")
def worlds(seed_records) -> dict[str, sim.LocaleWorld]:
    return {locale: sim.LocaleWorld(locale, records, seed=7, config=SMALL) for locale, records in seed_records.items()}


@pytest.fixture(scope="module")
def run(worlds):
    """600 users per locale: enough for every hostile phrasing to recur across >= 5 users."""
    specs = sim.plan_batches(list(worlds), 600, SMALL)
    batches = [sim.simulate_batch(worlds[spec.locale], spec, DAY) for spec in specs]
    stats = sim.BatchStats()
    for batch in batches:
        stats.add(batch.stats)
    log = pa.Table.from_batches([b.log for b in batches])
    truth = pa.Table.from_batches([b.truth for b in batches])
    return log, truth, stats


@pytest.fixture(scope="module")
def rows(run):
    log, truth, _ = run
    return log.to_pylist(), {r["event_id"]: r for r in truth.to_pylist()}


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


# -- the world ----------------------------------------------------------------------------------------


def test_a_carrier_of_the_same_intent_and_slot_names_carries_the_goals_values():
    world = sim.LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    seven_am = world.goal_index("alarm_set", {"time": ("seven am",)})
    alarm_for = next(c.index for c in world.carriers if c.pieces[0][0] == "set an alarm for ")

    phrasing = world.phrasings[world.phrasing_ids(np.array([seven_am]), np.array([alarm_for]))[0]]

    assert phrasing.text == "set an alarm for seven am"
    assert phrasing.slots == (("time", "seven am"),)
    assert world.goals[seven_am].own_carrier == 0  # the goal comes from the first record


def test_repeated_slot_names_are_filled_in_order():
    world = sim.LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    goal = world.goal_index("weather_query", {"date": ("sunday", "tuesday")})

    phrasing = world.phrasings[world.phrasing_ids(np.array([goal]), np.array([5]))[0]]

    assert phrasing.text == "weather from sunday to tuesday"


def test_goal_ids_are_content_hashes():
    world = sim.LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    again = sim.LocaleWorld("en-US", list(reversed(ALARM_RECORDS)), seed=99, config=SMALL)
    goal = world.goals[world.goal_index("alarm_set", {"time": ("seven am",)})]
    same = again.goals[again.goal_index("alarm_set", {"time": ("seven am",)})]

    assert goal.goal_id == same.goal_id
    assert goal.goal_id != world.goals[world.goal_index("alarm_set", {"time": ("six pm",)})].goal_id


def test_a_same_values_switch_keeps_the_slot_values_in_the_same_scenario():
    world = sim.LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    seven_am = world.goal_index("alarm_set", {"time": ("seven am",)})

    switched = world.goals[world.same_values_goal(seven_am, 0.0)]

    assert (switched.intent, dict(switched.values)) == ("alarm_query", {"time": ("seven am",)})
    assert switched.own_carrier == -1  # made up: no seed record says "what alarms ... at seven am"
    no_sibling = world.goal_index("weather_query", {"date": ("monday", "friday")})
    assert world.same_values_goal(no_sibling, 0.0) == -1


def test_the_nlu_is_a_function_of_the_normalized_text(seed_records, worlds):
    world = worlds["sw-KE"]
    other = sim.LocaleWorld("sw-KE", seed_records["sw-KE"], seed=7, config=SMALL)
    goal = world.goals[0]

    assert world.read("wake me up at five am", goal) == other.read("wake me up at five am", goal)
    assert world.read("  Wake me up at FIVE am!", goal) == world.read("wake me up at five am", goal)


def test_about_a_fifth_of_phrasings_are_misread_in_every_way(worlds):
    world = worlds["en-US"]
    reads = [world.read(c.pieces and "".join(p for p, _ in c.pieces), world.goals[0]) for c in world.carriers]
    outcomes = collections.Counter(r.outcome for r in reads)

    assert 0.17 < 1 - outcomes["correct"] / len(reads) < 0.23
    assert set(outcomes) == set(sim.OUTCOMES)
    for read in reads:
        if read.outcome == "correct":
            assert (read.intent, read.status) == (world.goals[0].intent, "success")
        elif read.outcome == "silent":  # looks like a success
            assert read.status == "success" and read.intent != world.goals[0].intent
            assert 0.55 <= read.confidence <= 0.95
        elif read.outcome == "friction":
            assert read.status in ("error", "unhandled") and read.confidence < 0.45
        else:
            assert read.status == {"bargein": "interrupted", "cancel": "cancelled"}[read.outcome]
    # confidence alone does not separate right from wrong
    assert any(r.outcome == "correct" and r.confidence < 0.5 for r in reads)


def test_segmented_zipf_draws_stay_in_their_segment_and_favour_the_top_rank():
    zipf = sim.SegmentedZipf([[10, 11, 12], [20], [30, 31]], exponent=1.1)
    rng = np.random.default_rng(0)
    segments = rng.integers(0, 3, 30_000)

    drawn = zipf.draw(rng, segments)

    allowed = {0: {10, 11, 12}, 1: {20}, 2: {30, 31}}
    assert all(d in allowed[s] for s, d in zip(segments.tolist(), drawn.tolist()))
    counts = collections.Counter(drawn[segments == 0].tolist())
    assert counts[10] > counts[11] > counts[12]
    assert counts[10] / counts[11] == pytest.approx(2**1.1, rel=0.1)


# -- a whole run -----------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_tables_and_another_seed_does_not(seed_records, run):
    # fresh worlds here, used ones in `run`: the output does not depend on what ran before
    log, truth, _ = run
    again_log, again_truth, _ = sim.simulate_tables(seed_records, 600, DAY, seed=7, config=SMALL)
    other_log, _, _ = sim.simulate_tables({"sw-KE": seed_records["sw-KE"]}, 100, DAY, seed=8, config=SMALL)

    assert _ipc_bytes(again_log) == _ipc_bytes(log)
    assert _ipc_bytes(again_truth) == _ipc_bytes(truth)
    other_ids = set(other_log.column("event_id").drop_null().to_pylist())
    assert other_ids.isdisjoint(log.column("event_id").drop_null().to_pylist())


def test_a_batch_does_not_depend_on_the_phrasing_cache(seed_records, worlds, run):
    spec = sim.BatchSpec("sw-KE", 400, 450)
    forgetful = sim.LocaleWorld(
        "sw-KE", seed_records["sw-KE"], seed=7, config=sim.SimulationConfig(max_cached_phrasings=10)
    )
    sim.simulate_batch(forgetful, sim.BatchSpec("sw-KE", 0, 100), DAY)  # fills the cache: forgotten next
    assert len(forgetful.phrasings) > 10

    batch = sim.simulate_batch(forgetful, spec, DAY)
    expected = sim.simulate_batch(worlds["sw-KE"], spec, DAY)  # a world that has run 600 users

    assert _ipc_bytes(pa.Table.from_batches([batch.log])) == _ipc_bytes(pa.Table.from_batches([expected.log]))
    assert _ipc_bytes(pa.Table.from_batches([batch.truth])) == _ipc_bytes(pa.Table.from_batches([expected.truth]))


def test_the_log_has_the_contracts_columns_and_types_and_the_truth_its_schema(run):
    log, truth, _ = run

    assert log.schema.names == INTERACTIONS.arrow_schema.names
    assert [f.type for f in log.schema] == [f.type for f in INTERACTIONS.arrow_schema]
    assert INTERACTIONS.problems_with(log.schema) == []
    assert truth.schema.equals(sim.TRUTH_SCHEMA)


def test_stats_count_what_was_produced(run):
    log, truth, stats = run
    roles = collections.Counter(truth.column("role").to_pylist())

    assert stats.turns == log.num_rows == sum(truth.column("deliveries").to_pylist())
    assert stats.events == truth.num_rows
    assert stats.users == 2 * 600 + 1  # and the bot
    assert stats.rephrases == roles["rephrase"]
    assert stats.malformed == roles["malformed"]
    assert stats.bot_turns == roles["bot"] == 90
    assert 5 < (stats.turns - stats.bot_turns) / 1200 < 8  # turns per user


def test_every_failure_type_and_status_appears(run):
    log, truth, _ = run

    assert set(truth.column("nlu_outcome").drop_null().to_pylist()) == set(sim.OUTCOMES)
    assert set(STATUSES) <= set(log.column("status").to_pylist())
    assert set(sim.ROLES) == set(truth.column("role").to_pylist())


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


def test_the_same_failing_phrasing_fails_for_many_users(rows):
    _, truth = rows
    users_by_failing_text = collections.defaultdict(set)
    for row in truth.values():
        if row["nlu_outcome"] not in (None, "correct") and row["surface"] == "clean":
            users_by_failing_text[row["utterance"]].add(row["user_id"])

    assert max(len(users) for users in users_by_failing_text.values()) >= 20


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

    assert set(kinds) == set(sim.MALFORMED_KINDS)
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


def test_hostile_phrasings_recur_across_users_fail_and_get_rephrased(worlds, rows):
    _, truth = rows
    fixed = {world.phrasings[phrasing].text for world in worlds.values() for _, phrasing in world.hostile_openers}
    normalized = {sim.normalize_phrasing(text): text for text in fixed}
    users = collections.defaultdict(set)
    for row in truth.values():
        text = normalized.get(sim.normalize_phrasing(row["utterance"]))  # as typed: casing etc. may vary
        if text is not None and row["role"] != "bot":
            assert row["nlu_outcome"] == "friction" and row["surface"] == "hostile"
            users[text].add(row["user_id"])
    rephrased = [r for r in truth.values() if r["role"] == "rephrase" and truth[r["rephrase_of"]]["utterance"] in fixed]
    utterances = [r["utterance"] for r in truth.values()]

    assert len(fixed) == 2 * len(sim.HOSTILE_WRAPPERS)
    assert any(text.startswith("<b>") and text.endswith("</b>") for text in fixed)
    assert all(len(users[text]) >= 5 for text in fixed)
    assert len(rephrased) >= 20
    assert "<img src=x onerror=alert(1)>" in utterances
    assert any(len(u) == sim.LONG_UTTERANCE_CHARS for u in utterances)
    assert any("\u202e" in u and len(u.strip("\u202e\u202c")) > 5 for u in utterances)  # bidi inside text


def test_noise_changes_the_surface_but_not_the_read(rows):
    log_rows, truth = rows
    reads_by_goal_outcome = collections.defaultdict(set)
    noisy = [r for r in truth.values() if r["surface"] == "noisy"]
    by_id = {r["event_id"]: r for r in log_rows}

    assert 0.10 < len(noisy) / len(truth) < 0.20
    assert any(u != u.lower() for u in (r["utterance"] for r in noisy))
    for row in truth.values():
        if row["nlu_outcome"] and row["surface"] in ("clean", "noisy") and row["utterance"] != "":
            key = sim.normalize_phrasing(row["utterance"])
            reads_by_goal_outcome[(row["goal_id"], key)].add(by_id[row["event_id"]]["intent"])
    # a normalized phrasing of a goal always gets the same interpretation, whatever the noise
    assert all(len(intents) == 1 for intents in reads_by_goal_outcome.values())


def test_a_japanese_batch_keeps_words_unspaced_and_its_noise_and_stop_words_japanese():
    world = sim.LocaleWorld("ja-JP", _shipped("ja-JP.valid.jsonl.gz", "xsid"), seed=7, config=SMALL)
    truth = sim.simulate_batch(world, sim.BatchSpec("ja-JP", 0, 300), DAY).truth.to_pylist()
    utterances = [r["utterance"] for r in truth if r["utterance"]]
    cjk = r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc]"
    spaced = regex.compile(cjk + r"\s+" + cjk)

    assert len(utterances) > 1000
    assert not [u for u in utterances if spaced.search(u)]  # no space between CJK characters, noise included
    noisy = [r["utterance"] for r in truth if r["surface"] == "noisy"]
    # full-width sentence ends, never the ASCII "." or "..." of Latin-script locales
    assert any(u.rstrip().endswith(("。", "？", "！")) for u in noisy) and not any(u.endswith(".") for u in noisy)
    stops = {r["utterance"].strip(" \t。？！?!…") for r in truth if r["role"] == "stop"}
    assert stops and stops <= set(sim.STOP_WORDS["ja-JP"])


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


def test_the_bot_repeats_one_utterance_every_one_to_three_seconds(rows):
    log_rows, truth = rows
    bot = sorted((r for r in log_rows if truth[r["event_id"]]["role"] == "bot"), key=lambda r: r["ts"])
    gaps = [(b["ts"] - a["ts"]).total_seconds() for a, b in zip(bot, bot[1:])]

    assert len(bot) == 90
    assert len({(r["user_id"], r["device_id"], r["utterance"]) for r in bot}) == 1
    assert all(1 <= g <= 3 for g in gaps)
    assert bot[0]["locale"] == "en-US"  # the first locale gets the bot


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


def test_estimate_users_per_locale_hits_the_target_roughly(seed_records):
    records = {"sw-KE": seed_records["sw-KE"]}
    config = sim.SimulationConfig(bot_hours=0, users_per_batch=500)

    users = sim.estimate_users_per_locale(6_000, records, seed=7, day=DAY, config=config)
    _, _, stats = sim.simulate_tables(records, users, DAY, seed=7, config=config)

    assert 5_000 < stats.turns < 7_000


def test_plan_batches_puts_the_bot_after_the_first_locale():
    config = sim.SimulationConfig(users_per_batch=1000)

    specs = sim.plan_batches(["en-US", "de-DE"], 2500, config)

    assert [(s.locale, s.first_user, s.last_user, s.bot) for s in specs] == [
        ("en-US", 0, 1000, False), ("en-US", 1000, 2000, False), ("en-US", 2000, 2500, False),
        ("en-US", 0, 0, True),
        ("de-DE", 0, 1000, False), ("de-DE", 1000, 2000, False), ("de-DE", 2000, 2500, False),
    ]
