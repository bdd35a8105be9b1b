"""The running aggregate across days: what `jobs/accumulate.py` carries from one published day to the next.

Each row holds additive masses (decayed sums), so that yesterday's state, scaled by the decay, plus today's
evidence is today's state. The published `pairs` and `labels` are derived from it.

`users_sketch` is the one part that is not a mass: sketches do not decay, so a row's sketch holds every user
behind it on any day merged into it, and `support_users` counts distinct users over the row's whole history
(`miner.sketches`). State written before the column existed reads with a null sketch: such a row keeps its
stored count as a floor, and its sketch starts with the next day merged into it.
"""

from schemas.contract import Column, Contract
from schemas.sketches import SKETCH_DOC
from schemas.types import FLOAT32, FLOAT64, HLL_SKETCH, INT64, SLOTS, STRING

SUPPORT_USERS_DOC = (
    "distinct users across the days merged: the sketch's estimate, never below the largest one-day count "
    "(alone where the row has no sketch)"
)
STATE_SKETCH_DOC = f"{SKETCH_DOC}, merged over the days; null where no day had one (variants, state of old runs)"

PAIR_STATE = Contract(
    name="pair_state",
    doc=(
        "`STAGING/pair_state/`, Parquet partitioned by `locale`. One row per (locale, source, target, kind): the "
        "decayed evidence of every day seen. Today's evidence counts 1, yesterday's `decay`, and so on."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "normalized phrasing"),
        Column("target", STRING, False, "normalized phrasing it maps to"),
        Column("kind", STRING, False, "rephrase or variant"),
        Column("alpha", FLOAT64, False, "decayed sum of the daily evidence for the pair"),
        Column("beta", FLOAT64, False, "decayed sum of the daily evidence against it"),
        Column("score_mass", FLOAT64, False, "decayed sum of the daily scores"),
        Column("day_mass", FLOAT64, False, "decayed count of the days the pair was seen (score = mass / this)"),
        Column("support_users", INT64, False, SUPPORT_USERS_DOC),
        Column("support_sessions", INT64, False, "sessions behind the pair, summed over the days"),
        Column("users_sketch", HLL_SKETCH, True, STATE_SKETCH_DOC),
        Column("last_day", STRING, False, "the latest day (YYYY-MM-DD) with evidence for the pair"),
        Column("target_intent", STRING, True, "as on the latest day"),
        Column("success_probability", FLOAT32, True, "as on the latest day"),
        Column("reach_probability", FLOAT32, True, "as on the latest day"),
        Column("mean_rephrase_probability", FLOAT32, True, "as on the latest day"),
        Column("semantic_similarity", FLOAT32, True, "as on the latest day"),
        Column("lexical_similarity", FLOAT32, True, "as on the latest day"),
    ),
)

LABEL_STATE = Contract(
    name="label_state",
    doc=(
        "`STAGING/label_state/`, Parquet partitioned by `locale`. One row per (locale, source, intent) that a "
        "day's label gave a failing phrasing, with decayed vote masses: on a single day, `vote_mass` / "
        "`voter_mass` is that day's label weight."
    ),
    columns=(
        Column("locale", STRING, False, "canonical locale"),
        Column("source", STRING, False, "the failing phrasing, normalized"),
        Column("intent", STRING, False, "the intent a day's voters chose"),
        Column("vote_mass", FLOAT64, False, "decayed sum of weight x voters"),
        Column("voter_mass", FLOAT64, False, "decayed sum of voters"),
        Column("support_users", INT64, False, f"users it failed for, on this label's days: {SUPPORT_USERS_DOC}"),
        Column("users_sketch", HLL_SKETCH, True, STATE_SKETCH_DOC),
        Column("voters", INT64, False, "the most voters for the intent on any one day"),
        Column("last_day", STRING, False, "the latest day (YYYY-MM-DD) with this label"),
        Column("surface", STRING, False, "as on the latest day"),
        Column("slots", SLOTS, True, "as on the latest day"),
        Column("goal_head", STRING, True, "as on the latest day"),
    ),
)
