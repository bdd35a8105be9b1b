"""A team's log rows, as read, turned into `interactions` rows by their mapping (pipeline.log_format.LogFormat).

Every step is a Spark expression: renames, the timestamp's unit, the outcome codes, locale spelling, slots in
MASSIVE's annotated form, constants and Hive-style folder values. Nothing is dropped: a value that does not
parse (a timestamp that is not ISO 8601, a confidence that is not a number) leaves its contract column null and
names itself in `unparsed_column`/`unparsed_value`, and ingest quarantines the row with that source column.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from schemas.interactions import INTERACTIONS
from schemas.types import SLOTS

# The columns, besides the contract's, that ingest's quarantine rules read (miner.ingest.quarantine_reason).
PARSE_MARKERS = ("corrupt_record", "unparsed_column", "unparsed_value")
# Spark's column for a JSON line or CSV row that did not parse, with its raw text.
CORRUPT_RECORD = "_corrupt_record"
_MICROS_PER_UNIT = {"epoch_seconds": 1_000_000, "epoch_millis": 1_000}
# MASSIVE's inline slot: "[name : value]".
_ANNOTATED_SLOT = r"\[\s*([^\[\]:\s]+)\s*:\s*([^\[\]]*?)\s*\]"
# The columns whose text is parsed into another type, in the order a row's first failure is reported.
_PARSED = ("ts", "nlu_confidence", "slots")


def _source(name: str) -> Column:
    return F.col(f"`{name}`")


def _text(column: Column, source_type: T.DataType) -> Column:
    return column if isinstance(source_type, T.StringType) else column.cast("string")


def _number(column: Column, source_type: T.DataType, target: str) -> Column:
    """A numeric source is cast; text is tried, so that "n/a" becomes null (and is reported), not an error."""
    if isinstance(source_type, T.NumericType):
        return column.cast(target)
    return _text(column, source_type).try_cast(target)


def parsed_timestamp(raw: Column, source_type: T.DataType, unit: str) -> Column:
    if isinstance(source_type, T.TimestampType):
        return raw
    if unit in _MICROS_PER_UNIT:
        micros = (_number(raw, source_type, "double") * F.lit(_MICROS_PER_UNIT[unit])).try_cast("long")
        return F.timestamp_micros(micros)
    # ISO 8601 with "T" or a space, optional fraction and offset; without an offset the session zone (UTC).
    return F.try_to_timestamp(_text(raw, source_type))


def annotated_slots(annot_utt: Column) -> Column:
    """[{name, value}] of a MASSIVE annotation, in order of appearance; null when a bracket is left unpaired."""
    names = F.regexp_extract_all(annot_utt, F.lit(_ANNOTATED_SLOT), 1)
    values = F.regexp_extract_all(annot_utt, F.lit(_ANNOTATED_SLOT), 2)
    slots = F.zip_with(names, values, lambda name, value: F.struct(name.alias("name"), value.alias("value")))
    return F.when(~annotation_text(annot_utt).rlike(r"[\[\]]"), slots)


def annotation_text(annot_utt: Column) -> Column:
    """The plain utterance of a MASSIVE annotation: each "[name : value]" replaced by its value."""
    return F.regexp_replace(annot_utt, _ANNOTATED_SLOT, "$2")


def normalized_locale(locale: Column) -> Column:
    """en_US.UTF-8 -> en-US, " EN_us " -> EN-us (ingest then writes every locale in canonical case)."""
    return F.regexp_replace(F.regexp_replace(F.trim(locale), r"[.@].*$", ""), "_", "-")


def mapped_status(raw_text: Column, status_values: Mapping[str, str]) -> Column:
    """The contract status of a source outcome; an unlisted value is kept as it was, for the quarantine."""
    trimmed = F.trim(raw_text)
    if not status_values:
        return trimmed
    codes = F.create_map(*[F.lit(part) for pair in sorted(status_values.items()) for part in pair])
    return F.coalesce(F.try_element_at(codes, trimmed), trimmed)


def _percent_decoded(text: Column) -> Column:
    """%XX escapes decoded; unlike a form decoder, a "+" stays a "+"."""
    return F.try_url_decode(F.replace(text, F.lit("+"), F.lit("%2B")))


def _path_value(name: str) -> Column:
    """The value of a Hive-style folder `name=value` in the row's file path. The path is a URI, so the folder's
    name is escaped once more (`de%3AX` on disk reads `de%253AX`): decode twice, Hive's escape under the URI's."""
    found = F.regexp_extract(F.col("source_file"), f"/{name}=([^/]*)/", 1)
    return F.when(found != "", _percent_decoded(_percent_decoded(found)))


def _raw_columns(log_format, source_types: Mapping[str, T.DataType]) -> dict[str, tuple[Column, T.DataType]]:
    """Per contract column, its source value as read and the source's type (constants and absent ones too)."""
    contract_types = {c.name: c.type.spark for c in INTERACTIONS.columns}
    raw = {}
    for name, contract_type in contract_types.items():
        if name in log_format.constants:
            raw[name] = (F.lit(log_format.constants[name]).cast(contract_type), contract_type)
        elif name in log_format.absent:
            raw[name] = (F.lit(None).cast(contract_type), contract_type)
        else:
            source_name = log_format.source_column(name)
            if source_name in log_format.path_columns:
                raw[name] = (_path_value(source_name), T.StringType())
            elif source_name not in source_types:  # an optional column no file has
                raw[name] = (F.lit(None).cast(contract_type), contract_type)
            else:
                raw[name] = (_source(source_name), source_types[source_name])
    return raw


def mapped_interactions(source_df: DataFrame, log_format, source_types: Mapping[str, T.DataType]) -> DataFrame:
    """The `interactions` columns, `source_file` and the parse markers, from rows in the team's layout.

    `source_types` gives each source column's type as read: text for JSON Lines and CSV, the footer's for
    Parquet. Expects `source_file`, and `_corrupt_record` for text formats.
    """
    raw = _raw_columns(log_format, source_types)

    def text(name: str) -> Column:
        return _text(*raw[name])

    slots_raw, slots_type = raw["slots"]
    if isinstance(slots_type, T.ArrayType):
        slots = slots_raw
    elif log_format.slots == "annot_utt":
        slots = annotated_slots(text("slots"))
    else:
        slots = F.from_json(text("slots"), SLOTS.spark, {"mode": "PERMISSIVE"})
    utterance = text("utterance")
    shares_annotation = log_format.source_column("utterance") == log_format.source_column("slots")
    if log_format.slots == "annot_utt" and shares_annotation:
        utterance = annotation_text(utterance)
    locale = text("locale")
    parsed = {
        "ts": parsed_timestamp(*raw["ts"], log_format.timestamp),
        "nlu_confidence": _number(*raw["nlu_confidence"], "float"),
        "slots": slots,
    }
    columns = {
        **{name: text(name) for name in raw},
        **parsed,
        "utterance": utterance,
        "locale": normalized_locale(locale) if log_format.normalize_locale else locale,
        "status": mapped_status(text("status"), log_format.status_values),
    }
    has_corrupt = CORRUPT_RECORD in source_df.columns
    mapped_df = source_df.select(
        *[column.alias(name) for name, column in columns.items()],
        "source_file",
        (_source(CORRUPT_RECORD) if has_corrupt else F.lit(None).cast("string")).alias("corrupt_record"),
        *[_text(*raw[name]).alias(f"raw_{name}") for name in _PARSED],
    )
    # A value that was there but did not parse: the first such column of the row, and its text.
    failed = {name: F.col(f"raw_{name}").isNotNull() & F.col(name).isNull() for name in _PARSED}
    return mapped_df.select(
        *INTERACTIONS.column_names, "source_file", "corrupt_record",
        F.coalesce(*[F.when(failure, F.lit(name)) for name, failure in failed.items()]).alias("unparsed_column"),
        F.coalesce(*[F.when(failure, F.col(f"raw_{name}")) for name, failure in failed.items()]).alias(
            "unparsed_value"
        ),
    )

