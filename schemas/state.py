"""The running aggregate across days: what `jobs/accumulate.py` carries from one published day to the next.

Each row holds additive masses (decayed sums), so that yesterday's state, scaled by the decay, plus today's
evidence is today's state. The published `pairs` and `labels` are derived from it.
"""

from schemas.contract import Column, Contract
from schemas.types import FLOAT32, FLOAT64, INT64, SLOTS, STRING

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
        Column("support_users", INT64, False, "the most distinct users behind the pair on any one day"),
        Column("support_sessions", INT64, False, "sessions behind the pair, summed over the days"),
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
        Column("support_users", INT64, False, "the most users the phrasing failed for on any one day"),
        Column("voters", INT64, False, "the most voters for the intent on any one day"),
        Column("last_day", STRING, False, "the latest day (YYYY-MM-DD) with this label"),
        Column("surface", STRING, False, "as on the latest day"),
        Column("slots", SLOTS, True, "as on the latest day"),
        Column("goal_head", STRING, True, "as on the latest day"),
    ),
)
