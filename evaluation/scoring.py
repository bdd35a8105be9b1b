"""One scorer for every source of logs: the simulator's days, the NLU loop's traffic and independent logs.

Its figures are those of the development logs' reference scorer (`devlogs/score.py` beside the project,
not shipped), so that a table of sources compares like with like. Pure Python over a few thousand records:
no Spark, no files.

Truth, per locale
-----------------
* ``gold[text]``: the true intent of every phrasing that occurs, keyed by `truth_key(text)`.
* ``fails``: the phrasings the NLU misreads.
* ``learnable[text]``: for a failing phrasing, the distinct users who rephrased it and then succeeded.
* ``failing_turns[text]``: how many of the day's turns (with a user) said a failing phrasing.

Figures, per locale and over all locales
----------------------------------------
* **label precision**: training records whose intent is the gold intent of their `utt`.
* **recall**: learnable phrasings (at least `min_users` users) that received a correctly labelled record.
* **pair precision**: pairs whose source and target have the same (known) gold intent.
* **rewrite replay**: every failing turn is looked up in the rewrite table; a *win* rewrites it to a
  phrasing that does not fail and has its gold intent, any other rewrite to another phrasing is a *loss*.
  **win/loss** = wins / losses (infinite with no loss), **defect reduction** = wins / failing turns.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

ALL = "all"


def truth_key(text: str) -> str:
    """The key truth is looked up under: NFKC, casefolded, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


@dataclass
class LocaleTruth:
    gold: dict[str, str] = field(default_factory=dict)
    fails: set[str] = field(default_factory=set)
    learnable: dict[str, int] = field(default_factory=dict)
    failing_turns: Counter = field(default_factory=Counter)

    def learnable_phrasings(self, min_users: int) -> set[str]:
        return {text for text, users in self.learnable.items() if users >= min_users}


Truth = dict[str, LocaleTruth]  # locale -> its truth


def truth_from_reference(reference: Mapping, log_rows: Iterable[Mapping]) -> Truth:
    """Truth from a development log set's truth.json and its logs (rows with locale, utterance, user_id)."""
    truth: Truth = defaultdict(LocaleTruth)
    for locale, gold in reference["gold"].items():
        truth[locale].gold = dict(gold)
    for locale, fails in reference["fails"].items():
        truth[locale].fails = set(fails)
    for locale, learnable in reference["learnable"].items():
        truth[locale].learnable = {text: int(users) for text, users in learnable.items()}
    for row in log_rows:
        locale, text = row["locale"], truth_key(row["utterance"] or "")
        if row["user_id"] and locale in truth and text in truth[locale].fails:
            truth[locale].failing_turns[text] += 1
    return dict(truth)


def truth_from_simulation(rows: Iterable[Mapping]) -> Truth:
    """Truth from the simulator's truth rows (`schemas.truth.TRUTH`), on the reference's terms.

    gold: the commonest gold intent of a phrasing; fails: phrasings most of whose goal turns the NLU misread
    (the simulator's NLU is deterministic per phrasing); learnable: per failed phrasing, the users whose
    chain of attempts (`rephrase_root`) ended in a correctly read rephrase in other words; failing turns:
    the turns, with a user, of a failing phrasing.
    """
    rows = [row for row in rows if row["utterance"] is not None]
    intents: dict[tuple[str, str], Counter] = defaultdict(Counter)
    outcomes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    failed_in_chain: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    solved_chains: dict[str, set[str]] = defaultdict(set)  # root event -> texts of its successful rephrases
    for row in rows:
        key = (row["locale"], truth_key(row["utterance"]))
        if row["gold_intent"] is not None:
            intents[key][row["gold_intent"]] += 1
        if row["nlu_outcome"] is not None:
            outcomes[key][row["nlu_outcome"] == "correct"] += 1
        root = row["rephrase_root"] or row["event_id"]
        if row["nlu_outcome"] not in (None, "correct") and root is not None:
            failed_in_chain[root].append((row["locale"], key[1], row["user_id"]))
        if row["role"] == "rephrase" and row["nlu_outcome"] == "correct" and row["rephrase_root"]:
            solved_chains[row["rephrase_root"]].add(key[1])
    truth: Truth = defaultdict(LocaleTruth)
    for (locale, text), counts in intents.items():
        # the commonest intent; ties to the smallest, as evaluation.metrics does
        truth[locale].gold[text] = min(counts.items(), key=lambda item: (-item[1], item[0]))[0]
    for (locale, text), counts in outcomes.items():
        if counts[False] > counts[True]:
            truth[locale].fails.add(text)
    learners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for root, successes in solved_chains.items():
        for locale, text, user in failed_in_chain.get(root, ()):
            if successes - {text}:
                learners[(locale, text)].add(user)
    for (locale, text), users in learners.items():
        if text in truth[locale].fails:
            truth[locale].learnable[text] = len(users)
    for row in rows:
        locale, text = row["locale"], truth_key(row["utterance"])
        if row["user_id"] and text in truth[locale].fails and row["role"] not in ("bot", "malformed"):
            truth[locale].failing_turns[text] += 1
    return dict(truth)


# --------------------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def label_figures(truth: Truth, labels: Iterable[tuple[str, str, str]], min_users: int) -> dict:
    """Per locale (and ALL): records, label precision, recalled and recall. labels: (locale, text, intent)."""
    per: dict[str, Counter] = defaultdict(Counter)
    learned: dict[str, set[str]] = defaultdict(set)
    for locale, text, intent in labels:
        key = truth_key(text)
        per[locale]["records"] += 1
        if locale in truth and truth[locale].gold.get(key) == intent:
            per[locale]["correct"] += 1
            learned[locale].add(key)
    figures = {}
    for locale in sorted(set(truth) | set(per)):
        learnable = truth[locale].learnable_phrasings(min_users) if locale in truth else set()
        counts = per[locale]
        counts["learnable"] = len(learnable)
        counts["recalled"] = len(learnable & learned[locale])
        figures[locale] = counts
    total = sum(figures.values(), Counter())
    result = {}
    for locale, counts in {**figures, ALL: total}.items():
        result[locale] = {
            "records": counts["records"],
            "label_precision": _share(counts["correct"], counts["records"]),
            "learnable": counts["learnable"],
            "recalled": counts["recalled"],
            "recall": _share(counts["recalled"], counts["learnable"]),
        }
    return result


def pair_figures(truth: Truth, pairs: Iterable[tuple[str, str, str]]) -> dict:
    """Per locale (and ALL): pairs and pair precision. pairs: (locale, source, target)."""
    per: dict[str, Counter] = defaultdict(Counter)
    for locale, source, target in pairs:
        gold = truth[locale].gold if locale in truth else {}
        source_gold, target_gold = gold.get(truth_key(source)), gold.get(truth_key(target))
        per[locale]["pairs"] += 1
        per[locale]["same"] += int(source_gold is not None and source_gold == target_gold)
    per[ALL] = sum(per.values(), Counter())
    return {locale: {"pairs": c["pairs"], "pair_precision": _share(c["same"], c["pairs"])} for locale, c in per.items()}


def replay_figures(truth: Truth, rewrites: Iterable[tuple[str, str, str]], min_users: int) -> dict:
    """Per locale (and ALL): every failing turn replayed through the rewrite table (locale, source, target).

    `reachable_share` is the share of failing turns whose phrasing is learnable from at least `min_users`
    users: the defect reduction that rewrites of learnable phrasings alone could reach at that floor.
    """
    table = {(locale, truth_key(source)): truth_key(target) for locale, source, target in rewrites}
    per: dict[str, Counter] = defaultdict(Counter)
    for locale, locale_truth in truth.items():
        counts = per[locale]
        learnable = locale_truth.learnable_phrasings(min_users)
        for text, turns in locale_truth.failing_turns.items():
            counts["failing_turns"] += turns
            counts["reachable_turns"] += turns if text in learnable else 0
            target = table.get((locale, text))
            if target is None or target == text:
                continue
            wins = target not in locale_truth.fails and locale_truth.gold.get(target) == locale_truth.gold.get(text)
            counts["wins" if wins else "losses"] += turns
        counts["rules"] = sum(1 for (rule_locale, _) in table if rule_locale == locale)
    per[ALL] = sum(per.values(), Counter())
    return {
        locale: {
            "rewrite_rules": c["rules"],
            "failing_turns": c["failing_turns"],
            "wins": c["wins"],
            "losses": c["losses"],
            "win_loss": win_loss(c["wins"], c["losses"]),
            "defect_reduction": _share(c["wins"], c["failing_turns"]),
            "reachable_share": _share(c["reachable_turns"], c["failing_turns"]),
        }
        for locale, c in per.items()
    }


def win_loss(wins: int, losses: int) -> float | None:
    """wins / losses; infinity with wins and no loss; None when there is neither."""
    if losses:
        return round(wins / losses, 2)
    return math.inf if wins else None
