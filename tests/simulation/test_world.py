"""The world of one locale: carriers, goals, the NLU and the phrasings that recur across users."""

from __future__ import annotations

import collections

import numpy as np

from simulation.defects import LONG_UTTERANCE_CHARS
from simulation.rows import OUTCOMES
from simulation.world import HOSTILE_WRAPPERS, LocaleWorld, normalize_phrasing
from tests.simulation_factory import ALARM_RECORDS, SMALL


def test_a_carrier_of_the_same_intent_and_slot_names_carries_the_goals_values():
    world = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    seven_am = world.goal_index("alarm_set", {"time": ("seven am",)})
    alarm_for = next(c.index for c in world.carriers if c.pieces[0][0] == "set an alarm for ")

    phrasing = world.phrasings[world.phrasing_ids(np.array([seven_am]), np.array([alarm_for]))[0]]

    assert phrasing.text == "set an alarm for seven am"
    assert phrasing.slots == (("time", "seven am"),)
    assert world.goals[seven_am].own_carrier == 0  # the goal comes from the first record


def test_repeated_slot_names_are_filled_in_order():
    world = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    goal = world.goal_index("weather_query", {"date": ("sunday", "tuesday")})

    phrasing = world.phrasings[world.phrasing_ids(np.array([goal]), np.array([5]))[0]]

    assert phrasing.text == "weather from sunday to tuesday"


def test_goal_ids_are_content_hashes():
    world = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    again = LocaleWorld("en-US", list(reversed(ALARM_RECORDS)), seed=99, config=SMALL)
    goal = world.goals[world.goal_index("alarm_set", {"time": ("seven am",)})]
    same = again.goals[again.goal_index("alarm_set", {"time": ("seven am",)})]

    assert goal.goal_id == same.goal_id
    assert goal.goal_id != world.goals[world.goal_index("alarm_set", {"time": ("six pm",)})].goal_id


def test_a_same_values_switch_keeps_the_slot_values_in_the_same_scenario():
    world = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL)
    seven_am = world.goal_index("alarm_set", {"time": ("seven am",)})

    switched = world.goals[world.same_values_goal(seven_am, 0.0)]

    assert (switched.intent, dict(switched.values)) == ("alarm_query", {"time": ("seven am",)})
    assert switched.own_carrier == -1  # made up: no seed record says "what alarms ... at seven am"
    no_sibling = world.goal_index("weather_query", {"date": ("monday", "friday")})
    assert world.same_values_goal(no_sibling, 0.0) == -1


def test_the_nlu_is_a_function_of_the_normalized_text(seed_records, worlds):
    world = worlds["sw-KE"]
    other = LocaleWorld("sw-KE", seed_records["sw-KE"], seed=7, config=SMALL)
    goal = world.goals[0]

    assert world.read("wake me up at five am", goal) == other.read("wake me up at five am", goal)
    assert world.read("  Wake me up at FIVE am!", goal) == world.read("wake me up at five am", goal)


def test_about_a_fifth_of_phrasings_are_misread_in_every_way(worlds):
    world = worlds["en-US"]
    reads = [world.read(c.pieces and "".join(p for p, _ in c.pieces), world.goals[0]) for c in world.carriers]
    outcomes = collections.Counter(r.outcome for r in reads)

    assert 0.17 < 1 - outcomes["correct"] / len(reads) < 0.23
    assert set(outcomes) == set(OUTCOMES)
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


def test_the_same_failing_phrasing_fails_for_many_users(rows):
    _, truth = rows
    users_by_failing_text = collections.defaultdict(set)
    for row in truth.values():
        if row["nlu_outcome"] not in (None, "correct") and row["surface"] == "clean":
            users_by_failing_text[row["utterance"]].add(row["user_id"])

    assert max(len(users) for users in users_by_failing_text.values()) >= 20


def test_hostile_phrasings_recur_across_users_fail_and_get_rephrased(worlds, rows):
    _, truth = rows
    fixed = {world.phrasings[phrasing].text for world in worlds.values() for _, phrasing in world.hostile_openers}
    normalized = {normalize_phrasing(text): text for text in fixed}
    users = collections.defaultdict(set)
    for row in truth.values():
        text = normalized.get(normalize_phrasing(row["utterance"]))  # as typed: casing etc. may vary
        if text is not None and row["role"] != "bot":
            assert row["nlu_outcome"] == "friction" and row["surface"] == "hostile"
            users[text].add(row["user_id"])
    rephrased = [r for r in truth.values() if r["role"] == "rephrase" and truth[r["rephrase_of"]]["utterance"] in fixed]
    utterances = [r["utterance"] for r in truth.values()]

    assert len(fixed) == 2 * len(HOSTILE_WRAPPERS)
    assert any(text.startswith("<b>") and text.endswith("</b>") for text in fixed)
    assert all(len(users[text]) >= 5 for text in fixed)
    assert len(rephrased) >= 20
    assert "<img src=x onerror=alert(1)>" in utterances
    assert any(len(u) == LONG_UTTERANCE_CHARS for u in utterances)
    assert any("\u202e" in u and len(u.strip("\u202e\u202c")) > 5 for u in utterances)  # bidi inside text


class ByKeyword:
    """A reader standing in for a model: `alarm_set` for texts naming an alarm, `weather_query` otherwise."""

    def predict(self, texts):
        return ["alarm_set" if "alarm" in text else "weather_query" for text in texts]


def test_a_runtime_rewriter_sends_the_target_to_the_nlu_and_records_it():
    seven_am_alarm = "Set an alarm for seven am!"
    rewrites = {"wake me up at seven am": seven_am_alarm}
    world = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL, reader=ByKeyword(), rewrites=rewrites)
    plain = LocaleWorld("en-US", ALARM_RECORDS, seed=1, config=SMALL, reader=ByKeyword())
    seven_am = world.goal_index("alarm_set", {"time": ("seven am",)})
    wake_me = next(c.index for c in world.carriers if c.pieces[0][0] == "wake me up at ")
    alarm_for = next(c.index for c in world.carriers if c.pieces[0][0] == "set an alarm for ")

    rewritten, direct = (world.phrasings[world.phrasing_ids(np.array([seven_am]), np.array([c]))[0]]
                         for c in (wake_me, alarm_for))
    unrewritten = plain.phrasings[plain.phrasing_ids(np.array([seven_am]), np.array([wake_me]))[0]]

    assert (rewritten.text, rewritten.served) == ("wake me up at seven am", seven_am_alarm)
    assert rewritten.read.outcome == "correct" and rewritten.read.intent == "alarm_set"
    assert unrewritten.served is None and unrewritten.read.intent == "weather_query"  # the words alone fail
    assert direct.served is None  # not a source: read as said
    assert world.phrasing_served.array.to_pylist()[-2:] == [seven_am_alarm, None]
