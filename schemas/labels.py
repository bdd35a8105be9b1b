"""Intent labels of failing phrasings: the output of `jobs/aggregate.py` that `jobs/emit.py` turns into records."""

from schemas.contract import Column, Contract
from schemas.types import FLOAT32, INT64, SLOTS, STRING

LABELS = Contract(
    name="labels",
    doc=(
        "`OUT/labels/`, Parquet partitioned by `locale`: one intent per failing phrasing, voted by the "
        "confirmed rephrases of its users; the phrasing failed for at least `min_users` users."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "the failing phrasing, normalized"),
        Column("intent", STRING, False, "the intent its users' confirmed rephrases vote for"),
        Column("weight", FLOAT32, False, "5th percentile of the Beta posterior of the winning intent's vote share"),
        Column("support_users", INT64, False, "distinct users who said the phrasing and met a defect (>= min_users)"),
        Column("voters", INT64, False, "distinct users whose confirmed rephrase voted for the intent"),
        Column("surface", STRING, False, "the commonest written form of the phrasing when it failed"),
        Column("slots", SLOTS, True, "slots of the best-evidenced rephrase voting for the intent, to project"),
        Column(
            "goal_head", STRING, True,
            "the phrasing most users succeed with for the same intent and slot values (>= min_users users)",
        ),
    ),
)
