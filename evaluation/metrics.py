"""Evaluation of a run against the simulator's ground truth, next to two naive baselines from the same logs.

The definitions of every figure (below, and DEFINITIONS for evaluation.md), the systems compared and the report:
pure Python over a few collected counts. `evaluation.counts` computes those counts (pure DataFrame transforms);
`evaluation/evaluate.py` reads the inputs, collects `evaluation_counts` and writes `build_report`'s result.

Keys
----
* A **phrasing** is (locale, normalize(text)) with `miner.text.normalize`, the miner's pooling key. A text
  that normalizes to nothing ('', '?!') is no phrasing. Texts are normalized once per distinct value, in an
  Arrow map (`evaluation.counts.with_normalized`), never by a per-row UDF.
* The **gold intent of a phrasing** is the most frequent `gold_intent` over the truth rows of that locale
  whose utterance normalizes to it, among rows with a non-null gold_intent; a tie goes to the
  lexicographically smallest intent. A phrasing never said in the truth, or said only by rows without a
  gold intent (stop words, bot turns, malformed rows), has no gold intent.

Scope (the same for every system)
---------------------------------
* **goal turns**: truth rows with a non-null event_id, gold_intent and nlu_outcome, one per event_id.
* **failing turns**: goal turns with nlu_outcome other than `correct` (friction, bargein, cancel, silent).
* **recurring failing turns**: failing turns whose phrasing was said (any truth row, any role) by at least
  `min_users` distinct user_id.
* **failing phrasings**: phrasings of truth rows with nlu_outcome other than `correct` that were rephrased
  (some truth row with role `rephrase` has rephrase_of = that row's event_id; a `repeat` or a `switch`
  does not count), counted when at least `min_users` distinct user_id had such a rephrased failing turn.

Label metrics (the miner's training records and each baseline's labels)
-----------------------------------------------------------------------
* **records**: labelled phrasings emitted: training records (phrasing = normalize(utt)), or the phrasings
  a baseline labels.
* **label precision** = records whose intent equals the gold intent of their phrasing / records. A record
  whose phrasing has no gold intent counts as wrong. Null when there are no records.
* **recall** = failing phrasings that got at least one record with the correct (gold) intent / failing
  phrasings. Null when there are no failing phrasings.

Pair metric (the miner's OUT/pairs)
-----------------------------------
* **pair precision** = pairs whose source and target phrasings (both normalized again) have the same,
  non-null gold intent / pairs; per pair kind and over all kinds.

Rewrite replay (the miner's OUT/rewrites; the product metric)
-------------------------------------------------------------
Every goal turn is looked up by (locale, normalize(utterance)) against the rewrite table's (locale, source)
exactly as stored, as the runtime rewriter would; a source listed twice uses its highest-weight row (ties:
the smallest target).
* A failing turn that is rewritten is a **win** when the gold intent of normalize(target) equals the
  turn's own gold_intent, otherwise a **loss** (a target without a gold intent is a loss). A failing turn
  with no rewrite is **unchanged**.
* **win/loss** = wins / losses; infinite when losses == 0 < wins (null in JSON, ∞ in the report),
  undefined (null in JSON, — in the report) when both are 0.
* **defect reduction** = wins / failing turns (null when there are none).
* The same over recurring failing turns only.
* **correct turns broken**: goal turns the NLU read correctly that the table would rewrite to a phrasing
  of another (or no) gold intent. Not part of the issue's metric; it shows what the failing-turn replay
  cannot see.

Baselines (from OUT/sessions, sessions flagged is_runaway left out, as the miner leaves them out)
------------------------------------------------------------------------------------------------
* **votes**: for every turn with status other than `success`, the first later turn of the same session
  with status `success` and a non-null intent, when it comes within 60 s (ts difference <= 60 s); the vote
  labels the failed turn's phrasing with that intent, for the failed turn's user_key.
* **baseline a@N**: per phrasing, the intent with the most distinct voting users (ties: the
  lexicographically smallest), kept when the phrasing has votes from at least N distinct users.
* **baseline b@N**: baseline a@N over the votes whose two phrasings have rapidfuzz
  `fuzz.token_set_ratio` >= 55 (on `miner.text.lexical_form`, so unsegmented scripts compare by
  character, as the miner does).
* Reported: a and b at N = min_users (like-for-like with the miner) and at N = 2 (the issue's b), as
  systems `baseline_a@N` / `baseline_b@N` in JSON and "baseline a (≥N users)" in the report. Their labels
  are scored with the label metrics above; they have no pairs and no rewrites (— in the report).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from miner.defaults import MIN_USERS
from schemas.pairs import PAIR_KINDS

BASELINE_WINDOW_SECONDS = 60.0
BASELINE_MIN_SIMILARITY = 55.0
ISSUE_BASELINE_B_MIN_USERS = 2
MINER = "miner"
SHARED = "*"  # the `system` of counts that belong to the evaluation scope, not to one system
ALL = "all"  # the key of the figures over every locale
_SCOPE = ("goal_turns", "failing_turns", "recurring_failing_turns", "failing_phrasings")

DEFINITIONS = (
    ("phrasing", "(locale, `miner.text.normalize(text)`); a text that normalizes to nothing is no phrasing."),
    (
        "gold intent of a phrasing",
        "the most frequent `gold_intent` over the truth rows of that locale with that phrasing and a gold "
        "intent; ties go to the lexicographically smallest intent.",
    ),
    ("goal turns", "truth rows with an event_id, a gold_intent and an nlu_outcome, one per event_id."),
    ("failing turns", "goal turns whose nlu_outcome is not `correct`."),
    ("recurring failing turns", "failing turns whose phrasing was said by at least min_users distinct users."),
    (
        "failing phrasings",
        "phrasings of truth turns with nlu_outcome other than `correct` that some truth row with role "
        "`rephrase` rephrased (its rephrase_of is the turn's event_id), for at least min_users distinct users.",
    ),
    (
        "records",
        "labelled phrasings: training records (phrasing of `utt`), or the phrasings a baseline labels.",
    ),
    (
        "label precision",
        "records whose intent equals the gold intent of their phrasing / records (no gold intent = wrong).",
    ),
    ("recall", "failing phrasings with at least one record of the correct intent / failing phrasings."),
    (
        "pair precision",
        "pairs whose source and target phrasings have the same, non-null gold intent / pairs "
        "(all kinds; per kind in the pairs table).",
    ),
    (
        "wins / losses",
        "failing turns whose phrasing is a rewrite source (looked up as stored; highest weight if listed "
        "twice): a win when the target's gold intent equals the turn's gold_intent, else a loss. "
        "unchanged = failing turns without a rewrite.",
    ),
    ("win/loss", "wins / losses; ∞ when losses = 0 < wins, — when both are 0 (null in JSON)."),
    ("defect reduction", "wins / failing turns."),
    (
        "correct turns broken",
        "goal turns read correctly that the table would rewrite to another (or no) gold intent.",
    ),
    (
        "baseline a@N (baseline a (≥N users))",
        "for each turn with status other than success, the next success of its session within 60 s votes "
        "its intent for the failed turn's phrasing (runaway sessions left out); per phrasing the intent of "
        "the most distinct users wins (ties: smallest), kept with votes from at least N distinct users.",
    ),
    (
        "baseline b@N (baseline b (≥N users))",
        "baseline a@N over the votes whose phrasings have rapidfuzz token_set_ratio >= 55 (on lexical forms).",
    ),
)


# --------------------------------------------------------------------------------------------------
# The baselines compared with the miner (their votes and labels: evaluation.counts)


@dataclass(frozen=True)
class Baseline:
    variant: str  # "a": every vote; "b": votes of similar phrasings only
    min_users: int

    @property
    def system(self) -> str:
        return f"baseline_{self.variant}@{self.min_users}"

    @property
    def is_gated(self) -> bool:
        return self.variant == "b"


def baselines(min_users: int = MIN_USERS) -> list[Baseline]:
    """a and b at min_users (like-for-like with the miner), then at 2 users (the issue's b)."""
    thresholds = list(dict.fromkeys([min_users, ISSUE_BASELINE_B_MIN_USERS]))
    return [Baseline(variant, n) for n in thresholds for variant in ("a", "b")]


def system_label(system: str) -> str:
    """'baseline_b@3' -> 'baseline b (≥3 users)'; 'miner' stays."""
    if not system.startswith("baseline_"):
        return system
    variant, users = system.removeprefix("baseline_").split("@")
    return f"baseline {variant} (≥{users} users)"


# --------------------------------------------------------------------------------------------------
# The report (pure Python over the collected counts)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _win_loss(wins: int, losses: int) -> float | None:
    # None stands for infinity (losses == 0 < wins) and for 0/0; the report tells them apart by the counts.
    return round(wins / losses, 4) if losses else None


def _replay(wins: int, losses: int, rewritten: int, failing_turns: int) -> dict:
    return {
        "failing_turns": failing_turns,
        "rewritten": rewritten,
        "wins": wins,
        "losses": losses,
        "unchanged": failing_turns - rewritten,
        "win_loss_ratio": _win_loss(wins, losses),
        "defect_reduction": _share(wins, failing_turns),
    }


class _Counts:
    """count(system, metric) for one locale (or the sum over all locales); missing counts are 0."""

    def __init__(self, values: dict[tuple[str, str], int]):
        self.values = values
        self.pair_kinds = sorted(
            set(PAIR_KINDS) | {metric.split(":", 1)[1] for (_, metric) in values if metric.startswith("pairs:")}
        )

    def __call__(self, system: str, metric: str) -> int:
        return self.values.get((system, metric), 0)


def _labels_report(count: _Counts, system: str) -> dict:
    records, correct, recalled = (count(system, m) for m in ("records", "correct_records", "recalled_phrasings"))
    return {
        "records": records,
        "correct_records": correct,
        "label_precision": _share(correct, records),
        "recalled_phrasings": recalled,
        "recall": _share(recalled, count(SHARED, "failing_phrasings")),
    }


def _pairs_report(count: _Counts) -> dict:
    per_kind = {
        kind: (count(MINER, f"pairs:{kind}"), count(MINER, f"same_intent_pairs:{kind}")) for kind in count.pair_kinds
    }
    per_kind[ALL] = tuple(sum(column) for column in zip(*per_kind.values()))
    return {
        kind: {"pairs": total, "same_intent": same, "precision": _share(same, total)}
        for kind, (total, same) in per_kind.items()
    }


def _replay_report(count: _Counts) -> dict:
    def replay(prefix: str, failing_turns: str) -> dict:
        return _replay(
            count(MINER, f"{prefix}wins"), count(MINER, f"{prefix}losses"), count(MINER, f"{prefix}rewritten"),
            count(SHARED, failing_turns),
        )

    return {
        "all": replay("", "failing_turns"),
        "recurring": replay("recurring_", "recurring_failing_turns"),
        "correct_turns_broken": count(MINER, "correct_turns_broken"),
    }


def _system_report(count: _Counts, system: str) -> dict:
    # Baselines only label phrasings: they have no pairs and no rewrites.
    is_miner = system == MINER
    return {
        **_labels_report(count, system),
        "pairs": _pairs_report(count) if is_miner else None,
        "replay": _replay_report(count) if is_miner else None,
    }


def build_report(counts: Iterable[tuple[str, str, str, int]], min_users: int = MIN_USERS) -> dict:
    """The evaluation as a JSON-ready dict, from evaluation_counts' rows.

    {"min_users", "systems": [ids in table order], "locales": {<locale>|"all": {"scope": {...},
    "systems": {<system>: {...}}}}}
    """
    by_locale: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for locale, system, metric, value in counts:
        by_locale[locale][(system, metric)] += int(value)
        by_locale[ALL][(system, metric)] += int(value)
    systems = [MINER] + [baseline.system for baseline in baselines(min_users)]
    locales = sorted(name for name in by_locale if name != ALL) + [ALL]
    report = {"min_users": min_users, "systems": systems, "locales": {}}
    for locale in locales:
        count = _Counts(by_locale[locale])
        report["locales"][locale] = {
            "scope": {name: count(SHARED, name) for name in _SCOPE},
            "systems": {system: _system_report(count, system) for system in systems},
        }
    return report


# --------------------------------------------------------------------------------------------------
# Markdown

DASH, INFINITY = "—", "∞"


def _percent(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.1f}%"


def _ratio(replay: dict) -> str:
    if replay["win_loss_ratio"] is not None:
        return f"{replay['win_loss_ratio']:.2f}"
    return INFINITY if replay["wins"] > 0 else DASH


def _table(header: list[str], rows: list[list[object]], text_columns: int = 2) -> list[str]:
    # Text columns left, figures right.
    alignment = ["---"] * text_columns + ["---:"] * (len(header) - text_columns)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(alignment) + "|"]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def _number(value: int) -> str:
    return f"{value:,}"


def _summary_row(locale: str, system: str, result: dict) -> list[str]:
    labels = [_number(result["records"]), _percent(result["label_precision"]), _percent(result["recall"])]
    if result["replay"] is None:
        return [locale, system_label(system), *labels] + [DASH] * 5
    replay = result["replay"]["all"]
    return [
        locale, system_label(system), *labels, _percent(result["pairs"][ALL]["precision"]),
        _number(replay["wins"]), _number(replay["losses"]), _ratio(replay), _percent(replay["defect_reduction"]),
    ]


def summary_table(report: dict) -> list[str]:
    """One row per locale and system: locale | system | records | label precision | recall | pair precision |
    wins | losses | win/loss | defect reduction."""
    rows = [
        _summary_row(locale, system, figures["systems"][system])
        for locale, figures in report["locales"].items()
        for system in report["systems"]
    ]
    header = [
        "locale", "system", "records", "label precision", "recall", "pair precision", "wins", "losses",
        "win/loss", "defect reduction",
    ]
    return _table(header, rows)


def replay_table(report: dict) -> list[str]:
    """The miner's rewrite replay per locale, over all and over recurring failing turns."""
    rows = []
    for locale, figures in report["locales"].items():
        replay = figures["systems"][MINER]["replay"]
        for scope in ("all", "recurring"):
            part = replay[scope]
            counts = [_number(part[name]) for name in ("failing_turns", "rewritten", "wins", "losses", "unchanged")]
            broken = _number(replay["correct_turns_broken"]) if scope == "all" else DASH
            rows.append([locale, scope, *counts, _ratio(part), _percent(part["defect_reduction"]), broken])
    header = [
        "locale", "failing turns", "replayed", "rewritten", "wins", "losses", "unchanged", "win/loss",
        "defect reduction", "correct turns broken",
    ]
    return _table(header, rows)


def pairs_table(report: dict) -> list[str]:
    """The miner's pair precision per locale and pair kind."""
    rows = [
        [locale, kind, _number(part["pairs"]), _number(part["same_intent"]), _percent(part["precision"])]
        for locale, figures in report["locales"].items()
        for kind, part in figures["systems"][MINER]["pairs"].items()
    ]
    return _table(["locale", "kind", "pairs", "same gold intent", "pair precision"], rows)


def scope_table(report: dict) -> list[str]:
    """What the truth holds per locale: the denominators of recall and of the replay."""
    rows = [
        [locale, *(_number(figures["scope"][name]) for name in _SCOPE)]
        for locale, figures in report["locales"].items()
    ]
    header = ["locale", "goal turns", "failing turns", "recurring failing turns", "failing phrasings"]
    return _table(header, rows, text_columns=1)


def markdown_tables(report: dict) -> str:
    """The tables the job prints."""
    sections = [
        ("Labels, pairs and rewrites", summary_table(report)),
        ("Rewrite replay (miner)", replay_table(report)),
        ("Pair precision by kind (miner)", pairs_table(report)),
        (f"Scope (min_users = {report['min_users']})", scope_table(report)),
    ]
    return "\n\n".join(f"## {title}\n\n" + "\n".join(lines) for title, lines in sections) + "\n"


def markdown_report(report: dict, run: str, truth: str) -> str:
    """evaluation.md: the tables and the definitions of every figure."""
    definitions = "\n".join(f"- **{term}**: {meaning}" for term, meaning in DEFINITIONS)
    return (
        f"# Evaluation of `{run}`\n\nGround truth: `{truth}`; min_users = {report['min_users']}.\n\n"
        + markdown_tables(report)
        + f"\n## Definitions\n\n{definitions}\n"
    )
