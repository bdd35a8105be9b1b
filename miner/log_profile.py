"""What a day of logs holds, before it is mined: the aggregations behind `rephrase-miner profile`.

Each function reads the checked interactions (`with_quarantine_reason`'s output, with `source_file`) and returns
a small DataFrame, so that a profile is a handful of aggregations over one cached read, linear in the rows.
Users are counted on the raw `user_id`, which never leaves the aggregation.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from miner.candidates import is_friction
from miner.ingest import canonical_locale
from miner.sessions import gap_seconds

CONFIDENCE_BUCKETS = 10
# The day a Hive-style folder names (`.../date=2026-11-30/...`), to compare the timestamps with.
FOLDER_DAY_PATTERN = r"date=(\d{4}-\d{2}-\d{2})"


def _valid(checked_df: DataFrame) -> DataFrame:
    return checked_df.where(F.col("reason").isNull())


def profile_totals(checked_df: DataFrame) -> DataFrame:
    """One row: rows read, quarantined and valid; distinct events, users and devices; the time span; and how
    many valid rows lack an optional column or fall outside the day their `date=` folder names."""
    valid = F.col("reason").isNull()
    folder_day = F.regexp_extract("source_file", FOLDER_DAY_PATTERN, 1)
    outside_folder_day = valid & (folder_day != "") & (F.to_date("ts").cast("string") != folder_day)
    return checked_df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.count_if(~valid).alias("quarantined"),
        F.count_if(valid).alias("valid_rows"),
        F.count_distinct(F.when(valid, F.col("event_id"))).alias("event_ids"),
        F.approx_count_distinct(F.when(valid, F.col("user_id"))).alias("users"),
        F.approx_count_distinct(F.when(valid, F.concat_ws("\u0000", "user_id", "device_id"))).alias("devices"),
        F.min(F.when(valid, F.col("ts"))).alias("first_ts"),
        F.max(F.when(valid, F.col("ts"))).alias("last_ts"),
        F.count_if(valid & F.col("nlu_confidence").isNull()).alias("null_confidence"),
        F.count_if(valid & F.col("intent").isNull()).alias("null_intent"),
        F.count_if(valid & (F.size("slots") > 0)).alias("with_slots"),
        F.count_if(valid & F.col("rewritten_utterance").isNotNull()).alias("rewritten"),
        F.count_if(outside_folder_day).alias("outside_folder_day"),
    ).select(
        "rows", "quarantined", "valid_rows", "event_ids", "users", "devices", "first_ts", "last_ts",
        "null_confidence", "null_intent", "with_slots", "rewritten", "outside_folder_day",
    )


def locale_status_mix(checked_df: DataFrame) -> DataFrame:
    """Valid rows per (locale, status), the locale spelled as ingest will spell it."""
    return (
        _valid(checked_df)
        .groupBy(canonical_locale(F.col("locale")).alias("locale"), "status")
        .agg(F.count(F.lit(1)).alias("rows"))
        .select("locale", "status", "rows")
    )


def confidence_histogram(checked_df: DataFrame, buckets: int = CONFIDENCE_BUCKETS) -> DataFrame:
    """Valid rows with a confidence, per bucket of width 1/buckets (a confidence of 1 is in the last)."""
    bucket = F.least(F.floor(F.col("nlu_confidence") * buckets), F.lit(buckets - 1)).cast("int")
    return (
        _valid(checked_df)
        .where(F.col("nlu_confidence").isNotNull())
        .groupBy(bucket.alias("bucket"))
        .agg(F.count(F.lit(1)).alias("rows"))
        .select("bucket", "rows")
    )


def _spoken(utterance: Column) -> Column:
    # A cheap stand-in for the miner's normalization: enough to tell a repetition from a rephrase.
    return F.lower(F.trim(utterance))


def rephrase_evidence(
    checked_df: DataFrame, session_gap_seconds: float, rephrase_window_seconds: float, min_users: int
) -> DataFrame:
    """One row: sessions, friction turns, those followed by another phrasing within the rephrase window, those
    whose next turn succeeded, and the (failing phrasing, next phrasing) pairs that reached `min_users` users.

    Direct pairs only: the miner also pairs phrasings across users and across more turns, so the pairs here are
    a floor on what it finds. A day with none at the floor will publish little or nothing.
    """
    by_device = Window.partitionBy("user_id", "device_id").orderBy("ts", "event_id")
    previous_turn, next_turn = by_device.rowsBetween(-1, -1), by_device.rowsBetween(1, 1)
    turns_df = _valid(checked_df).select(
        "user_id", "device_id", "event_id", "ts", "utterance", "status", "nlu_confidence",
        canonical_locale(F.col("locale")).alias("locale"),
    )
    with_next = turns_df.withColumns(
        {
            "previous_gap_s": gap_seconds(F.col("ts"), F.lag("ts").over(previous_turn)),
            "next_gap_s": gap_seconds(F.lead("ts").over(next_turn), F.col("ts")),
            "next_utterance": F.lead("utterance").over(next_turn),
            "next_status": F.lead("status").over(next_turn),
            "next_confidence": F.lead("nlu_confidence").over(next_turn),
        }
    )
    is_failing = is_friction(F.col("status"), F.col("nlu_confidence"))
    is_rephrased = (
        is_failing
        & (F.col("next_gap_s") <= rephrase_window_seconds)
        & (_spoken(F.col("next_utterance")) != _spoken(F.col("utterance")))
    )
    is_recovered = is_rephrased & ~is_friction(F.col("next_status"), F.col("next_confidence"))
    pair = F.when(is_recovered, F.struct("locale", _spoken(F.col("utterance")), _spoken(F.col("next_utterance"))))
    per_pair = with_next.groupBy(pair.alias("pair")).agg(
        F.count_if(F.col("previous_gap_s").isNull() | (F.col("previous_gap_s") > session_gap_seconds))
        .alias("sessions"),
        F.count_if(is_failing).alias("friction_turns"),
        F.count_if(is_rephrased).alias("rephrased_turns"),
        F.count_if(is_recovered).alias("recovered_turns"),
        F.count_distinct("user_id").alias("users"),
    )
    is_pair = F.col("pair").isNotNull()
    return per_pair.agg(
        F.sum("sessions").alias("sessions"),
        F.sum("friction_turns").alias("friction_turns"),
        F.sum("rephrased_turns").alias("rephrased_turns"),
        F.sum("recovered_turns").alias("recovered_turns"),
        F.count_if(is_pair).alias("pairs"),
        F.count_if(is_pair & (F.col("users") >= min_users)).alias("pairs_at_floor"),
    ).select(
        *[F.coalesce(F.col(name), F.lit(0)).cast("long").alias(name) for name in (
            "sessions", "friction_turns", "rephrased_turns", "recovered_turns", "pairs", "pairs_at_floor",
        )]
    )
