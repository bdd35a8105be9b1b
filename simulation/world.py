"""A realistic, hard interaction-log simulator, with ground truth (pure logic: no files, no Spark).

Given MASSIVE seed records per locale, ``simulate`` yields batches of users' turns as Arrow record
batches in the ``interactions`` input contract (``LOG_SCHEMA``: the columns and types of
``INTERACTIONS.arrow_schema``, declared nullable so that malformed rows can be written) plus a
ground-truth batch. The miner never sees the truth; evaluation joins it on ``event_id``.

How the world works
-------------------
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
* After a noticed failure (silent ones are noticed 75% of the time) a user rephrases with another
  carrier (Zipf-skewed, so many users rephrase the same way; up to 3 attempts per goal), repeats the
  same words, switches goal (often same scenario and same slot values, e.g. alarm_set -> alarm_query at
  the same time: *not* a rephrase), or gives up (sometimes saying a locale's stop word).
* Surface noise (casing, spacing, punctuation, digits; by script: no spaces inside ja/zh words, full-width
  or Arabic punctuation) never changes the NLU outcome; duplicates, malformed rows, hostile text and a
  looping bot are mixed in, as in real logs.

How it runs
-----------
Users are simulated ``users_per_batch`` at a time. Within a batch all sessions advance in lockstep, one
turn per step, as numpy arrays of state, and the Arrow columns are `take`s from per-phrasing arrays: no
Python work per row except for the ~15% of rows whose words get noise. A batch depends only on its
``BatchSpec`` (locale, user range), the seed records, the seed and the config, so batches can run in any
order or in parallel processes and still come out byte-identical; memory is bounded by one batch plus a
capped phrasing cache.

Ground truth columns (``TRUTH_SCHEMA``), one row per produced event (duplicate deliveries once)
---------------------------------------------------------------------------------------------------
``event_id``
    the log's event_id (null only for malformed rows written with a null event_id).
``locale``
    the locale simulated (the true one, even when the row was written with a malformed locale).
``user_id``
    the true user (even when the row was written with a null user_id); counts distinct users.
``utterance``
    the utterance exactly as written to the log.
``gold_intent``, ``gold_slots``
    what the user meant (slots as they appear in the written utterance); null when the turn serves no
    goal: stop words, bot turns, malformed rows, stand-alone hostile payloads.
``goal_id``
    content hash of (locale, intent, slot values): equal goals share it across users; null as above.
``role``
    ``first`` (opens a new goal with the goal's own seed utterance), ``variant`` (opens a new goal with
    another carrier), ``followup`` (opens a new goal of the same scenario right after a success),
    ``switch`` (opens a new goal right after a noticed failure: not a rephrase), ``rephrase`` (another
    phrasing of the failed goal), ``repeat`` (the same words again after a failure), ``stop`` (a stop
    word after giving up), ``bot``, ``malformed`` (a row that breaks the input contract) or ``hostile``
    (a stand-alone markup/oversized payload serving no goal).
``nlu_outcome``
    ``correct``, ``friction``, ``bargein``, ``cancel`` or ``silent`` for goal turns; null otherwise.
``rephrase_of``
    for ``rephrase``/``repeat`` turns, the event_id of the previous failed attempt of the same goal
    (chain f1, f2, s: f2.rephrase_of = f1, s.rephrase_of = f2); null otherwise.
``rephrase_root``
    for ``rephrase``/``repeat`` turns, the first failed attempt of the chain (f1 for both f2 and s).
``attempt``
    1-based attempt number within the goal (1 for openers); null when no goal.
``surface``
    ``clean``, ``noisy`` (casing/spacing/punctuation/digits changed) or ``hostile`` (markup, control or
    bidi characters, oversized); null for malformed rows.
``defect``
    for malformed rows, which contract rule the row breaks (``MALFORMED_KINDS``); null otherwise.
``deliveries``
    how many times the row was written to the log (2 for duplicate deliveries).

Determinism: the same seed records, parameters and seed give identical batches. Randomness comes from
``random.Random`` / ``numpy`` generators seeded through BLAKE2 of (seed, purpose, locale, ...), never from
Python's salted ``hash()``.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Iterator, Mapping, Protocol, Sequence

import numpy as np
import pyarrow as pa
import regex

from miner.massive import parse_annot_spans
from miner.text import is_unsegmented
from schemas.interactions import INTERACTIONS, STATUSES

# The contract's columns, types and order, all declared nullable: malformed rows carry nulls in required
# columns (that is their point), which Arrow and Parquet refuse under a not-null declaration. The contract
# checks nullability per row, not per file, so this is exactly what a sloppy real producer writes.
LOG_SCHEMA = pa.schema([field.with_nullable(True) for field in INTERACTIONS.arrow_schema])
SLOTS_TYPE = LOG_SCHEMA.field("slots").type
TS_TYPE = LOG_SCHEMA.field("ts").type

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("locale", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("utterance", pa.string()),
        pa.field("gold_intent", pa.string()),
        pa.field("gold_slots", SLOTS_TYPE),
        pa.field("goal_id", pa.string()),
        pa.field("role", pa.string(), nullable=False),
        pa.field("nlu_outcome", pa.string()),
        pa.field("rephrase_of", pa.string()),
        pa.field("rephrase_root", pa.string()),
        pa.field("attempt", pa.int32()),
        pa.field("surface", pa.string()),
        pa.field("defect", pa.string()),
        pa.field("deliveries", pa.int32(), nullable=False),
    ]
)
_TRUTH_SCHEMA_BEFORE_DELIVERIES = pa.schema(list(TRUTH_SCHEMA)[:-1])

OUTCOMES = ("correct", "friction", "bargein", "cancel", "silent")
ROLES = ("first", "variant", "rephrase", "repeat", "switch", "followup", "stop", "bot", "malformed", "hostile")
SURFACES = ("clean", "noisy", "hostile")
MALFORMED_KINDS = (
    "null_user_id",
    "null_ts",
    "null_event_id",
    "unknown_status",
    "malformed_locale",
    "blank_utterance",
    "control_only_utterance",
    "confidence_out_of_range",
    "null_slot_value",
)

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
STANDALONE_HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</td></tr><iframe src=javascript:alert(1)>",
)
LONG_UTTERANCE_CHARS = 5000
EMBEDDED_HOSTILE_CHARS = ("\u202e", "\x07", "\x1b[2J", "\u200b", "\x00")

_EN_NUMBER_DIGITS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30",
}
# Punctuation noise appended at the end, by writing system (see _trailing_punctuation)
_TRAILING_PUNCTUATION = (".", "?", "!", "!!", " ?", "...")
_UNSEGMENTED_TRAILING_PUNCTUATION = ("。", "？", "！", "?", "!", "…")  # ja, zh: never a space before it
_ARABIC_TRAILING_PUNCTUATION = ("؟", ".", "!", " ؟", "...")
_ARABIC_LETTER = regex.compile(r"\p{Arabic}")
_LETTER = regex.compile(r"\p{L}")
# normalize_phrasing drops these at the end (ASCII, full-width and Arabic sentence ends)
_SENTENCE_END = ".!? 。？！؟"

# Relative session-start weights per UTC hour: quiet nights, busy mornings and evenings.
_HOURLY_ACTIVITY = np.array(
    [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.0, 2.6, 2.4, 2.4,
     2.6, 2.4, 2.3, 2.4, 2.6, 3.0, 3.4, 3.6, 3.4, 2.8, 2.0, 1.4]
)
_SECONDS_PER_DAY = 86_400
_MAX_TURNS_PER_SESSION = 40  # a safety net; real sessions end far earlier

# Integer codes of the vectorized simulation (indices into the tuples above).
_CORRECT, _FRICTION, _BARGEIN, _CANCEL, _SILENT = range(len(OUTCOMES))
_FIRST, _VARIANT, _REPHRASE, _REPEAT, _SWITCH, _FOLLOWUP, _STOP, _BOT = range(8)
_CLEAN, _NOISY, _HOSTILE = range(len(SURFACES))
_REACT_REPHRASE, _REACT_REPEAT, _REACT_SWITCH, _REACT_GIVE_UP = range(4)
_NONE = -1  # no row / no goal / no outcome / no device
_STATUS_CODES = {status: code for code, status in enumerate(STATUSES)}


@dataclass(frozen=True)
class SimulationConfig:
    """Every rate of the simulated world. Defaults follow the project brief; tests shrink the bot."""

    zipf_exponent: float = 1.1
    own_phrasing_share: float = 0.65
    misread_share: float = 0.20
    # friction, silent, barge-in, cancel shares among misread phrasings
    misread_kind_weights: tuple[tuple[str, float], ...] = (
        ("friction", 0.40), ("silent", 0.30), ("bargein", 0.15), ("cancel", 0.15),
    )
    same_scenario_misread_share: float = 0.65
    low_confidence_success_share: float = 0.05
    noise_interrupt_share: float = 0.02
    silent_noticed_share: float = 0.75
    rephrase_share: float = 0.60
    repeat_share: float = 0.05
    switch_share: float = 0.25  # the rest (0.10) give up
    hostile_rephrase_share: float = 0.90
    same_values_switch_share: float = 0.40
    stop_word_share: float = 0.50  # of those giving up
    max_attempts: int = 3
    same_scenario_followup_share: float = 0.50
    continue_session_share: float = 0.60  # chance of one more goal after each finished one
    max_goals_per_session: int = 6
    session_count_weights: tuple[float, ...] = (0.30, 0.35, 0.20, 0.15)  # 1..4 sessions a day
    noisy_surface_share: float = 0.15
    embedded_hostile_share: float = 0.003
    duplicate_share: float = 0.01
    malformed_share: float = 0.005
    standalone_hostile_share: float = 0.001
    null_device_user_share: float = 0.03
    two_device_user_share: float = 0.35
    hostile_user_every: int = 25  # every 25th user opens with one of the fixed hostile phrasings
    midnight_user_every: int = 97  # every 97th user's session starts at 23:59 and runs past midnight
    bot_hours: float = 2.5
    users_per_batch: int = 10_000  # ~60k rows: big enough to amortize numpy calls, small enough for memory
    max_cached_phrasings: int = 300_000  # per locale; beyond it the cache starts afresh (bounded memory)


@dataclass
class BatchStats:
    turns: int = 0  # rows written, duplicates included
    events: int = 0  # distinct events (truth rows)
    users: int = 0
    sessions: int = 0
    failures: int = 0  # goal turns the NLU misread (noticed or not)
    rephrases: int = 0
    duplicates: int = 0
    malformed: int = 0
    hostile: int = 0  # events with hostile surface text
    bot_turns: int = 0

    def add(self, other: BatchStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class SimulatedBatch:
    locale: str
    log: pa.RecordBatch  # LOG_SCHEMA, in generation order (writers shuffle)
    truth: pa.RecordBatch  # TRUTH_SCHEMA
    stats: BatchStats


@dataclass(frozen=True)
class BatchSpec:
    """One unit of work: users ``first_user`` .. ``last_user - 1`` of a locale, or that locale's bot.

    A batch depends only on its spec, the locale's seed records, the seed and the config, so batches can
    be generated in any order or in parallel processes and still come out identical.
    """

    locale: str
    first_user: int
    last_user: int
    bot: bool = False


# --------------------------------------------------------------------------------------------------
# Public entry points


def plan_batches(locales: Sequence[str], users_per_locale: int, config: SimulationConfig) -> list[BatchSpec]:
    """The batches of a run, in output order: each locale's users, the bot after the first locale's."""
    specs = []
    for locale_index, locale in enumerate(locales):
        for first_user in range(0, users_per_locale, config.users_per_batch):
            specs.append(BatchSpec(locale, first_user, min(first_user + config.users_per_batch, users_per_locale)))
        if locale_index == 0 and config.bot_hours > 0:
            specs.append(BatchSpec(locale, 0, 0, bot=True))
    return specs


def simulate_batch(world: LocaleWorld, spec: BatchSpec, day: date) -> SimulatedBatch:
    """Generate one planned batch with the world of its locale."""
    if world.locale != spec.locale:
        raise ValueError(f"batch for {spec.locale} given the world of {world.locale}")
    day_start_us = int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1_000_000
    if len(world.phrasings) > world.config.max_cached_phrasings:
        world.forget_phrasings()
    if spec.bot:
        return _bot_batch(world, day_start_us)
    return _BatchSimulation(world, day_start_us, spec.first_user, spec.last_user).run()


def simulate(
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    users_per_locale: int,
    day: date,
    seed: int,
    config: SimulationConfig = SimulationConfig(),
) -> Iterator[SimulatedBatch]:
    """Yield the simulated log, locale by locale, ``config.users_per_batch`` users at a time.

    ``users_per_locale`` users are simulated in each locale of ``seed_records`` (in its key order); the
    first locale also gets the looping bot. Memory stays bounded by one batch.
    """
    worlds: dict[str, LocaleWorld] = {}
    for spec in plan_batches(list(seed_records), users_per_locale, config):
        if spec.locale not in worlds:
            worlds = {spec.locale: LocaleWorld(spec.locale, seed_records[spec.locale], seed, config)}
        yield simulate_batch(worlds[spec.locale], spec, day)


def simulate_tables(
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    users_per_locale: int,
    day: date,
    seed: int,
    config: SimulationConfig = SimulationConfig(),
) -> tuple[pa.Table, pa.Table, BatchStats]:
    """All of ``simulate`` in memory: (log, truth, stats). For tests and small runs."""
    batches = list(simulate(seed_records, users_per_locale, day, seed, config))
    stats = BatchStats()
    for batch in batches:
        stats.add(batch.stats)
    log = pa.Table.from_batches([b.log for b in batches], schema=LOG_SCHEMA)
    truth = pa.Table.from_batches([b.truth for b in batches], schema=TRUTH_SCHEMA)
    return log, truth, stats


def estimate_users_per_locale(
    target_turns: int,
    seed_records: Mapping[str, Sequence[Mapping[str, str]]],
    seed: int,
    day: date,
    config: SimulationConfig = SimulationConfig(),
    worlds: dict[str, LocaleWorld] | None = None,
) -> int:
    """Users per locale for about ``target_turns`` rows in all, measured on a pilot batch per locale.

    Pass ``worlds`` to keep the worlds built for the pilot (building one takes a moment).
    """
    worlds = {} if worlds is None else worlds
    pilot_users = min(config.users_per_batch, 1000)
    pilot_turns = 0
    for locale, records in seed_records.items():
        world = worlds.get(locale) or LocaleWorld(locale, records, seed, config)
        worlds[locale] = world
        pilot_turns += simulate_batch(world, BatchSpec(locale, 0, pilot_users), day).stats.turns
    bot_turns = _bot_turn_count(config)
    turns_per_user_of_every_locale = pilot_turns / pilot_users
    return max(1, round(max(target_turns - bot_turns, 0) / turns_per_user_of_every_locale))


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes and platforms (unlike ``hash()``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def normalize_phrasing(text: str) -> str:
    """What the simulated NLU keys on: casefolded, single-spaced, without trailing punctuation (ASCII,
    full-width or Arabic). No space is added: ja and zh text stays without spaces between words."""
    return " ".join(text.casefold().split()).rstrip(_SENTENCE_END)


# --------------------------------------------------------------------------------------------------
# Vectorized building blocks


class SegmentedZipf:
    """Zipf draws inside segments: segment ``s`` ranks ``segments[s]``; its k-th item (0-based) is drawn
    with probability proportional to 1 / (k + 1) ** exponent. Draws for many segments at once."""

    def __init__(self, segments: Sequence[Sequence[int]], exponent: float):
        if not segments or any(len(s) == 0 for s in segments):
            raise ValueError("every segment needs at least one item")
        self.sizes = np.array([len(s) for s in segments], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.items = np.concatenate([np.asarray(s, dtype=np.int64) for s in segments])
        ranks = np.concatenate([np.arange(size) for size in self.sizes])
        self._cumulative = np.cumsum(1.0 / (ranks + 1.0) ** exponent)
        ends = self._cumulative[self.starts + self.sizes - 1]
        self._base = np.where(self.starts > 0, self._cumulative[np.maximum(self.starts - 1, 0)], 0.0)
        self._span = ends - self._base

    def draw(self, rng: np.random.Generator, segments: np.ndarray) -> np.ndarray:
        targets = self._base[segments] + rng.random(len(segments)) * self._span[segments]
        positions = np.searchsorted(self._cumulative, targets, side="right")
        # rounding can land one past a segment's end; clip back inside it
        positions = np.clip(positions, self.starts[segments], self.starts[segments] + self.sizes[segments] - 1)
        return self.items[positions]

    def segment(self, segment: int) -> np.ndarray:
        """The items of one segment, most popular first."""
        start = self.starts[segment]
        return self.items[start : start + self.sizes[segment]]


class _Growable:
    """A numpy array that grows by appends (amortized O(1)); ``values`` views the filled part."""

    def __init__(self, dtype: type = np.int64) -> None:
        self._data = np.empty(1024, dtype=dtype)
        self._size = 0

    def append(self, value: int) -> None:
        if self._size == len(self._data):
            self._data = np.concatenate([self._data, np.empty_like(self._data)])
        self._data[self._size] = value
        self._size += 1

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]


class _GrowableArrow:
    """An Arrow array over values that are only ever appended: each value is converted once, so a
    batch's columns can be `take`n from it instead of converting every row's value again."""

    def __init__(self, type: pa.DataType) -> None:
        self.type = type
        self._array = pa.array([], type)
        self._pending: list = []

    def append(self, value) -> None:
        self._pending.append(value)

    @property
    def array(self) -> pa.Array:
        if self._pending:
            self._array = pa.concat_arrays([self._array, pa.array(self._pending, self.type)])
            self._pending = []
        return self._array


def _hex_ids(rng: np.random.Generator, count: int, nbytes: int = 16, prefix: str = "") -> pa.Array:
    """``count`` random ids (``prefix`` + 2 * ``nbytes`` hex digits) as an Arrow string array, built
    without a Python loop."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    raw = rng.integers(0, 256, size=(count, nbytes), dtype=np.uint8)
    text = np.empty((count, len(prefix) + 2 * nbytes), dtype=np.uint8)
    text[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    text[:, len(prefix) :: 2] = digits[raw >> 4]
    text[:, len(prefix) + 1 :: 2] = digits[raw & 15]
    offsets = np.arange(0, text.size + 1, text.shape[1], dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _masked(indices: np.ndarray) -> pa.Array:
    """Take-indices where ``_NONE`` becomes null (so the taken value is null)."""
    return pa.array(indices, pa.int64(), mask=indices < 0)


# --------------------------------------------------------------------------------------------------
# The world of one locale: carriers, goals, the NLU


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


class IntentReader(Protocol):
    """A real NLU model standing in for the simulated one: the intent it predicts for each text."""

    def predict(self, texts: Sequence[str]) -> list[str]: ...


class LocaleWorld:
    """Seed records of one locale turned into carriers, goals, popularity and a deterministic NLU.

    With a ``reader`` (a trained intent classifier), a phrasing is misread exactly when the reader predicts
    another intent than the goal's, and the wrong intent is the reader's; the kind of failure (friction,
    silent, barge-in, cancel) and the confidence still come from the phrasing's hash. ``traffic_seed``
    (default: ``seed``) draws the users: another one gives another day of traffic in the same world.

    Goals and phrasings are numbered as they are first needed; numpy arrays indexed by those numbers
    (``goal_group``, ``phrasing_outcome``, ...) let the batch simulation look them up for many sessions
    at once. The numbering depends on the order of use, the content never does: a goal's id is a hash
    of its content and a phrasing's read a hash of its text.
    """

    def __init__(
        self, locale: str, records: Sequence[Mapping[str, str]], seed: int, config: SimulationConfig,
        reader: IntentReader | None = None, traffic_seed: int | None = None,
    ):
        if not records:
            raise ValueError(f"no seed records for locale {locale}")
        self.locale = locale
        self.seed = seed
        self.traffic_seed = seed if traffic_seed is None else traffic_seed
        self.config = config
        self.reader = reader
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
        self.goal_group, self.goal_scenario, self.goal_own_carrier = _Growable(), _Growable(), _Growable()
        self.goal_ids, self.goal_intents = _GrowableArrow(pa.string()), _GrowableArrow(pa.string())
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
        self.phrasing_outcome, self.phrasing_hostile, self.phrasing_status = _Growable(), _Growable(), _Growable()
        self.phrasing_confidence = _Growable(np.float32)
        self.phrasing_text, self.phrasing_intent = _GrowableArrow(pa.string()), _GrowableArrow(pa.string())
        self.phrasing_slots, self.phrasing_read_slots = _GrowableArrow(SLOTS_TYPE), _GrowableArrow(SLOTS_TYPE)
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
        read = NluRead(None, None, "cancelled", _hash_uniform(self.seed, "stop", word, 0.7, 1.0), "null")
        return self._add_phrasing(Phrasing(((word, None),), word, (), -1, read, hostile=False), _NONE)

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
            read = NluRead("friction", None, "unhandled", _hash_uniform(self.seed, "hostile", text, 0.05, 0.3), "null")
            phrasing = Phrasing(pieces, text, _slots_of(pieces), goal.own_carrier, read, hostile=True)
            openers.append((goal_index, self._add_phrasing(phrasing, _FRICTION)))
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
        (``choice`` in [0, 1) picks which); ``_NONE`` when the scenario has none."""
        goal = self.goals[goal_index]
        names = tuple(sorted(name for name, vs in goal.values.items() for _ in vs))
        groups = [
            g for g in self._groups_by_scenario_names.get((goal.scenario, names), ())
            if self._group_intent[g] != goal.intent
        ]
        if not groups:
            return _NONE
        return self.goal_index(self._group_intent[groups[int(choice * len(groups))]], goal.values)

    # -- phrasings and the NLU ----------------------------------------------------------------------

    def phrasing_ids(self, goals: np.ndarray, carriers: np.ndarray) -> np.ndarray:
        """The phrasing numbers of (goal, carrier) pairs, creating the missing ones."""
        keys = goals * len(self.carriers) + carriers
        known = self._phrasing_by_key
        ids = np.fromiter((known.get(k, _NONE) for k in keys.tolist()), dtype=np.int64, count=len(keys))
        missing = np.flatnonzero(ids == _NONE).tolist()
        if self.reader is not None and missing:  # one model call for all new phrasings, not one per text
            self._predict_intents(
                "".join(p for p, _ in _fill(self.carriers[int(carriers[i])].pieces, self.goals[int(goals[i])].values))
                for i in missing
            )
        for position in missing:
            ids[position] = self._phrasing_id(int(goals[position]), int(carriers[position]), int(keys[position]))
        return ids

    def _phrasing_id(self, goal_index: int, carrier_index: int, key: int) -> int:
        if key in self._phrasing_by_key:  # the same pair twice in one call
            return self._phrasing_by_key[key]
        goal = self.goals[goal_index]
        pieces = _fill(self.carriers[carrier_index].pieces, goal.values)
        text = "".join(p for p, _ in pieces)
        read = self.read(text, goal)
        phrasing = Phrasing(pieces, text, _slots_of(pieces), carrier_index, read, hostile=False)
        self._phrasing_by_key[key] = self._add_phrasing(phrasing, OUTCOMES.index(read.outcome))
        return self._phrasing_by_key[key]

    def _add_phrasing(self, phrasing: Phrasing, outcome_code: int) -> int:
        read = phrasing.read
        self.phrasings.append(phrasing)
        self.phrasing_outcome.append(outcome_code)
        self.phrasing_hostile.append(int(phrasing.hostile))
        self.phrasing_status.append(_STATUS_CODES[read.status])
        self.phrasing_confidence.append(read.confidence)
        self.phrasing_text.append(phrasing.text)
        self.phrasing_intent.append(read.intent)
        self.phrasing_slots.append(phrasing.slots)
        self.phrasing_read_slots.append(read.slots_of(phrasing.slots))
        return len(self.phrasings) - 1

    def _predict_intents(self, texts: Iterable[str]) -> None:
        new = list(dict.fromkeys(t for t in map(normalize_phrasing, texts) if t not in self._predicted_intents))
        if new:
            self._predicted_intents.update(zip(new, self.reader.predict(new), strict=True))

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
            read = self._decide_read(_hash_uniforms(self.seed, "nlu", self.locale, normalized), goal, predicted)
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
        kind = _pick_weighted(cfg.misread_kind_weights, u[3])
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


def _slots_of(pieces: Pieces) -> tuple[tuple[str, str], ...]:
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


def _hash_uniform(seed: int, purpose: str, text: str, low: float, high: float) -> float:
    return low + (high - low) * _hash_uniforms(seed, purpose, text)[0]


def _hash_uniforms(*parts: object) -> tuple[float, ...]:
    """Eight uniforms in [0, 1) that are a pure function of ``parts`` (BLAKE2, not ``hash()``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=32).digest()
    return tuple(word / 2**32 for word in struct.unpack(">8I", digest))


def _pick_weighted(weighted: Sequence[tuple[str, float]], u: float) -> str:
    total = sum(weight for _, weight in weighted)
    for name, weight in weighted:
        u -= weight / total
        if u < 0:
            return name
    return weighted[-1][0]


# --------------------------------------------------------------------------------------------------
# Users, simulated a batch at a time
#
# All sessions of a batch advance in lockstep, one turn per step, as numpy arrays of state (goal,
# phrasing, attempt, time, ...): the per-turn decisions are the same as a per-user loop's, but made
# for thousands of sessions per numpy call, which is what makes 10^5 turns/s possible in Python.


@dataclass
class _Rows:
    """The turns of a batch, one entry per row, as emitted (columns are numpy arrays)."""

    user: np.ndarray  # position of the user in the batch
    device: np.ndarray  # device slot (see _Users.device_ids) or _NONE
    t: np.ndarray  # seconds since the simulated day's midnight
    phrasing: np.ndarray
    goal: np.ndarray  # _NONE for turns serving no goal (stop words, the bot)
    role: np.ndarray
    attempt: np.ndarray  # 0 for turns serving no goal
    rephrase_of: np.ndarray  # row number or _NONE
    rephrase_root: np.ndarray

    @property
    def size(self) -> int:
        return len(self.t)


class _RowChunks:
    """Collects the rows emitted step by step; row numbers are positions in the final concatenation."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self.size = 0

    def append(self, *columns: np.ndarray) -> np.ndarray:
        count = len(columns[0])
        self._chunks.append(tuple(np.asarray(c) for c in columns))
        self.size += count
        return np.arange(self.size - count, self.size)

    def concatenated(self) -> _Rows:
        return _Rows(*(np.concatenate(parts) for parts in zip(*self._chunks)))


@dataclass
class _Users:
    ids: pa.Array  # "u" + 16 hex digits
    device_ids: pa.Array  # slot i: user i's first device; slot n + i: their second
    has_two_devices: np.ndarray
    web_client: np.ndarray  # no device id at all


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
        self.previous_failure[which] = _NONE
        self.chain_root[which] = _NONE
        self.tried[which] = _NONE
        self.tried[which, 0] = carriers


class _BatchSimulation:
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
        self.rows = _RowChunks()
        self.sessions = 0

    def run(self) -> SimulatedBatch:
        users = self._users()
        self._simulate_day(users)
        rows = self.rows.concatenated()
        surfaces = _surface_forms(rows, self.world, self.rng, self.text_rng)
        event_ids = _hex_ids(self.rng, rows.size)
        log, truth = _assemble(self.world, rows, surfaces, users, self.day_start_us, event_ids)
        stats = BatchStats(
            users=self.last_user - self.first_user,
            sessions=self.sessions,
            failures=int((self.world.phrasing_outcome.values[rows.phrasing] > _CORRECT).sum()),
            rephrases=int((rows.role == _REPHRASE).sum()),
            hostile=int((surfaces.codes == _HOSTILE).sum()),
        )
        return _LogDefects(self.world, self.rng, self.first_user).apply(log, truth, stats)

    # -- users and their sessions -------------------------------------------------------------------

    def _users(self) -> _Users:
        n, rng = self.last_user - self.first_user, self.rng
        return _Users(
            ids=_hex_ids(rng, n, 8, "u"),
            device_ids=_hex_ids(rng, 2 * n, 6, "d"),
            has_two_devices=rng.random(n) < self.cfg.two_device_user_share,
            web_client=rng.random(n) < self.cfg.null_device_user_share,
        )

    def _simulate_day(self, users: _Users) -> None:
        """Up to four sessions per user, more than ten minutes apart; each round runs every user's
        next session (a session starts only once the previous one has ended)."""
        cfg, rng = self.cfg, self.rng
        n = self.last_user - self.first_user
        index = np.arange(self.first_user, self.last_user)
        weights = np.asarray(cfg.session_count_weights, dtype=float)
        session_counts = 1 + rng.choice(len(weights), size=n, p=weights / weights.sum())
        hours = rng.choice(24, size=n, p=_HOURLY_ACTIVITY / _HOURLY_ACTIVITY.sum())
        starts = (hours + rng.random(n)) * 3600

        openers = np.full(n, _NONE)
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
            round_openers = openers[who] if session_round == 0 else np.full(who.size, _NONE)
            ends = self._run_sessions(users, who, starts[who], round_openers, min_goals[who])
            starts[who] = ends + 600 * np.exp(rng.uniform(math.log(1.1), math.log(30), who.size))  # 11 min-5 h

    def _run_sessions(self, users: _Users, who: np.ndarray, starts: np.ndarray, openers: np.ndarray,
                      min_goals: np.ndarray) -> np.ndarray:
        """One session for each user in ``who``; returns the time of each session's last turn."""
        cfg, rng, world = self.cfg, self.rng, self.world
        count = who.size
        self.sessions += count
        n_users = self.last_user - self.first_user
        second_device = users.has_two_devices[who] & (rng.random(count) < 0.5)
        device = np.where(users.web_client[who], _NONE, np.where(second_device, who + n_users, who))
        more_goals = rng.geometric(1 - cfg.continue_session_share, count) - 1
        goals_left = np.minimum(min_goals - 1 + more_goals, cfg.max_goals_per_session - 1)

        goals = world.goal_zipf.draw(rng, np.zeros(count, dtype=np.int64))
        hostile = np.flatnonzero(openers >= 0)
        opener_goals = np.array([world.hostile_openers[k][0] for k in openers[hostile]], dtype=np.int64)
        goals[hostile] = opener_goals
        phrasings, roles, carriers = self._open(goals)
        phrasings[hostile] = [world.hostile_openers[k][1] for k in openers[hostile]]
        roles[hostile] = _FIRST
        carriers[hostile] = world.goal_own_carrier.values[opener_goals]

        state = _Sessions(
            user=who, device=device, t=starts.astype(float), goals_left=goals_left,
            goal=goals, phrasing=phrasings, role=roles, attempt=np.ones(count, dtype=np.int64),
            previous_failure=np.full(count, _NONE), chain_root=np.full(count, _NONE),
            tried=np.full((count, cfg.max_attempts), _NONE),
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
        noticed = (outcome != _CORRECT) & ((outcome != _SILENT) | (rng.random(active.size) < cfg.silent_noticed_share))
        ended = np.zeros(active.size, dtype=bool)

        failed = np.flatnonzero(noticed)
        sessions = active[failed]
        s.chain_root[sessions] = np.where(s.chain_root[sessions] == _NONE, rows[failed], s.chain_root[sessions])
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
        stuck = carriers == _NONE  # nothing else to say: the same words again, or give up
        reaction[wants_rephrase[stuck]] = np.where(rng.random(stuck.sum()) < 0.5, _REACT_REPEAT, _REACT_GIVE_UP)
        rephrasing, carriers = sessions[wants_rephrase[~stuck]], carriers[~stuck]
        silent = outcome[wants_rephrase[~stuck]] == _SILENT
        # a silent failure shows in the answer at once: those rephrases come quickly
        s.t[rephrasing] += np.where(silent, rng.uniform(2, 8, silent.size), rng.uniform(2, 20, silent.size))
        s.tried[rephrasing, s.attempt[rephrasing]] = carriers
        s.attempt[rephrasing] += 1
        s.phrasing[rephrasing] = world.phrasing_ids(s.goal[rephrasing], carriers)
        s.role[rephrasing] = _REPHRASE

        repeating = sessions[reaction == _REACT_REPEAT]
        s.t[repeating] += rng.uniform(2, 10, repeating.size)
        s.attempt[repeating] += 1
        s.role[repeating] = _REPEAT

        switching = sessions[reaction == _REACT_SWITCH]
        s.t[switching] += rng.uniform(3, 30, switching.size)
        goals = self._switched_goals(s.goal[switching])
        phrasings, _, carriers = self._open(goals)
        s.start_goals(switching, goals, phrasings, np.full(switching.size, _SWITCH), carriers)
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
        s.start_goals(sessions, goals, phrasings, np.where(followup, _FOLLOWUP, roles), carriers)

    def _emit_stop_words(self, s: _Sessions, sessions: np.ndarray) -> None:
        stop = self.world.stop_phrasings[self.rng.integers(0, len(self.world.stop_phrasings), sessions.size)]
        none = np.full(sessions.size, _NONE)
        self.rows.append(
            s.user[sessions], s.device[sessions], s.t[sessions], stop, none, np.full(sessions.size, _STOP),
            np.zeros(sessions.size, dtype=np.int64), none, none,
        )

    # -- decisions ----------------------------------------------------------------------------------

    def _open(self, goals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How users first phrase goals: the goal's own seed utterance, else a (popular) carrier.
        Returns (phrasings, roles first/variant, carriers)."""
        world = self.world
        own = world.goal_own_carrier.values[goals]
        drawn = world.carrier_zipf.draw(self.rng, world.goal_group.values[goals])
        use_own = (own != _NONE) & (self.rng.random(goals.size) < self.cfg.own_phrasing_share)
        carriers = np.where(use_own, own, drawn)
        roles = np.where(carriers == own, _FIRST, _VARIANT)
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
        ``_NONE`` where every carrier was tried."""
        zipf = self.world.carrier_zipf
        groups = self.world.goal_group.values[goals]
        chosen = np.full(goals.size, _NONE)
        pending = np.flatnonzero(zipf.sizes[groups] > (tried != _NONE).sum(axis=1))
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
            if related != _NONE:
                switched[i] = related
        return switched


# --------------------------------------------------------------------------------------------------
# Surface forms: how the words were typed or transcribed


@dataclass
class _Surfaces:
    codes: np.ndarray  # per row: _CLEAN, _NOISY or _HOSTILE
    changed: np.ndarray  # rows whose text differs from their phrasing's
    texts: list[str]  # their texts, in the order of `changed`
    slots: list[tuple]  # their slots as they appear in those texts
    interrupted: np.ndarray  # rows whose correct read still ended interrupted (user barged in anyway)


def _surface_forms(rows: _Rows, world: LocaleWorld, rng: np.random.Generator, text_rng: random.Random) -> _Surfaces:
    """Noise never changes the NLU outcome: it is applied to the words after the read was decided."""
    cfg = world.config
    draw = rng.random(rows.size)
    embedded = draw < cfg.embedded_hostile_share
    noisy = ~embedded & (draw < cfg.embedded_hostile_share + cfg.noisy_surface_share)
    codes = np.where(world.phrasing_hostile.values[rows.phrasing] == 1, _HOSTILE, _CLEAN)
    codes[noisy & (codes == _CLEAN)] = _NOISY
    codes[embedded] = _HOSTILE

    changed = np.flatnonzero(noisy | embedded)
    texts, slots = [], []
    digits_allowed = world.locale.startswith("en")
    for row, hidden in zip(changed.tolist(), embedded[changed].tolist()):
        pieces = world.phrasings[rows.phrasing[row]].pieces
        if hidden:
            pieces = _embed_hostile_chars(pieces, text_rng)
        else:
            pieces = _add_noise(pieces, text_rng, digits_allowed, world.trailing_punctuation)
        texts.append("".join(p for p, _ in pieces))
        slots.append(_slots_of(pieces))

    correct = world.phrasing_outcome.values[rows.phrasing] == _CORRECT
    interrupted = correct & (rng.random(rows.size) < cfg.noise_interrupt_share) & (rows.role != _BOT)
    return _Surfaces(codes, changed, texts, slots, interrupted)


def _add_noise(
    pieces: Pieces, rng: random.Random, digits_allowed: bool, trailing: Sequence[str] = _TRAILING_PUNCTUATION
) -> Pieces:
    """Typing noise: number words as digits (en), extra spaces around or inside (never between words
    of unsegmented scripts, which have no spaces), punctuation at the end (``trailing``, by script) and
    casing; text without cased letters (ja, zh, ar) gets punctuation where casing would change nothing."""
    noisy = list(pieces)
    applied = False
    if digits_allowed and rng.random() < 0.3:
        digits = [(_digits_for_number_words(p), n) for p, n in noisy]
        applied = digits != noisy
        noisy = digits
    if rng.random() < 0.35:
        noisy = _add_spacing(noisy, rng)
        applied = True
    if rng.random() < 0.45:
        noisy.append((rng.choice(trailing), None))
        applied = True
    if not applied and _caseless(noisy):
        noisy.append((rng.choice(trailing), None))
    elif not applied or rng.random() < 0.5:
        noisy = _recase(noisy, rng)
    return tuple(noisy)


def _caseless(pieces: Sequence[tuple[str, str | None]]) -> bool:
    """No letter with an upper and a lower case (Han, kana, Arabic, ...): recasing changes nothing."""
    return all(text.upper() == text.lower() for text, _ in pieces)


def _trailing_punctuation(text: str) -> tuple[str, ...]:
    """The sentence-end punctuation users of this writing system type (``text``: a locale's seed text)."""
    if is_unsegmented(text):
        return _UNSEGMENTED_TRAILING_PUNCTUATION
    if 2 * len(_ARABIC_LETTER.findall(text)) > len(_LETTER.findall(text)):
        return _ARABIC_TRAILING_PUNCTUATION
    return _TRAILING_PUNCTUATION


def _embed_hostile_chars(pieces: Pieces, rng: random.Random) -> Pieces:
    position = 1 + int(rng.random() * len(pieces))  # never in front: it hides inside the text
    hidden = EMBEDDED_HOSTILE_CHARS[int(rng.random() * len(EMBEDDED_HOSTILE_CHARS))]
    return pieces[:position] + ((hidden, None),) + pieces[position:]


def _digits_for_number_words(text: str) -> str:
    return " ".join(_EN_NUMBER_DIGITS.get(word, word) for word in text.split(" "))


def _add_spacing(pieces: list, rng: random.Random) -> list:
    if rng.random() < 0.5:
        literals = [i for i, (p, n) in enumerate(pieces) if n is None and " " in p]
        if literals:
            i = literals[int(rng.random() * len(literals))]
            pieces[i] = (pieces[i][0].replace(" ", "  ", 1), None)
            return pieces
    return [(rng.choice((" ", "  ", "")), None)] + pieces + [(rng.choice((" ", "  ", "\t")), None)]


def _recase(pieces: list, rng: random.Random) -> list:
    r = rng.random()
    if r < 0.55:  # "Wake me up": sentence case
        for i, (text, name) in enumerate(pieces):
            if text.strip():
                lead = len(text) - len(text.lstrip())
                pieces[i] = (text[:lead] + text[lead : lead + 1].upper() + text[lead + 1 :], name)
                break
        return pieces
    if r < 0.85:  # "Wake Me Up"
        return [(" ".join(w[:1].upper() + w[1:] for w in text.split(" ")), name) for text, name in pieces]
    return [(text.upper(), name) for text, name in pieces]


# --------------------------------------------------------------------------------------------------
# Arrow assembly


def _assemble(
    world: LocaleWorld, rows: _Rows, surfaces: _Surfaces, users: _Users, day_start_us: int, event_ids: pa.Array
) -> tuple[pa.RecordBatch, pa.RecordBatch]:
    """Log and truth (without deliveries) of the rows. Every column is a `take` from per-phrasing,
    per-goal or per-user arrays, so no Python work is done per row."""
    n = rows.size
    # rows whose surface was changed have their own text and slots, appended after the phrasings'
    by_text = rows.phrasing.copy()
    by_text[surfaces.changed] = len(world.phrasings) + np.arange(surfaces.changed.size)
    changed_reads = [world.phrasings[p].read for p in rows.phrasing[surfaces.changed].tolist()]
    texts = pa.concat_arrays([world.phrasing_text.array, pa.array(surfaces.texts, pa.string())])
    read_slots = pa.array([r.slots_of(s) for r, s in zip(changed_reads, surfaces.slots)], SLOTS_TYPE)
    read_slots = pa.concat_arrays([world.phrasing_read_slots.array, read_slots])
    gold_slots = pa.concat_arrays([world.phrasing_slots.array, pa.array(surfaces.slots, SLOTS_TYPE)])
    utterance = texts.take(by_text)
    status_codes = world.phrasing_status.values[rows.phrasing]
    status_codes[surfaces.interrupted] = _STATUS_CODES["interrupted"]
    log = pa.RecordBatch.from_arrays(
        [
            event_ids,
            users.ids.take(rows.user),
            users.device_ids.take(_masked(rows.device)),
            pa.array(day_start_us + np.round(rows.t * 1_000_000).astype(np.int64), TS_TYPE),
            pa.array([world.locale] * n, pa.string()),
            utterance,
            world.phrasing_intent.array.take(rows.phrasing),
            read_slots.take(by_text),
            pa.array(world.phrasing_confidence.values[rows.phrasing]),
            pa.array(STATUSES, pa.string()).take(status_codes),
        ],
        schema=LOG_SCHEMA,
    )

    no_goal = rows.goal == _NONE
    outcomes = np.where(no_goal, _NONE, world.phrasing_outcome.values[rows.phrasing])
    truth = pa.RecordBatch.from_arrays(
        [
            event_ids,
            pa.array([world.locale] * n, pa.string()),
            users.ids.take(rows.user),
            utterance,
            world.goal_intents.array.take(_masked(rows.goal)),
            gold_slots.take(_masked(np.where(no_goal, _NONE, by_text))),
            world.goal_ids.array.take(_masked(rows.goal)),
            pa.array(ROLES, pa.string()).take(rows.role),
            pa.array(OUTCOMES, pa.string()).take(_masked(outcomes)),
            event_ids.take(_masked(rows.rephrase_of)),
            event_ids.take(_masked(rows.rephrase_root)),
            pa.array(rows.attempt.astype(np.int32), mask=rows.attempt == 0),
            pa.array(SURFACES, pa.string()).take(surfaces.codes),
            pa.nulls(n, pa.string()),
        ],
        schema=_TRUTH_SCHEMA_BEFORE_DELIVERIES,
    )
    return log, truth


# --------------------------------------------------------------------------------------------------
# Log defects


class _LogDefects:
    """What real logs also contain: broken rows, hostile payloads, duplicate deliveries. Few rows, so
    they are built as Python dicts from copies of real turns."""

    def __init__(self, world: LocaleWorld, rng: np.random.Generator, first_user: int):
        self.world = world
        self.cfg = world.config
        self.rng = rng
        self.first_user = first_user

    def apply(self, log: pa.RecordBatch, truth: pa.RecordBatch, stats: BatchStats) -> SimulatedBatch:
        flow_rows = log.num_rows
        extra_log, extra_truth = [], []
        if flow_rows:
            for make in (self._malformed_rows, self._standalone_hostile_rows):
                log_rows, truth_rows = make(log, truth, flow_rows)
                extra_log += log_rows
                extra_truth += truth_rows
        stats.malformed = sum(1 for row in extra_truth if row["role"] == "malformed")
        stats.hostile += sum(1 for row in extra_truth if row["role"] == "hostile")
        log = pa.concat_batches([log, pa.RecordBatch.from_pylist(extra_log, schema=LOG_SCHEMA)])
        truth = pa.concat_batches(
            [truth, pa.RecordBatch.from_pylist(extra_truth, schema=_TRUTH_SCHEMA_BEFORE_DELIVERIES)]
        )

        events = log.num_rows
        has_id = np.asarray(log.column("event_id").is_valid())  # an event without id is not "the same event"
        duplicated = np.flatnonzero((self.rng.random(events) < self.cfg.duplicate_share) & has_id)
        deliveries = np.ones(events, dtype=np.int32)
        deliveries[duplicated] = 2
        log = pa.concat_batches([log, log.take(pa.array(duplicated, pa.int64()))])
        truth = pa.RecordBatch.from_arrays(truth.columns + [pa.array(deliveries)], schema=TRUTH_SCHEMA)
        stats.turns, stats.events, stats.duplicates = log.num_rows, events, int(duplicated.size)
        return SimulatedBatch(self.world.locale, log, truth, stats)

    def _copies(self, log: pa.RecordBatch, truth: pa.RecordBatch, flow_rows: int, count: int):
        sources = pa.array(self.rng.integers(0, flow_rows, count))
        new_ids = _hex_ids(self.rng, count).to_pylist()
        offsets = self.rng.uniform(0.2, 5.0, count).tolist()
        for log_row, truth_row, event_id, offset in zip(
            log.take(sources).to_pylist(), truth.take(sources).to_pylist(), new_ids, offsets
        ):
            log_row["event_id"] = event_id
            log_row["ts"] += timedelta(seconds=offset)  # right after the turn it copies, same session
            truth_row.update(
                event_id=event_id, gold_intent=None, gold_slots=None, goal_id=None, nlu_outcome=None,
                rephrase_of=None, rephrase_root=None, attempt=None,
            )
            yield log_row, truth_row

    def _malformed_rows(self, log, truth, flow_rows) -> tuple[list[dict], list[dict]]:
        """Corrupted copies of real turns (fresh event ids), each breaking one contract rule."""
        count = max(len(MALFORMED_KINDS), round(flow_rows * self.cfg.malformed_share))
        log_rows, truth_rows = [], []
        for k, (row, truth_row) in enumerate(self._copies(log, truth, flow_rows, count)):
            kind = MALFORMED_KINDS[(self.first_user + k) % len(MALFORMED_KINDS)]
            self._break(row, kind, k)
            truth_row.update(event_id=row["event_id"], utterance=row["utterance"], role="malformed", surface=None,
                             defect=kind)
            log_rows.append(row)
            truth_rows.append(truth_row)
        return log_rows, truth_rows

    def _break(self, row: dict, kind: str, k: int) -> None:
        def pick(options):
            return options[k // len(MALFORMED_KINDS) % len(options)]

        if kind == "null_user_id":
            row["user_id"] = None
        elif kind == "null_ts":
            row["ts"] = None
        elif kind == "null_event_id":
            row["event_id"] = None
        elif kind == "unknown_status":
            row["status"] = pick(("succes", "OK", "SUCCESS", "done"))
        elif kind == "malformed_locale":
            row["locale"] = pick(("english", self.world.locale.replace("-", "_"), "EN-us!", "xx-??"))
        elif kind == "blank_utterance":
            row["utterance"] = pick(("", " ", "\t  \n"))
        elif kind == "control_only_utterance":
            row["utterance"] = pick(("\x00\x07\x1b", "\x1b\x7f", "\x08\x00"))
        elif kind == "confidence_out_of_range":
            row["nlu_confidence"] = pick((1.7, float("nan"), -0.2))
        elif kind == "null_slot_value":
            row["slots"] = [{"name": "time", "value": None}] + (row["slots"] or [])

    def _standalone_hostile_rows(self, log, truth, flow_rows) -> tuple[list[dict], list[dict]]:
        """Markup and oversized payloads typed into a client, serving no goal."""
        payloads = STANDALONE_HOSTILE + (self._long_utterance(),)
        count = max(len(payloads), round(flow_rows * self.cfg.standalone_hostile_share))
        log_rows, truth_rows = [], []
        for k, (row, truth_row) in enumerate(self._copies(log, truth, flow_rows, count)):
            payload = payloads[k % len(payloads)]
            row.update(utterance=payload, intent=None, slots=None, status="unhandled",
                       nlu_confidence=_hash_uniform(self.world.seed, "hostile", payload, 0.01, 0.3))
            truth_row.update(utterance=payload, role="hostile", surface="hostile", defect=None)
            log_rows.append(row)
            truth_rows.append(truth_row)
        return log_rows, truth_rows

    def _long_utterance(self) -> str:
        top = self.world.goals[self.world.ranked_goals[0]]
        words = "".join(p for p, _ in self.world.carriers[top.own_carrier].pieces)
        words += "" if is_unsegmented(words) else " "  # pasted again and again, spaced as the script is
        return (words * (LONG_UTTERANCE_CHARS // len(words) + 1))[:LONG_UTTERANCE_CHARS]


# --------------------------------------------------------------------------------------------------
# The bot


def _bot_turn_count(config: SimulationConfig) -> int:
    return int(config.bot_hours * 3600 / 2) if config.bot_hours > 0 else 0  # one turn every 2 s on average


def _bot_batch(world: LocaleWorld, day_start_us: int) -> SimulatedBatch:
    """One user+device repeating one popular phrasing every 1-3 s for hours: thousands of turns."""
    rng = np.random.default_rng(derive_seed(world.traffic_seed, "bot", world.locale))
    count = _bot_turn_count(world.config)
    top = world.ranked_goals[0]
    phrasing = world.phrasing_ids(np.array([top]), world.goal_own_carrier.values[[top]])[0]
    none = np.full(count, _NONE)
    rows = _Rows(
        user=np.zeros(count, dtype=np.int64), device=np.zeros(count, dtype=np.int64),
        t=rng.uniform(1 * 3600, 3 * 3600) + np.cumsum(rng.uniform(1.0, 3.0, count)),
        phrasing=np.full(count, phrasing), goal=none, role=np.full(count, _BOT),
        attempt=np.zeros(count, dtype=np.int64), rephrase_of=none, rephrase_root=none,
    )
    users = _Users(_hex_ids(rng, 1, 8, "u"), _hex_ids(rng, 1, 6, "d"), np.zeros(1, bool), np.zeros(1, bool))
    surfaces = _Surfaces(np.full(count, _CLEAN), np.zeros(0, dtype=np.int64), [], [], np.zeros(count, bool))
    log, truth = _assemble(world, rows, surfaces, users, day_start_us, _hex_ids(rng, count))
    truth = pa.RecordBatch.from_arrays(truth.columns + [pa.array(np.ones(count, np.int32))], schema=TRUTH_SCHEMA)
    stats = BatchStats(turns=count, events=count, users=1, sessions=1, bot_turns=count)
    return SimulatedBatch(world.locale, log, truth, stats)
