"""The simulator's ground truth: `DIR/truth.parquet` of `rephrase-miner simulate`, what evaluation scores against.

Not a dataset of the pipeline: the miner never reads it. Evaluation joins it to a run's outputs on `event_id`.
"""

from schemas.contract import Column, Contract
from schemas.types import INT32, SLOTS, STRING

TRUTH = Contract(
    name="truth",
    doc=(
        "`DIR/truth.parquet` written by `rephrase-miner simulate`: one row per produced event (duplicate "
        "deliveries once), what each turn of the simulated log really was. The miner never reads it."
    ),
    columns=(
        Column("event_id", STRING, True, "the log's event_id (null only for malformed rows written with a null one)"),
        Column(
            "locale", STRING, False,
            "the locale simulated (the true one, even when the row was written with a malformed locale)",
        ),
        Column(
            "user_id", STRING, False,
            "the true user (even when the row was written with a null user_id); counts distinct users",
        ),
        Column("utterance", STRING, True, "the utterance exactly as written to the log"),
        Column(
            "gold_intent", STRING, True,
            "what the user meant; null when the turn serves no goal: stop words, bot turns, malformed rows, "
            "stand-alone hostile payloads",
        ),
        Column("gold_slots", SLOTS, True, "the slots meant, as they appear in the written utterance; null as above"),
        Column(
            "goal_id", STRING, True,
            "content hash of (locale, intent, slot values): equal goals share it across users; null as above",
        ),
        Column(
            "role", STRING, False,
            "`first` (opens a new goal with the goal's own seed utterance), `variant` (opens a new goal with "
            "another carrier), `followup` (opens a new goal of the same scenario right after a success), `switch` "
            "(opens a new goal right after a noticed failure: not a rephrase), `rephrase` (another phrasing of the "
            "failed goal), `repeat` (the same words again after a failure), `stop` (a stop word after giving up), "
            "`bot`, `malformed` (a row that breaks the input contract) or `hostile` (a stand-alone markup or "
            "oversized payload serving no goal)",
        ),
        Column(
            "nlu_outcome", STRING, True,
            "`correct`, `friction`, `bargein`, `cancel` or `silent` for goal turns; null otherwise",
        ),
        Column(
            "rephrase_of", STRING, True,
            "for `rephrase`/`repeat` turns, the event_id of the previous failed attempt of the same goal (chain "
            "f1, f2, s: f2.rephrase_of = f1, s.rephrase_of = f2); null otherwise",
        ),
        Column(
            "rephrase_root", STRING, True,
            "for `rephrase`/`repeat` turns, the first failed attempt of the chain (f1 for both f2 and s)",
        ),
        Column("attempt", INT32, True, "1-based attempt number within the goal (1 for openers); null when no goal"),
        Column(
            "surface", STRING, True,
            "`clean`, `noisy` (casing/spacing/punctuation/digits changed) or `hostile` (markup, control or bidi "
            "characters, oversized); null for malformed rows",
        ),
        Column(
            "defect", STRING, True,
            "for malformed rows, which contract rule the row breaks (`simulation.defects.MALFORMED_KINDS`); "
            "null otherwise",
        ),
        Column(
            "rewritten_utterance", STRING, True,
            "what the runtime rewriter sent to the NLU instead of the utterance, as in the log; null when none",
        ),
        Column("deliveries", INT32, False, "how many times the row was written to the log (2: a duplicate delivery)"),
    ),
)
