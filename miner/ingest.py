"""Input checks: quarantine rows that break the contract, pseudonymize ids, keep one row per event_id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from miner.defaults import MAX_UTTERANCE_CHARS, SCRUB_PII
from miner.log_mapping import PARSE_MARKERS
from miner.privacy import scrubbed
from schemas.interactions import INTERACTIONS, STATUSES
from schemas.quarantine import PLAUSIBLE_YEARS, QUARANTINE, REASON_COLUMNS
from schemas.turns import TURNS

# BCP-47 language[-Script][-REGION]; matched case-insensitively, then written in canonical case.
LOCALE_PATTERN = r"(?i)^[a-z]{2,3}(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?$"
# Unicode "other" (controls, format chars such as bidi overrides) and separators carry no text.
_PRINTING = r"[^\p{C}\p{Z}\s]"
_NULL_DEVICE = "\u0000no-device"
# A quarantined value is shown to people: enough to recognise it, not a whole payload.
SOURCE_VALUE_CHARS = 200
TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"


def quarantine_reason(max_utterance_chars: int = MAX_UTTERANCE_CHARS) -> Column:
    """The first contract rule a row breaks, or null. The order is the order of `QUARANTINE`'s reasons."""
    utterance, rewritten = F.col("utterance"), F.col("rewritten_utterance")
    confidence = F.col("nlu_confidence")
    earliest, latest = (F.make_timestamp(F.lit(year), F.lit(1), F.lit(1), F.lit(0), F.lit(0), F.lit(0))
                        for year in PLAUSIBLE_YEARS)
    broken_by_reason = {
        "unparseable_record": F.col("corrupt_record").isNotNull(),
        "unparseable_value": F.col("unparsed_column").isNotNull(),
        "null_event_id": F.col("event_id").isNull(),
        "null_user_id": F.col("user_id").isNull(),
        "null_ts": F.col("ts").isNull(),
        "implausible_ts": (F.col("ts") < earliest) | (F.col("ts") >= latest),
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
    """Adds `reason`. Rows read through a log mapping carry its parse markers; others get them as nulls."""
    markers = {name: F.lit(None).cast("string") for name in PARSE_MARKERS if name not in interactions_df.columns}
    return interactions_df.withColumns(markers).withColumn("reason", quarantine_reason(max_utterance_chars))


def pseudonymize(interactions_df: DataFrame, salt: str) -> DataFrame:
    """Replace user_id/device_id by keyed hashes; the raw ids never leave this step."""
    user_key = F.when(F.col("user_id").isNotNull(), keyed_hash(F.col("user_id"), salt=salt))
    device_key = F.when(
        F.col("user_id").isNotNull(), keyed_hash(F.col("user_id"), F.col("device_id"), salt=salt)
    )
    return interactions_df.withColumns({"user_key": user_key, "device_key": device_key}).drop(
        "user_id", "device_id"
    )


def offending_source(
    source_columns: Mapping[str, str], scrub_names: Sequence[str] = SCRUB_PII
) -> tuple[Column, Column]:
    """The logs' column a row's reason is about (`source_columns`: contract -> source name) and its value.

    The value is the offending column as text, or the unparsed text, or the whole unparseable record: scrubbed
    of PII and cut to SOURCE_VALUE_CHARS, because the quarantine is read by people.
    """
    reason = F.col("reason")
    column = F.when(reason == "unparseable_value", F.col("unparsed_column"))
    # Free text may hold PII; a timestamp, locale, status or number does not (and the scrubber would eat digits).
    text = F.when(reason == "unparseable_record", F.col("corrupt_record")).when(
        reason == "unparseable_value", F.col("unparsed_value")
    )
    value = F.lit(None).cast("string")
    for name, contract_column in REASON_COLUMNS.items():
        column = column.when(reason == name, F.lit(contract_column))
        if name.startswith("null_"):
            continue  # nothing to show (and user_id/device_id are already replaced by their keys)
        if contract_column in ("utterance", "rewritten_utterance", "slots"):
            as_text = F.to_json(contract_column) if contract_column == "slots" else F.col(contract_column)
            text = text.when(reason == name, as_text)
        else:
            as_text = F.date_format("ts", TS_FORMAT) if contract_column == "ts" else F.col(contract_column)
            value = F.when(reason == name, as_text.cast("string")).otherwise(value)
    names = F.create_map(*[F.lit(part) for pair in sorted(source_columns.items()) for part in pair])
    named = F.try_element_at(names, column)
    return named, F.substring(F.coalesce(scrubbed(text, scrub_names), value), 1, SOURCE_VALUE_CHARS)


def quarantined_rows(
    checked_df: DataFrame, source_columns: Mapping[str, str] | None = None, scrub_names: Sequence[str] = SCRUB_PII
) -> DataFrame:
    """Rows with a reason, as `QUARANTINE` lays them out. Expects `reason`, `source_file` and the parse markers.

    `source_columns` maps contract columns to the logs' names (default: the same names).
    """
    names = source_columns or {name: name for name in INTERACTIONS.column_names}
    source_column, source_value = offending_source(names, scrub_names)
    return (
        checked_df.where(F.col("reason").isNotNull())
        .withColumns({"source_column": source_column, "source_value": source_value})
        .select(*QUARANTINE.column_names)
    )


def repeated_event_ids(checked_df: DataFrame) -> DataFrame:
    """(event_id): the valid event_ids delivered more than once. A hash aggregation of one column."""
    return (
        checked_df.where(F.col("reason").isNull())
        .groupBy("event_id")
        .agg(F.count(F.lit(1)).alias("deliveries"))
        .where(F.col("deliveries") > 1)
        .select("event_id")
    )


def _first_deliveries(valid_df: DataFrame) -> DataFrame:
    """One row per event_id, the earliest (then smallest) copy, with its delivery count."""
    delivery_order = ["ts", "user_key", "device_key", "utterance", "status", "intent", "nlu_confidence"]
    others = [c for c in TURNS.column_names if c not in (*delivery_order, "event_id", "deliveries")]
    # min over a struct compares field by field: the delivery order, then the remaining columns.
    first_delivery = F.min(F.struct(*delivery_order, *others)).alias("first_delivery")
    return (
        valid_df.groupBy("event_id")
        .agg(first_delivery, F.count(F.lit(1)).cast("int").alias("deliveries"))
        .select("event_id", "first_delivery.*", "deliveries")
    )


def deduplicated_turns(checked_df: DataFrame, repeated_ids_df: DataFrame | None = None) -> DataFrame:
    """Valid rows, one per event_id, with how many times it was delivered.

    Repeated deliveries are normally identical; when they differ, the earliest (then smallest) copy wins,
    so the choice does not depend on file order. Given `repeated_event_ids` (small enough to broadcast), only
    the repeated rows are grouped and the rest pass as they are: grouping every row by event_id sorts the
    whole day, since a struct of strings is no hash aggregation's buffer. Without it, every row is grouped.
    """
    valid_df = checked_df.where(F.col("reason").isNull())
    if repeated_ids_df is None:
        deduplicated = _first_deliveries(valid_df)
    else:
        flagged = valid_df.join(
            F.broadcast(repeated_ids_df.select("event_id", F.lit(True).alias("is_repeated"))),
            on="event_id", how="left",
        )
        once = flagged.where(F.col("is_repeated").isNull()).withColumn("deliveries", F.lit(1))
        deduplicated = once.select(*TURNS.column_names).unionByName(
            _first_deliveries(flagged.where(F.col("is_repeated"))).select(*TURNS.column_names)
        )
    return deduplicated.withColumn("locale", canonical_locale(F.col("locale"))).select(*TURNS.column_names)


def reason_examples(quarantine_df: DataFrame, examples: int) -> DataFrame:
    """Per reason and source column: its rows and its `examples` most frequent values, most rows first.

    What a person needs to fix a mapping: "unknown_status in column outcome: 9,812 rows, e.g. '7', '9'".
    """
    by_value = quarantine_df.groupBy("reason", "source_column", "source_value").agg(
        F.count(F.lit(1)).alias("value_rows")
    )
    most_frequent = (
        Window.partitionBy("reason", "source_column")
        .orderBy(F.desc("value_rows"), F.asc_nulls_last("source_value"))
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    ranked = by_value.withColumn("rank", F.row_number().over(most_frequent))
    shown = F.sort_array(F.collect_list(F.when(F.col("rank") <= examples, F.struct("rank", "source_value"))))
    return (
        ranked.groupBy("reason", "source_column")
        .agg(F.sum("value_rows").alias("rows"), shown.alias("shown"))
        .select(
            "reason", "source_column", "rows",
            F.transform("shown", lambda example: example["source_value"]).alias("examples"),
        )
        .orderBy(F.desc("rows"), "reason")
    )
