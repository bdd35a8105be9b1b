"""The live defect rate: the share of a day's turns that fail, and how much of it each lever removed.

What users of a voice assistant feel is the share of their requests that fail, not held-out accuracy. From a
simulated day's ground truth (`schemas.truth.TRUTH`), per locale:

* **served**: the share of the goal turns (turns that serve a user's goal) that failed as they were served,
  with friction or a wrong intent (`nlu_outcome` other than `correct`): the headline;
* **without rejections**: the same turns with the rewrites served but the serving model's best reading taken
  as is, where the runtime served a next-best hypothesis instead of a rejected reading (`miner.readings`);
* **without rewrites**: the same turns read by the serving model alone, without the runtime's feedback;
* **without learning**: the same turns read by the baseline model, before any retraining.

So retraining removed `without learning - without rewrites`, the rewrites `without rewrites - without
rejections` and the rejected readings `without rejections - served`. And **no working phrasing**: the served
failures of goals that no turn of the day served right, in any words: the logs hold no label for them, so no
miner can learn them from that day. The counterfactual readings change only the turns whose reading differs:
where a model reads a turn's words as the serving NLU did, the turn keeps its logged outcome. The turns
themselves are the day's as they happened: with fewer failures there are fewer rephrases to read, which the
served rate counts and the counterfactuals cannot.
"""

from __future__ import annotations

from collections.abc import Sequence

HOSTILE_SURFACE = "hostile"  # markup around a phrasing: the NLU chokes on it whatever the model


def _share(count: int, total: int) -> float | None:
    return None if total == 0 else round(100.0 * count / total, 2)


def defect_rates(truth, baseline, serving, runtime=None) -> dict:
    """The day's defect rates (in % of goal turns) of one locale's truth (a pyarrow Table): as served; by the
    runtime (`runtime`: the serving model with its rejected readings, default `serving`) without the rewrites'
    targets; by the serving model alone (`serving`) and by the baseline model (`baseline`). Each has
    `predict(texts)`."""
    from simulation.world import normalize_phrasing

    runtime = runtime or serving
    names = ["utterance", "gold_intent", "nlu_outcome", "surface", "rewritten_utterance", "goal_id"]
    columns = truth.select(names).to_pydict()
    rows = [
        (normalize_phrasing(said), intent, outcome != "correct", surface == HOSTILE_SURFACE,
         None if served is None else normalize_phrasing(served), goal)
        for said, intent, outcome, surface, served, goal in zip(*(columns[name] for name in names), strict=True)
        if intent is not None and outcome is not None and said
    ]
    served_right = {goal for _, _, failed, _, _, goal in rows if not failed}
    no_working_phrasing = sum(1 for _, _, failed, _, _, goal in rows if failed and goal not in served_right)
    texts = sorted({text for text, _, _, hostile, served, _ in rows if not hostile} |
                   {served for _, _, _, hostile, served, _ in rows if served is not None and not hostile})
    by_serving, by_runtime, by_baseline = (
        dict(zip(texts, model.predict(texts), strict=True)) if texts else {} for model in (serving, runtime, baseline)
    )

    served = unrejected = unrewritten = unlearned = rewritten = reranked = 0
    for text, intent, failed, hostile, served_text, _ in rows:
        as_read = served_text or text
        plain = failed
        if not hostile and by_runtime[as_read] != by_serving[as_read]:
            plain = by_serving[as_read] != intent
            reranked += 1
        alone = plain
        if served_text is not None and not hostile:
            alone = by_serving[text] != intent
        learned_nothing = alone
        if not hostile and by_baseline[text] != by_serving[text]:
            learned_nothing = by_baseline[text] != intent
        served += failed
        unrejected += plain
        unrewritten += alone
        unlearned += learned_nothing
        rewritten += served_text is not None
    total = len(rows)
    rates = {
        "goal_turns": total,
        "rewritten_turns": rewritten,
        "reranked_turns": reranked,
        "served": _share(served, total),
        "without_rejections": _share(unrejected, total),
        "without_rewrites": _share(unrewritten, total),
        "without_learning": _share(unlearned, total),
        "no_working_phrasing": _share(no_working_phrasing, total),
    }
    if total:
        rates["removed_by_retraining"] = round(rates["without_learning"] - rates["without_rewrites"], 2)
        rates["removed_by_rewrites"] = round(rates["without_rewrites"] - rates["without_rejections"], 2)
        rates["removed_by_rejections"] = round(rates["without_rejections"] - rates["served"], 2)
    return rates


def relative_change(first: float | None, last: float | None) -> float | None:
    """Relative change in % from `first` to `last` (-30.0: down by 30%)."""
    if first is None or last is None or first == 0:
        return None
    return round(100.0 * (last - first) / first, 1)


def rejection_table(rows: Sequence[dict]) -> dict[str, tuple[dict[str, frozenset[str]], dict[str, str]]]:
    """The runtime's readings from rejected-readings rows, per locale: (normalized text -> rejected intents,
    normalized text -> accepted intent)."""
    rejected: dict[str, dict[str, set[str]]] = {}
    accepted: dict[str, dict[str, str]] = {}
    for row in rows:
        rejected.setdefault(row["locale"], {}).setdefault(row["text"], set()).add(row["intent"])
        if row["accepted_intent"] is not None:
            accepted.setdefault(row["locale"], {})[row["text"]] = row["accepted_intent"]
    return {
        locale: ({text: frozenset(intents) for text, intents in texts.items()}, accepted.get(locale, {}))
        for locale, texts in rejected.items()
    }


def rewrite_table(rows: Sequence[dict]) -> dict[str, dict[str, str]]:
    """The runtime rewriter's lookup, locale -> normalized source -> target, from rewrite-table rows."""
    table: dict[str, dict[str, str]] = {}
    for row in rows:
        table.setdefault(row["locale"], {})[row["source"]] = row["target"]
    return table
