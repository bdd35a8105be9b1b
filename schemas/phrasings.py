"""Per-phrasing aggregates of the outcomes, computed once by `jobs/variants.py` and read again by
`jobs/aggregate.py`: each reads a few hundred thousand phrasings instead of re-aggregating every turn."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT64, INT64, STRING, STRING_LIST

PHRASINGS = Contract(
    name="phrasings",
    doc=(
        "`OUT/phrasings/`, Parquet: every phrasing (locale, normalized text) of the outcomes, with how many "
        "users said it and how many of them met a defect with it (`miner.aggregate.phrasing_reliability`)."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("text", STRING, False, "normalized text"),
        Column("users", INT64, False, "distinct users who said it"),
        Column("defective_users", INT64, False, "distinct users for whom it was defective at least once"),
        Column("reliability", FLOAT64, False, "1 - defective_users / users"),
        Column("surface", STRING, True, "the commonest way it was written when it failed; null if it never did"),
    ),
)

GOAL_PHRASINGS = Contract(
    name="goal_phrasings",
    doc=(
        "`OUT/goal_phrasings/`, Parquet: the distinct users behind each phrasing of each goal (locale, intent, "
        "canonical slot values), over confirmed successes only (`miner.variants.goal_phrasings`)."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("intent", STRING, False, "the intent the NLU read, confirmed by the user"),
        Column("goal", STRING_LIST, False, "sorted 'name=value' slot values, case and spacing folded"),
        Column("text", STRING, False, "normalized text"),
        Column("users", INT64, False, "distinct users who reached the goal with this phrasing"),
    ),
)
