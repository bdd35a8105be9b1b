"""Users, simulated a batch at a time: their devices, their sessions through the day and what they do turn by turn.

* Users start up to four sessions a day (more at busy hours), each with one goal or more; a few run past
  midnight. After a success a user may go on with another goal, often a follow-up in the same scenario.
* After a noticed failure (silent ones are noticed 75% of the time) a user rephrases with another
  carrier (Zipf-skewed, so many users rephrase the same way; up to 3 attempts per goal), repeats the
  same words, switches goal (often same scenario and same slot values, e.g. alarm_set -> alarm_query at
  the same time: *not* a rephrase), or gives up (sometimes saying a locale's stop word).

All sessions of a batch advance in lockstep, one turn per step, as numpy arrays of state (goal,
phrasing, attempt, time, ...): the per-turn decisions are the same as a per-user loop's, but made
for thousands of sessions per numpy call, which is what makes 10^5 turns/s possible in Python.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from simulation.defects import LogDefects
from simulation.draws import derive_seed, hex_ids
from simulation.logs import BatchStats, SimulatedBatch, assemble
from simulation.rows import (
    CORRECT,
    FIRST,
    FOLLOWUP,
    HOSTILE,
    NONE,
    REPEAT,
    REPHRASE,
    SILENT,
    STOP,
    SWITCH,
    VARIANT,
    RowChunks,
    Users,
)
from simulation.surfaces import surface_forms
from simulation.world import LocaleWorld

# Relative session-start weights per UTC hour: quiet nights, busy mornings and evenings.
_HOURLY_ACTIVITY = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.0, 2.6, 2.4, 2.4,
     2.6, 2.4, 2.3, 2.4, 2.6, 3.0, 3.4, 3.6, 3.4, 2.8, 2.0, 1.4]
)
_SECONDS_PER_DAY = 86_400
_MAX_TURNS_PER_SESSION = 40  # a safety net; real sessions end far earlier
_REACT_REPHRASE, _REACT_REPEAT, _REACT_SWITCH, _REACT_GIVE_UP = range(4)


@dataclass
class _Sessions:
    """Per-session state of a lockstep run; arrays indexed by session."""

    user: np.ndarray
    device: np.ndarray
    t: np.ndarray
    goals_left: np.ndarray  # goals still to come after the current one
    goal: np.ndarray
    phrasing: np.ndarray
    role: np.ndarray
    attempt: np.ndarray
    previous_failure: np.ndarray  # row of the last noticed failure of the current goal
    chain_root: np.ndarray  # row of its first noticed failure
    tried: np.ndarray  # (sessions, max_attempts) carriers already used for the current goal

    def start_goals(self, which: np.ndarray, goals: np.ndarray, phrasings: np.ndarray, roles: np.ndarray,
                    carriers: np.ndarray) -> None:
        self.goal[which] = goals
        self.phrasing[which] = phrasings
        self.role[which] = roles
        self.attempt[which] = 1
        self.previous_failure[which] = NONE
        self.chain_root[which] = NONE
        self.tried[which] = NONE
        self.tried[which, 0] = carriers


class BatchSimulation:
    """Simulates users ``first_user`` .. ``last_user - 1`` of one locale into one batch."""

    def __init__(self, world: LocaleWorld, day_start_us: int, first_user: int, last_user: int):
        self.world = world
        self.cfg = world.config
        self.day_start_us = day_start_us
        self.first_user = first_user
        self.last_user = last_user
        users_seed = derive_seed(world.traffic_seed, "users", world.locale, first_user, last_user)
        self.rng = np.random.default_rng(users_seed)
        # per-row text edits are Python work anyway; random.Random is the faster scalar source there
        self.text_rng = random.Random(derive_seed(world.traffic_seed, "surface", world.locale, first_user, last_user))
        self.rows = RowChunks()
        self.sessions = 0

    def run(self) -> SimulatedBatch:
        users = self._users()
        self._simulate_day(users)
        rows = self.rows.concatenated()
        surfaces = surface_forms(rows, self.world, self.rng, self.text_rng)
        event_ids = hex_ids(self.rng, rows.size)
        log, truth = assemble(self.world, rows, surfaces, users, self.day_start_us, event_ids)
        stats = BatchStats(
            users=self.last_user - self.first_user,
            sessions=self.sessions,
            failures=int((self.world.phrasing_outcome.values[rows.phrasing] > CORRECT).sum()),
            rephrases=int((rows.role == REPHRASE).sum()),
            hostile=int((surfaces.codes == HOSTILE).sum()),
        )
        return LogDefects(self.world, self.rng, self.first_user).apply(log, truth, stats)

    # -- users and their sessions -------------------------------------------------------------------

    def _users(self) -> Users:
        n, rng = self.last_user - self.first_user, self.rng
        return Users(
            ids=hex_ids(rng, n, 8, "u"),
            device_ids=hex_ids(rng, 2 * n, 6, "d"),
            has_two_devices=rng.random(n) < self.cfg.two_device_user_share,
            web_client=rng.random(n) < self.cfg.null_device_user_share,
        )

    def _simulate_day(self, users: Users) -> None:
        """Up to four sessions per user, more than ten minutes apart; each round runs every user's
        next session (a session starts only once the previous one has ended)."""
        cfg, rng = self.cfg, self.rng
        n = self.last_user - self.first_user
        index = np.arange(self.first_user, self.last_user)
        weights = np.asarray(cfg.session_count_weights, dtype=float)
        session_counts = 1 + rng.choice(len(weights), size=n, p=weights / weights.sum())
        hours = rng.choice(24, size=n, p=_HOURLY_ACTIVITY / _HOURLY_ACTIVITY.sum())
        starts = (hours + rng.random(n)) * 3600

        openers = np.full(n, NONE)
        if self.world.hostile_openers:
            hostile = index % cfg.hostile_user_every == cfg.hostile_user_every // 2
            openers[hostile] = (index[hostile] // cfg.hostile_user_every) % len(self.world.hostile_openers)
        # one long session starting in the last minute of the day: its later turns belong to tomorrow
        midnight = index % cfg.midnight_user_every == cfg.midnight_user_every // 2
        session_counts[midnight] = 1
        starts[midnight] = rng.uniform(_SECONDS_PER_DAY - 60, _SECONDS_PER_DAY - 10, midnight.sum())
        min_goals = np.where(midnight, 3, 1)

        for session_round in range(len(weights)):
            who = np.flatnonzero((session_counts > session_round) & (starts < _SECONDS_PER_DAY))
            if who.size == 0:
                break
            round_openers = openers[who] if session_round == 0 else np.full(who.size, NONE)
            ends = self._run_sessions(users, who, starts[who], round_openers, min_goals[who])
            starts[who] = ends + 600 * np.exp(rng.uniform(math.log(1.1), math.log(30), who.size))  # 11 min-5 h

    def _run_sessions(self, users: Users, who: np.ndarray, starts: np.ndarray, openers: np.ndarray,
                      min_goals: np.ndarray) -> np.ndarray:
        """One session for each user in ``who``; returns the time of each session's last turn."""
        cfg, rng, world = self.cfg, self.rng, self.world
        count = who.size
        self.sessions += count
        n_users = self.last_user - self.first_user
        second_device = users.has_two_devices[who] & (rng.random(count) < 0.5)
        device = np.where(users.web_client[who], NONE, np.where(second_device, who + n_users, who))
        more_goals = rng.geometric(1 - cfg.continue_session_share, count) - 1
        goals_left = np.minimum(min_goals - 1 + more_goals, cfg.max_goals_per_session - 1)

        goals = world.goal_zipf.draw(rng, np.zeros(count, dtype=np.int64))
        hostile = np.flatnonzero(openers >= 0)
        opener_goals = np.array([world.hostile_openers[k][0] for k in openers[hostile]], dtype=np.int64)
        goals[hostile] = opener_goals
        phrasings, roles, carriers = self._open(goals)
        phrasings[hostile] = [world.hostile_openers[k][1] for k in openers[hostile]]
        roles[hostile] = FIRST
        carriers[hostile] = world.goal_own_carrier.values[opener_goals]

        state = _Sessions(
            user=who, device=device, t=starts.astype(float), goals_left=goals_left,
            goal=goals, phrasing=phrasings, role=roles, attempt=np.ones(count, dtype=np.int64),
            previous_failure=np.full(count, NONE), chain_root=np.full(count, NONE),
            tried=np.full((count, cfg.max_attempts), NONE),
        )
        state.tried[:, 0] = carriers
        ends = np.zeros(count)
        active = np.arange(count)
        for _ in range(_MAX_TURNS_PER_SESSION):
            if active.size == 0:
                break
            ended = self._step(state, active)
            ends[active[ended]] = state.t[active[ended]]
            active = active[~ended]
        ends[active] = state.t[active]
        return ends

    def _step(self, s: _Sessions, active: np.ndarray) -> np.ndarray:
        """Emit one turn of every active session and decide what each user does next; returns a mask of
        the sessions that ended."""
        rng, cfg = self.rng, self.cfg
        rows = self.rows.append(
            s.user[active], s.device[active], s.t[active], s.phrasing[active], s.goal[active], s.role[active],
            s.attempt[active], s.previous_failure[active], s.chain_root[active],
        )
        outcome = self.world.phrasing_outcome.values[s.phrasing[active]]
        noticed = (outcome != CORRECT) & ((outcome != SILENT) | (rng.random(active.size) < cfg.silent_noticed_share))
        ended = np.zeros(active.size, dtype=bool)

        failed = np.flatnonzero(noticed)
        sessions = active[failed]
        s.chain_root[sessions] = np.where(s.chain_root[sessions] == NONE, rows[failed], s.chain_root[sessions])
        s.previous_failure[sessions] = rows[failed]
        ended[failed] = self._react_to_failures(s, sessions, outcome[failed])

        succeeded = np.flatnonzero(~noticed)  # or failed silently without the user noticing
        done = s.goals_left[active[succeeded]] == 0
        ended[succeeded[done]] = True
        self._next_goals_after_success(s, active[succeeded[~done]])
        return ended

    def _react_to_failures(self, s: _Sessions, sessions: np.ndarray, outcome: np.ndarray) -> np.ndarray:
        """Rephrase, repeat, switch or give up; returns a mask of the sessions that end here."""
        rng, world = self.rng, self.world
        reaction = self._reactions(s.attempt[sessions], world.phrasing_hostile.values[s.phrasing[sessions]])

        wants_rephrase = np.flatnonzero(reaction == _REACT_REPHRASE)
        carriers = self._alternative_carriers(s.goal[sessions[wants_rephrase]], s.tried[sessions[wants_rephrase]])
        stuck = carriers == NONE  # nothing else to say: the same words again, or give up
        reaction[wants_rephrase[stuck]] = np.where(rng.random(stuck.sum()) < 0.5, _REACT_REPEAT, _REACT_GIVE_UP)
        rephrasing, carriers = sessions[wants_rephrase[~stuck]], carriers[~stuck]
        silent = outcome[wants_rephrase[~stuck]] == SILENT
        # a silent failure shows in the answer at once: those rephrases come quickly
        s.t[rephrasing] += np.where(silent, rng.uniform(2, 8, silent.size), rng.uniform(2, 20, silent.size))
        s.tried[rephrasing, s.attempt[rephrasing]] = carriers
        s.attempt[rephrasing] += 1
        s.phrasing[rephrasing] = world.phrasing_ids(s.goal[rephrasing], carriers)
        s.role[rephrasing] = REPHRASE

        repeating = sessions[reaction == _REACT_REPEAT]
        s.t[repeating] += rng.uniform(2, 10, repeating.size)
        s.attempt[repeating] += 1
        s.role[repeating] = REPEAT

        switching = sessions[reaction == _REACT_SWITCH]
        s.t[switching] += rng.uniform(3, 30, switching.size)
        goals = self._switched_goals(s.goal[switching])
        phrasings, _, carriers = self._open(goals)
        s.start_goals(switching, goals, phrasings, np.full(switching.size, SWITCH), carriers)
        s.goals_left[switching] = np.maximum(s.goals_left[switching] - 1, 0)

        giving_up = reaction == _REACT_GIVE_UP
        saying_stop = sessions[giving_up & (rng.random(sessions.size) < self.cfg.stop_word_share)]
        s.t[saying_stop] += rng.uniform(1, 5, saying_stop.size)
        self._emit_stop_words(s, saying_stop)
        return giving_up

    def _next_goals_after_success(self, s: _Sessions, sessions: np.ndarray) -> None:
        rng, world = self.rng, self.world
        s.goals_left[sessions] -= 1
        s.t[sessions] += 5 * np.exp(rng.uniform(0, math.log(24), sessions.size))  # 5 s .. 2 min, mostly short
        current = s.goal[sessions]
        # often a follow-up in the same scenario, else any popular goal
        followup = rng.random(sessions.size) < self.cfg.same_scenario_followup_share
        same_scenario = world.scenario_goal_zipf.draw(rng, world.goal_scenario.values[current])
        followup &= same_scenario != current
        goals = np.where(followup, same_scenario, world.goal_zipf.draw(rng, np.zeros(sessions.size, dtype=np.int64)))
        phrasings, roles, carriers = self._open(goals)
        s.start_goals(sessions, goals, phrasings, np.where(followup, FOLLOWUP, roles), carriers)

    def _emit_stop_words(self, s: _Sessions, sessions: np.ndarray) -> None:
        stop = self.world.stop_phrasings[self.rng.integers(0, len(self.world.stop_phrasings), sessions.size)]
        none = np.full(sessions.size, NONE)
        self.rows.append(
            s.user[sessions], s.device[sessions], s.t[sessions], stop, none, np.full(sessions.size, STOP),
            np.zeros(sessions.size, dtype=np.int64), none, none,
        )

    # -- decisions ----------------------------------------------------------------------------------

    def _open(self, goals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How users first phrase goals: the goal's own seed utterance, else a (popular) carrier.
        Returns (phrasings, roles first/variant, carriers)."""
        world = self.world
        own = world.goal_own_carrier.values[goals]
        drawn = world.carrier_zipf.draw(self.rng, world.goal_group.values[goals])
        use_own = (own != NONE) & (self.rng.random(goals.size) < self.cfg.own_phrasing_share)
        carriers = np.where(use_own, own, drawn)
        roles = np.where(carriers == own, FIRST, VARIANT)
        return world.phrasing_ids(goals, carriers), roles, carriers

    def _reactions(self, attempts: np.ndarray, hostile: np.ndarray) -> np.ndarray:
        cfg = self.cfg
        r = self.rng.random(attempts.size)
        rephrase = np.where(hostile == 1, cfg.hostile_rephrase_share, cfg.rephrase_share)
        reaction = np.select(
            [r < rephrase, r < rephrase + cfg.repeat_share, r < rephrase + cfg.repeat_share + cfg.switch_share],
            [_REACT_REPHRASE, _REACT_REPEAT, _REACT_SWITCH],
            _REACT_GIVE_UP,
        )
        exhausted = attempts >= cfg.max_attempts
        reaction[exhausted] = np.where(r[exhausted] < 0.5, _REACT_SWITCH, _REACT_GIVE_UP)
        return reaction

    def _alternative_carriers(self, goals: np.ndarray, tried: np.ndarray) -> np.ndarray:
        """Another carrier of each goal, Zipf-skewed so that many users rephrase the same way;
        ``NONE`` where every carrier was tried."""
        zipf = self.world.carrier_zipf
        groups = self.world.goal_group.values[goals]
        chosen = np.full(goals.size, NONE)
        pending = np.flatnonzero(zipf.sizes[groups] > (tried != NONE).sum(axis=1))
        for _ in range(8):
            if pending.size == 0:
                return chosen
            drawn = zipf.draw(self.rng, groups[pending])
            fresh = (drawn[:, None] != tried[pending]).all(axis=1)
            chosen[pending[fresh]] = drawn[fresh]
            pending = pending[~fresh]
        for i in pending.tolist():  # the popular carriers are all tried: the best-ranked untried one
            used = set(tried[i].tolist())
            chosen[i] = next(c for c in zipf.segment(groups[i]).tolist() if c not in used)
        return chosen

    def _switched_goals(self, goals: np.ndarray) -> np.ndarray:
        """After a failure, something else: often the same scenario with the same slot values."""
        rng, world = self.rng, self.world
        same_values = rng.random(goals.size) < self.cfg.same_values_switch_share
        choice = rng.random(goals.size)
        anywhere = np.zeros(goals.size, dtype=np.int64)
        switched = world.goal_zipf.draw(rng, anywhere)
        switched = np.where(switched == goals, world.goal_zipf.draw(rng, anywhere), switched)
        for i in np.flatnonzero(same_values).tolist():
            related = world.same_values_goal(int(goals[i]), float(choice[i]))
            if related != NONE:
                switched[i] = related
        return switched

