"""Weighted synonymy pairs: the output of `jobs/aggregate.py`."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT32, INT64, STRING

PAIR_KINDS = ("rephrase", "variant")

PAIRS = Contract(
    name="pairs",
    doc=(
        "`OUT/pairs/`, Parquet partitioned by `locale`. One row per (locale, source, target): a phrasing and "
        "another phrasing of the same request, pooled across users and sessions. `weight` is a lower "
        "credible bound, so thin evidence gives a low weight. Every pair has at least `min_users` distinct "
        "users; no user or device id appears."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "normalized phrasing (for rephrases: the failing one)"),
        Column("target", STRING, False, "normalized phrasing it maps to"),
        Column("kind", STRING, False, "rephrase (multiturn) or variant (cross-user, same goal)"),
        Column("weight", FLOAT32, False, "in [0, 1]: 5th percentile of the Beta posterior of the evidence"),
        Column("support_users", INT64, False, "distinct users behind the pair"),
        Column("support_sessions", INT64, False, "distinct sessions behind the pair"),
        Column("target_intent", STRING, True, "the intent the NLU gives the target when it succeeds"),
        Column("success_probability", FLOAT32, True, "absorbing-chain probability that the target ends in success"),
        Column("reach_probability", FLOAT32, True, "probability of reaching the target from the source"),
        Column("score", FLOAT32, False, "reach x success (rephrases) or interpretation share (variants)"),
        Column("alpha", FLOAT32, False, "evidence for the pair (user-weighted)"),
        Column("beta", FLOAT32, False, "evidence against it (user-weighted)"),
        Column("mean_rephrase_probability", FLOAT32, True, "mean rephrase probability over the pair's candidates"),
        Column("semantic_similarity", FLOAT32, True, "cosine of the two phrasings' embeddings"),
        Column("lexical_similarity", FLOAT32, True, "rapidfuzz token-set ratio / 100"),
    ),
)
