"""The world of one locale: goals, the phrasings users say them with, and the simulated NLU that reads them.

* A **goal** is (locale, intent, slot values), taken from a seed record. Goal popularity is Zipf
  (exponent ~1.1) over a seeded random ranking, so popular goals and phrasings recur across users.
* A **carrier** is a seed record used as a template: the records of the goal's locale and intent whose
  slot-name multiset equals the goal's, filled with the goal's slot values. A user opens a goal with its
  own seed utterance (~65%) or another carrier (Zipf over a per-group ranking shared by all users).
* The **NLU** is deterministic per normalized phrasing (hash of seed + locale + casefolded text): ~20%
  of phrasings are misread *systematically*, so the same failing phrasing fails for every user. Misreads:
  friction (error/unhandled, null or wrong intent, confidence < 0.45), barge-in (wrong intent,
  interrupted), cancel (wrong intent, cancelled) and silent (wrong intent, success, confidence
  0.55-0.95). Wrong intents are usually from the gold intent's scenario. Correct reads are mostly
  confident successes, but a few are below 0.5 and a few end interrupted anyway (noise).
* With a ``reader`` (a trained intent classifier, see ``LocaleWorld``) the NLU is that model instead: a
  phrasing is misread exactly when the model predicts another intent than the goal's, and the wrong intent
  is the model's; the kind of failure and the confidence still come from the phrasing's hash.
* With ``rewrites`` (a published rewrite table: normalized source -> target) a runtime rewriter stands in
  front of the NLU, as in production: a phrasing whose normalized text (``miner.text.normalize``) is a
  source is read as its target, and the log records the target in ``rewritten_utterance``.

What users do with the world is `simulation.users`; how their words get noisy, `simulation.surfaces`.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol, Sequence

import numpy as np
import pyarrow as pa
import regex

from miner.massive import parse_annot_spans
from miner.text import is_unsegmented, normalize
from simulation.arrays import Growable, GrowableArrow
from simulation.config import SimulationConfig
from simulation.draws import SegmentedZipf, derive_seed, hash_uniform, hash_uniforms, pick_weighted
from simulation.rows import FRICTION, NONE, OUTCOMES, SLOTS_TYPE, STATUS_CODES

STOP_WORDS = {
    "en-US": ("stop", "cancel", "halt", "never mind"),
    "de-DE": ("stopp", "abbrechen", "halt"),
    "sw-KE": ("acha", "simama", "sitisha"),
    "ja-JP": ("やめて", "キャンセル", "ストップ", "もういい"),
    "zh-CN": ("停止", "取消", "算了", "别说了"),
    "ar-SA": ("توقف", "إلغاء", "خلاص", "كفى"),
}
_FALLBACK_STOP_WORDS = ("stop", "cancel")

# Markup wrapped around a popular goal's own utterance. A few fixed phrasings used by many users, so that
# hostile text survives the miner's support thresholds and reaches its outputs (which must escape it).
HOSTILE_WRAPPERS = (
    ("<b>", "</b>"),
    ("<script>alert(1)</script> ", ""),
    ("", " <img src=x onerror=alert(1)>"),
    ("\u202e", "\u202c"),
)

# Punctuation noise appended at the end, by writing system (see _trailing_punctuation)
TRAILING_PUNCTUATION = (".", "?", "!", "!!", " ?", "...")
_UNSEGMENTED_TRAILING_PUNCTUATION = ("。", "？", "！", "?", "!", "…")  # ja, zh: never a space before it
_ARABIC_TRAILING_PUNCTUATION = ("؟", ".", "!", " ؟", "...")
_ARABIC_LETTER = regex.compile(r"\p{Arabic}")
_LETTER = regex.compile(r"\p{L}")
# normalize_phrasing drops these at the end (ASCII, full-width and Arabic sentence ends)
_SENTENCE_END = ".!? 。？！؟"


def normalize_phrasing(text: str) -> str:
    """What the simulated NLU keys on: casefolded, single-spaced, without trailing punctuation (ASCII,
    full-width or Arabic). No space is added: ja and zh text stays without spaces between words."""
    return " ".join(text.casefold().split()).rstrip(_SENTENCE_END)


def _trailing_punctuation(text: str) -> tuple[str, ...]:
    """The sentence-end punctuation users of this writing system type (``text``: a locale's seed text)."""
    if is_unsegmented(text):
        return _UNSEGMENTED_TRAILING_PUNCTUATION
    if 2 * len(_ARABIC_LETTER.findall(text)) > len(_LETTER.findall(text)):
        return _ARABIC_TRAILING_PUNCTUATION
    return TRAILING_PUNCTUATION


# A phrasing is a tuple of pieces (text, slot_name or None); slot pieces carry the slot's value.
Pieces = tuple[tuple[str, "str | None"], ...]


@dataclass(frozen=True)
class Carrier:
    """A seed record used as a template for other goals' values."""

    index: int
    intent: str
    scenario: str
    pieces: Pieces
    slot_names: tuple[str, ...]


@dataclass(frozen=True)
class Goal:
    index: int
    goal_id: str
    intent: str
    scenario: str
    values: Mapping[str, tuple[str, ...]]  # slot name -> values, in order of appearance
    group: int  # the carrier group (same intent, same slot names)
    own_carrier: int  # the seed record the goal comes from; -1 for a goal made up by a switch


@dataclass(frozen=True)
class NluRead:
    outcome: str | None  # None: not a goal turn (stop words)
    intent: str | None
    status: str
    confidence: float
    slot_mode: str  # "gold": the NLU found the spans; "empty": none; "null": no interpretation

    def slots_of(self, gold: tuple) -> tuple | None:
        """The slots this read reports for an utterance whose gold slots are ``gold``."""
        if self.slot_mode == "gold":
            return gold
        return () if self.slot_mode == "empty" else None


@dataclass(frozen=True)
class Phrasing:
    pieces: Pieces
    text: str
    slots: tuple[tuple[str, str], ...]
    carrier: int  # -1 for stop words
    read: NluRead
    hostile: bool
    served: str | None = None  # what the runtime rewriter sent to the NLU instead of ``text``


class IntentReader(Protocol):
    """A real NLU model standing in for the simulated one: the intent it predicts for each text."""

    def predict(self, texts: Sequence[str]) -> list[str]: ...


class LocaleWorld:
    """Seed records of one locale turned into carriers, goals, popularity and a deterministic NLU.

    With a ``reader`` (a trained intent classifier), a phrasing is misread exactly when the reader predicts
    another intent than the goal's, and the wrong intent is the reader's; the kind of failure (friction,
    silent, barge-in, cancel) and the confidence still come from the phrasing's hash. With ``rewrites``
    (normalized source -> target), a phrasing that is a source is read as its target. ``traffic_seed``
    (default: ``seed``) draws the users: another one gives another day of traffic in the same world.

    Goals and phrasings are numbered as they are first needed; numpy arrays indexed by those numbers
    (``goal_group``, ``phrasing_outcome``, ...) let the batch simulation look them up for many sessions
    at once. The numbering depends on the order of use, the content never does: a goal's id is a hash
    of its content and a phrasing's read a hash of its text.
    """

    def __init__(
        self, locale: str, records: Sequence[Mapping[str, str]], seed: int, config: SimulationConfig,
        reader: IntentReader | None = None, traffic_seed: int | None = None,
        rewrites: Mapping[str, str] | None = None,
    ):
        if not records:
            raise ValueError(f"no seed records for locale {locale}")
        self.locale = locale
        self.seed = seed
        self.traffic_seed = seed if traffic_seed is None else traffic_seed
        self.config = config
        self.reader = reader
        self.rewrites = dict(rewrites or {})
        self.carriers = [_carrier(i, record) for i, record in enumerate(records)]
        sample = "".join(text for carrier in self.carriers[:500] for text, _ in carrier.pieces)
        self.trailing_punctuation = _trailing_punctuation(sample)  # by the locale's writing system
        self._scenario_of_intent = {c.intent: c.scenario for c in self.carriers}
        self.scenarios = sorted(set(self._scenario_of_intent.values()))
        self._scenario_index = {s: i for i, s in enumerate(self.scenarios)}
        self.intents = sorted(self._scenario_of_intent)
        self.intents_by_scenario: dict[str, list[str]] = {}
        for intent in self.intents:
            self.intents_by_scenario.setdefault(self._scenario_of_intent[intent], []).append(intent)
        self._build_carrier_groups()

        self.goals: list[Goal] = []
        self._goal_by_key: dict[tuple, int] = {}
        self.goal_group, self.goal_scenario, self.goal_own_carrier = Growable(), Growable(), Growable()
        self.goal_ids, self.goal_intents = GrowableArrow(pa.string()), GrowableArrow(pa.string())
        for carrier in self.carriers:
            self.goal_index(carrier.intent, _values_of(carrier.pieces), own_carrier=carrier.index)
        self._build_popularity()

        self.forget_phrasings()

    def forget_phrasings(self) -> None:
        """Start the phrasing cache afresh. Phrasings are pure functions of their content, so this
        changes their numbers but never the output; it bounds memory on very long runs."""
        self.phrasings: list[Phrasing] = []
        self._phrasing_by_key: dict[int, int] = {}
        # per phrasing, for vectorized lookups and Arrow takes
        self.phrasing_outcome, self.phrasing_hostile, self.phrasing_status = Growable(), Growable(), Growable()
        self.phrasing_confidence = Growable(np.float32)
        self.phrasing_text, self.phrasing_intent = GrowableArrow(pa.string()), GrowableArrow(pa.string())
        self.phrasing_served = GrowableArrow(pa.string())
        self.phrasing_slots, self.phrasing_read_slots = GrowableArrow(SLOTS_TYPE), GrowableArrow(SLOTS_TYPE)
        self._reads: dict[tuple[str, str], NluRead] = {}
        self._predicted_intents: dict[str, str] = {}  # normalized phrasing -> the reader's intent
        stop_words = STOP_WORDS.get(self.locale, _FALLBACK_STOP_WORDS)
        self.stop_phrasings = np.array([self._add_stop_phrasing(word) for word in stop_words])
        self.hostile_openers = self._add_hostile_openers()

    # -- construction -------------------------------------------------------------------------------

    def _build_carrier_groups(self) -> None:
        """Carrier groups: same intent and same slot-name multiset, each ranked once for all users."""
        members: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for carrier in self.carriers:
            members.setdefault((carrier.intent, tuple(sorted(carrier.slot_names))), []).append(carrier.index)
        self._group_index = {key: i for i, key in enumerate(members)}
        self._group_intent = [intent for intent, _ in members]
        ranked_groups = []
        for key, indices in members.items():
            ranked = indices[:]
            random.Random(derive_seed(self.seed, "carrier-rank", self.locale, *key)).shuffle(ranked)
            ranked_groups.append(ranked)
        self.carrier_zipf = SegmentedZipf(ranked_groups, self.config.zipf_exponent)
        # (scenario, slot names) -> groups, for switches that keep the slot values
        self._groups_by_scenario_names: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for (intent, names), group in self._group_index.items():
            self._groups_by_scenario_names.setdefault((self._scenario_of_intent[intent], names), []).append(group)

    def _build_popularity(self) -> None:
        """Zipf popularity over a seeded ranking of the catalog goals, overall and within each scenario."""
        ranked = list(range(len(self.goals)))
        random.Random(derive_seed(self.seed, "goal-rank", self.locale)).shuffle(ranked)
        self.ranked_goals = ranked
        self.goal_zipf = SegmentedZipf([ranked], self.config.zipf_exponent)
        by_scenario: list[list[int]] = [[] for _ in self.scenarios]
        for goal in ranked:  # keeps the popularity order within each scenario
            by_scenario[self.goal_scenario.values[goal]].append(goal)
        self.scenario_goal_zipf = SegmentedZipf(by_scenario, self.config.zipf_exponent)

    def _add_stop_phrasing(self, word: str) -> int:
        read = NluRead(None, None, "cancelled", hash_uniform(self.seed, "stop", word, 0.7, 1.0), "null")
        return self._add_phrasing(Phrasing(((word, None),), word, (), -1, read, hostile=False), NONE)

    def _add_hostile_openers(self) -> list[tuple[int, int]]:
        """(goal, phrasing) pairs: markup around the own utterance of popular goals that can be
        rephrased. The NLU chokes on the markup: an unhandled, intent-less read for every user."""
        openers: list[tuple[int, int]] = []
        for goal_index in self.ranked_goals:
            goal = self.goals[goal_index]
            if self.carrier_zipf.sizes[goal.group] < 2:
                continue
            prefix, suffix = HOSTILE_WRAPPERS[len(openers)]
            pieces = ((prefix, None),) + self.carriers[goal.own_carrier].pieces + ((suffix, None),)
            text = "".join(p for p, _ in pieces)
            read = NluRead("friction", None, "unhandled", hash_uniform(self.seed, "hostile", text, 0.05, 0.3), "null")
            phrasing = Phrasing(pieces, text, slots_of(pieces), goal.own_carrier, read, hostile=True)
            openers.append((goal_index, self._add_phrasing(phrasing, FRICTION)))
            if len(openers) == len(HOSTILE_WRAPPERS):
                break
        return openers

    # -- goals --------------------------------------------------------------------------------------

    def goal_index(self, intent: str, values: Mapping[str, tuple[str, ...]], own_carrier: int = -1) -> int:
        """The number of the goal (intent, values), registering it on first use."""
        key = (intent, tuple(sorted(values.items())))
        index = self._goal_by_key.get(key)
        if index is None:
            index = len(self.goals)
            names = tuple(sorted(name for name, vs in values.items() for _ in vs))
            goal_id = "g" + hashlib.blake2b(repr((self.locale, key)).encode("utf-8"), digest_size=6).hexdigest()
            scenario = self._scenario_of_intent[intent]
            group = self._group_index[(intent, names)]
            self.goals.append(Goal(index, goal_id, intent, scenario, values, group, own_carrier))
            self.goal_group.append(group)
            self.goal_scenario.append(self._scenario_index[scenario])
            self.goal_own_carrier.append(own_carrier)
            self.goal_ids.append(goal_id)
            self.goal_intents.append(intent)
            self._goal_by_key[key] = index
        return index

    def same_values_goal(self, goal_index: int, choice: float) -> int:
        """Another intent of the goal's scenario taking exactly its slot names, with the same values
        (``choice`` in [0, 1) picks which); ``NONE`` when the scenario has none."""
        goal = self.goals[goal_index]
        names = tuple(sorted(name for name, vs in goal.values.items() for _ in vs))
        groups = [
            g for g in self._groups_by_scenario_names.get((goal.scenario, names), ())
            if self._group_intent[g] != goal.intent
        ]
        if not groups:
            return NONE
        return self.goal_index(self._group_intent[groups[int(choice * len(groups))]], goal.values)

    # -- phrasings and the NLU ----------------------------------------------------------------------

    def phrasing_ids(self, goals: np.ndarray, carriers: np.ndarray) -> np.ndarray:
        """The phrasing numbers of (goal, carrier) pairs, creating the missing ones."""
        keys = goals * len(self.carriers) + carriers
        known = self._phrasing_by_key
        ids = np.fromiter((known.get(k, NONE) for k in keys.tolist()), dtype=np.int64, count=len(keys))
        missing = np.flatnonzero(ids == NONE).tolist()
        if self.reader is not None and missing:  # one model call for all new phrasings, not one per text
            filled = (_fill(self.carriers[int(carriers[i])].pieces, self.goals[int(goals[i])].values) for i in missing)
            self._predict_intents(self.served_text("".join(p for p, _ in pieces)) for pieces in filled)
        for position in missing:
            ids[position] = self._phrasing_id(int(goals[position]), int(carriers[position]), int(keys[position]))
        return ids

    def _phrasing_id(self, goal_index: int, carrier_index: int, key: int) -> int:
        if key in self._phrasing_by_key:  # the same pair twice in one call
            return self._phrasing_by_key[key]
        goal = self.goals[goal_index]
        pieces = _fill(self.carriers[carrier_index].pieces, goal.values)
        text = "".join(p for p, _ in pieces)
        served = self.served_text(text)
        read = self.read(served, goal)
        phrasing = Phrasing(
            pieces, text, slots_of(pieces), carrier_index, read, hostile=False, served=None if served == text else served
        )
        self._phrasing_by_key[key] = self._add_phrasing(phrasing, OUTCOMES.index(read.outcome))
        return self._phrasing_by_key[key]

    def _add_phrasing(self, phrasing: Phrasing, outcome_code: int) -> int:
        read = phrasing.read
        self.phrasings.append(phrasing)
        self.phrasing_outcome.append(outcome_code)
        self.phrasing_hostile.append(int(phrasing.hostile))
        self.phrasing_status.append(STATUS_CODES[read.status])
        self.phrasing_confidence.append(read.confidence)
        self.phrasing_text.append(phrasing.text)
        self.phrasing_served.append(phrasing.served)
        self.phrasing_intent.append(read.intent)
        self.phrasing_slots.append(phrasing.slots)
        self.phrasing_read_slots.append(read.slots_of(phrasing.slots))
        return len(self.phrasings) - 1

    def _predict_intents(self, texts: Iterable[str]) -> None:
        new = list(dict.fromkeys(t for t in map(normalize_phrasing, texts) if t not in self._predicted_intents))
        if new:
            self._predicted_intents.update(zip(new, self.reader.predict(new), strict=True))

    def served_text(self, text: str) -> str:
        """What the NLU is sent for ``text``: the rewrite table's target when its normalized text is a source
        (an exact lookup, as a runtime does), else the text itself."""
        if not self.rewrites:
            return text
        return self.rewrites.get(normalize(text), text)

    def read(self, text: str, goal: Goal) -> NluRead:
        """The NLU: a pure function of (seed, locale, normalized text), and of the reader if there is one,
        so misreads recur."""
        normalized = normalize_phrasing(text)
        key = (normalized, goal.intent)
        read = self._reads.get(key)
        if read is None:
            predicted = None
            if self.reader is not None:
                self._predict_intents([normalized])
                predicted = self._predicted_intents[normalized]
            read = self._decide_read(hash_uniforms(self.seed, "nlu", self.locale, normalized), goal, predicted)
            self._reads[key] = read
        return read

    def _decide_read(self, u: Sequence[float], goal: Goal, predicted: str | None = None) -> NluRead:
        """The read of one phrasing from eight uniforms hashed from its text (one per decision), and the
        reader's ``predicted`` intent when there is a reader."""
        cfg = self.config
        misread = u[0] < cfg.misread_share if predicted is None else predicted != goal.intent
        if not misread:
            if u[1] < cfg.low_confidence_success_share:
                confidence = 0.3 + 0.2 * u[2]  # right but unsure: confidence alone is no signal
            else:
                confidence = 0.6 + 0.4 * math.sqrt(u[2])  # skewed towards confident
            return NluRead("correct", goal.intent, "success", confidence, "gold")
        kind = pick_weighted(cfg.misread_kind_weights, u[3])
        if predicted is None:
            wrong, same_scenario = self._wrong_intent(goal, u[4], u[5])
        else:  # MASSIVE intents are named scenario_action, also those the world has no record of
            wrong = predicted
            same_scenario = self._scenario_of_intent.get(wrong, wrong.split("_")[0]) == goal.scenario
        # A wrong intent of the same scenario still finds the slots (alarm_query at seven am).
        slot_mode = "gold" if same_scenario else "empty"
        if kind == "friction":
            if u[6] < 0.5:
                return NluRead(kind, None, "unhandled", 0.02 + 0.43 * u[2], "null")
            status = "error" if u[7] < 0.5 else "unhandled"
            return NluRead(kind, wrong, status, 0.05 + 0.40 * u[2], slot_mode)
        if kind == "silent":  # looks like a success: only the user's reaction gives it away
            return NluRead(kind, wrong, "success", 0.55 + 0.40 * u[2], slot_mode)
        status = "interrupted" if kind == "bargein" else "cancelled"
        return NluRead(kind, wrong, status, 0.35 + 0.50 * u[2], slot_mode)

    def _wrong_intent(self, goal: Goal, u_scenario: float, u_choice: float) -> tuple[str, bool]:
        """Usually a sibling of the gold intent (alarm_set read as alarm_query): the hard case."""
        siblings = [i for i in self.intents_by_scenario[goal.scenario] if i != goal.intent]
        if siblings and u_scenario < self.config.same_scenario_misread_share:
            return siblings[int(u_choice * len(siblings))], True
        others = [i for i in self.intents if i != goal.intent] or [goal.intent]
        wrong = others[int(u_choice * len(others))]
        return wrong, self._scenario_of_intent[wrong] == goal.scenario


def _carrier(index: int, record: Mapping[str, str]) -> Carrier:
    text, spans = parse_annot_spans(record["annot_utt"])
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for span in spans:
        if span.start > position:
            pieces.append((text[position : span.start], None))
        pieces.append((text[span.start : span.end], span.name))
        position = span.end
    if position < len(text):
        pieces.append((text[position:], None))
    return Carrier(index, record["intent"], record["scenario"], tuple(pieces), tuple(s.name for s in spans))


def _values_of(pieces: Pieces) -> dict[str, tuple[str, ...]]:
    values: dict[str, list[str]] = {}
    for value, name in pieces:
        if name is not None:
            values.setdefault(name, []).append(value)
    return {name: tuple(vs) for name, vs in values.items()}


def slots_of(pieces: Pieces) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for value, name in pieces if name is not None)


def _fill(pieces: Pieces, values: Mapping[str, tuple[str, ...]]) -> Pieces:
    """The carrier's pieces with its slot values replaced by the goal's (k-th occurrence gets k-th value)."""
    used: dict[str, int] = {}
    filled = []
    for text, name in pieces:
        if name is not None:
            k = used.get(name, 0)
            used[name] = k + 1
            text = values[name][k]
        filled.append((text, name))
    return tuple(filled)
