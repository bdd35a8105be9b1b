"""Sketches of the distinct users behind a day's pairs and labels: what `jobs/aggregate.py` leaves beside them
for `jobs/accumulate.py`, which counts users across days with them (`miner.sketches`)."""

from schemas.contract import Column, Contract
from schemas.types import HLL_SKETCH, STRING

SKETCH_DOC = (
    "HLL sketch (Spark `hll_sketch_agg`, lgConfigK `miner.defaults.USERS_SKETCH_LG_K`) of the distinct user keys "
    "counted in the row's `support_users`"
)

PAIR_USERS = Contract(
    name="pair_users",
    doc=(
        "`OUT/pair_users/`, Parquet partitioned by `locale`. One row per rephrase pair of `OUT/pairs`: the users "
        "behind it, as a mergeable sketch. Working data of the scheduled runs, not an output: variant pairs "
        "have no row (their support is no count of one set of users)."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "normalized phrasing (the failing one)"),
        Column("target", STRING, False, "normalized phrasing it maps to"),
        Column("kind", STRING, False, "rephrase"),
        Column("users_sketch", HLL_SKETCH, False, SKETCH_DOC),
    ),
)

LABEL_USERS = Contract(
    name="label_users",
    doc=(
        "`OUT/label_users/`, Parquet partitioned by `locale`. One row per labelled phrasing of `OUT/labels`: the "
        "users it failed for, as a mergeable sketch. Working data of the scheduled runs, not an output."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "the failing phrasing, normalized"),
        Column("users_sketch", HLL_SKETCH, False, SKETCH_DOC),
    ),
)
