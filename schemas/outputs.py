"""What a run emits for its consumers: the rewrite table and the MASSIVE-format training records."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT32, FLOAT64, INT64, STRING

REWRITES = Contract(
    name="rewrites",
    doc=(
        "`OUT/rewrites/`, Parquet partitioned by `locale`: the query-rewrite table for a runtime rewriter. "
        "One row per failing phrasing, mapped to its best target. A rewrite that was served carries its live "
        "outcomes (`miner.feedback`): its weight moves with them, and one that failed is withdrawn (see "
        "`withdrawn_rewrites`)."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "normalized failing phrasing; look it up after `miner.text.normalize`"),
        Column("target", STRING, False, "the phrasing to send to the NLU instead"),
        Column("weight", FLOAT32, False, "the pair's weight, in [0, 1]"),
        Column("target_intent", STRING, True, "what the NLU reads the target as"),
        Column("support_users", INT64, False, "distinct users behind the rewrite"),
        Column("served_users", FLOAT64, False, "users it was served to, decayed like all evidence; 0: never served"),
        Column(
            "live_success_rate", FLOAT32, True,
            "share of those users it worked for; null until it was served to min_users users",
        ),
    ),
)

WITHDRAWN_REWRITES = Contract(
    name="withdrawn_rewrites",
    doc=(
        "`OUT/withdrawn_rewrites/`, Parquet partitioned by `locale`: the rewrites that their live outcomes took "
        "out of the table, with the reason. A withdrawn (source, target) stays out while the failures last; the "
        "source may get another target."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "normalized failing phrasing"),
        Column("target", STRING, False, "the target it was rewritten to"),
        Column("target_intent", STRING, True, "what the NLU reads the target as (null: no longer mined)"),
        Column("served_users", FLOAT64, False, "users it was served to (decayed)"),
        Column("failed_users", FLOAT64, False, "users it failed for (decayed)"),
        Column("live_success_rate", FLOAT32, False, "share of the served users it worked for"),
        Column("reason", STRING, False, "`failed`: most of its users failed; `demoted`: its live weight fell "
               "below the minimum rewrite weight"),
    ),
)

REJECTED_READINGS = Contract(
    name="rejected_readings",
    doc=(
        "`OUT/rejected_readings/`, Parquet partitioned by `locale`: negative feedback for the NLU's hypothesis "
        "ranker. One row per (phrasing, intent) that most of its users rejected (`miner.readings`): a runtime "
        "serves the phrasing's accepted reading where it has one, and otherwise, when the NLU reads the phrasing "
        "as a rejected intent, its best hypothesis not rejected. For the phrasings no rephrase worked for, which "
        "leave no label to learn; a reading stays rejected while its rejections outweigh later successes."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("text", STRING, False, "normalized phrasing; look it up after `miner.text.normalize`"),
        Column("intent", STRING, False, "the rejected reading: an intent not to serve for this phrasing"),
        Column("served_users", FLOAT64, False, "users the reading was served to (decayed)"),
        Column("rejected_users", FLOAT64, False, "users who rejected it (decayed)"),
        Column("rejection_rate", FLOAT32, False, "share of the served users who rejected it"),
        Column(
            "accepted_intent", STRING, True,
            "the reading of the phrasing that most of its users accepted, at least min_users of them (the most "
            "accepted one); null: none yet",
        ),
    ),
)

TRAINING = Contract(
    name="training",
    doc=(
        "`OUT/training/`, JSON Lines, one file per locale (`OUT/training/<locale>.jsonl`), in MASSIVE's "
        "record format plus provenance. One new labelled utterance per failing phrasing, labelled with its "
        "targets' intent; the targets' slot values are projected onto its text. `annot_utt` strips back to "
        "`utt` exactly, and no utterance appears under two intents."
    ),
    columns=(
        Column("id", STRING, False, "stable id: hash of (locale, utt)"),
        Column("locale", STRING, False, "canonical locale"),
        Column("partition", STRING, False, "always `train`"),
        Column("scenario", STRING, False, "the intent's scenario (the part before the first `_`)"),
        Column("intent", STRING, False, "the label"),
        Column("utt", STRING, False, "the failing phrasing, normalized"),
        Column("annot_utt", STRING, False, "`utt` with slots marked `[name : value]`"),
        Column("kind", STRING, False, "rephrase"),
        Column("weight", FLOAT32, False, "confidence in the label, in [0, 1]"),
        Column("support_users", INT64, False, "distinct users behind the label"),
        Column("run_id", STRING, False, "the run that emitted the record"),
    ),
)
