"""Input checks: quarantine rows that break the contract, pseudonymize ids, keep one row per event_id."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from miner.defaults import MAX_UTTERANCE_CHARS
from schemas.interactions import STATUSES
from schemas.quarantine import QUARANTINE
from schemas.turns import TURNS

# BCP-47 language[-Script][-REGION]; matched case-insensitively, then written in canonical case.
LOCALE_PATTERN = r"(?i)^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?$"
# Unicode "other" (controls, format chars such as bidi overrides) and separators carry no text.
_PRINTING = r"[^\p{C}\p{Z}\s]"
_NULL_DEVICE = "\u0000no-device"


def quarantine_reason(max_utterance_chars: int = MAX_UTTERANCE_CHARS) -> Column:
    """The first contract rule a row breaks, or null. The order is the order of `QUARANTINE`'s reasons."""
    utterance, rewritten = F.col("utterance"), F.col("rewritten_utterance")
    confidence = F.col("nlu_confidence")
    broken_by_reason = {
        "null_event_id": F.col("event_id").isNull(),
        "null_user_id": F.col("user_id").isNull(),
        "null_ts": F.col("ts").isNull(),
        "null_locale": F.col("locale").isNull(),
        "null_utterance": utterance.isNull(),
        "null_status": F.col("status").isNull(),
        "unknown_status": ~F.col("status").isin(*STATUSES),
        "malformed_locale": ~F.col("locale").rlike(LOCALE_PATTERN),
        "utterance_too_long": F.length(utterance) > F.lit(max_utterance_chars),
        # Stops at the first printable character, instead of rewriting every utterance.
        "no_printable_text": ~utterance.rlike(_PRINTING),
        # A served rewrite is what the NLU read: the same rules hold for it, null meaning none was served.
        "malformed_rewrite": rewritten.isNotNull()
        & ((F.length(rewritten) > F.lit(max_utterance_chars)) | ~rewritten.rlike(_PRINTING)),
        "confidence_out_of_range": confidence.isNotNull()
        & (F.isnan(confidence) | (confidence < 0) | (confidence > 1)),
        "malformed_slots": F.coalesce(
            F.exists("slots", lambda slot: slot["name"].isNull() | slot["value"].isNull()), F.lit(False)
        ),
    }
    reason = F.lit(None).cast("string")
    for name, broken in reversed(broken_by_reason.items()):
        reason = F.when(broken, F.lit(name)).otherwise(reason)
    return reason


def canonical_locale(locale: Column) -> Column:
    """en-us -> en-US, ZH-hans-cn -> zh-Hans-CN: one spelling per locale so evidence pools."""
    parts = F.split(locale, "-")
    cased = F.transform(
        parts,
        lambda part, i: F.when(i == 0, F.lower(part))
        .when(F.length(part) == 4, F.initcap(part))
        .otherwise(F.upper(part)),
    )
    return F.array_join(cased, "-")


def keyed_hash(*columns: Column, salt: str) -> Column:
    """A stable pseudonym: 128 bits of SHA-256 over the salt and the values (nulls hashed as a marker)."""
    parts = [F.lit(salt)] + [F.coalesce(c.cast("string"), F.lit(_NULL_DEVICE)) for c in columns]
    return F.substring(F.sha2(F.concat_ws("\u0001", *parts), 256), 1, 32)


def with_quarantine_reason(interactions_df: DataFrame, max_utterance_chars: int) -> DataFrame:
    return interactions_df.withColumn("reason", quarantine_reason(max_utterance_chars))


def pseudonymize(interactions_df: DataFrame, salt: str) -> DataFrame:
    """Replace user_id/device_id by keyed hashes; the raw ids never leave this step."""
    user_key = F.when(F.col("user_id").isNotNull(), keyed_hash(F.col("user_id"), salt=salt))
    device_key = F.when(
        F.col("user_id").isNotNull(), keyed_hash(F.col("user_id"), F.col("device_id"), salt=salt)
    )
    return interactions_df.withColumns({"user_key": user_key, "device_key": device_key}).drop(
        "user_id", "device_id"
    )


def quarantined_rows(checked_df: DataFrame) -> DataFrame:
    """Rows with a reason, as `QUARANTINE` lays them out. Expects `reason` and `source_file`."""
    return checked_df.where(F.col("reason").isNotNull()).select(*QUARANTINE.column_names)


def deduplicated_turns(checked_df: DataFrame) -> DataFrame:
    """Valid rows, one per event_id, with how many times it was delivered.

    Repeated deliveries are normally identical; when they differ, the earliest (then smallest) copy wins,
    so the choice does not depend on file order. One hash aggregation, not a sort of every row.
    """
    delivery_order = ["ts", "user_key", "device_key", "utterance", "status", "intent", "nlu_confidence"]
    others = [c for c in TURNS.column_names if c not in (*delivery_order, "event_id", "deliveries")]
    # min over a struct compares field by field: the delivery order, then the remaining columns.
    first_delivery = F.min(F.struct(*delivery_order, *others)).alias("first_delivery")
    return (
        checked_df.where(F.col("reason").isNull())
        .groupBy("event_id")
        .agg(first_delivery, F.count(F.lit(1)).cast("int").alias("deliveries"))
        .select("event_id", "first_delivery.*", "deliveries")
        .withColumn("locale", canonical_locale(F.col("locale")))
        .select(*TURNS.column_names)
    )
