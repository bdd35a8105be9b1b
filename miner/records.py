"""Training records in MASSIVE's format: display text, slot projection, and the record itself."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Iterator, Sequence

import pyarrow as pa
import regex
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from miner.massive import format_annot_utt, parse_annot_utt
from miner.privacy import has_scrubbed_slot, is_scrubbed
from miner.text import clean_spacing, is_unsegmented
from schemas.outputs import TRAINING

_EDGE_PUNCTUATION = regex.compile(r"^[\p{P}\s]+|[\p{P}\s]+$")
# MASSIVE's annotation has no escape for its own brackets.
_BRACKETS = str.maketrans({"[": "(", "]": ")"})


def display_form(utterance: str) -> str:
    """How a record writes an utterance, MASSIVE-style: 'Wake me up at 7 AM!' -> 'wake me up at 7 am'.

    NFKC, lower case, single spaces, no control or format characters, no punctuation at either end, and
    round brackets for square ones. Unlike `miner.text.normalize` it keeps inner punctuation ("what's").
    """
    text = clean_spacing(unicodedata.normalize("NFKC", utterance).lower())
    return clean_spacing(_EDGE_PUNCTUATION.sub("", text.translate(_BRACKETS)))


def _value_pattern(value: str) -> regex.Pattern | None:
    """Matches the value in any case and spacing; whole words only where the script spaces its words."""
    words = display_form(value).split()
    if not words:
        return None
    if is_unsegmented(value):
        return regex.compile(r"\s*".join(regex.escape(w) for w in words), flags=regex.IGNORECASE)
    body = r"\s+".join(regex.escape(w) for w in words)
    return regex.compile(rf"(?<!\w){body}(?!\w)", flags=regex.IGNORECASE)


def project_slots(utt: str, slots: Sequence[tuple[str, str]]) -> str:
    """`utt` annotated with those slot values that occur in it; absent values are left out.

    Longer values are placed first and spans never overlap, so the result always strips back to `utt`.
    """
    taken: list[tuple[int, int, str]] = []
    for name, value in sorted(slots, key=lambda slot: -len(slot[1] or "")):
        if not name or not value or any(c.isspace() or c in "[]:" for c in name):
            continue
        pattern = _value_pattern(value)
        if pattern is None:
            continue
        for match in pattern.finditer(utt):
            start, end = match.span()
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, name))
                break
    return format_annot_utt(utt, taken)


def record_id(locale: str, utt: str) -> str:
    return "rm-" + hashlib.sha256(f"{locale}\u0001{utt}".encode()).hexdigest()[:16]


def scenario_of(intent: str) -> str:
    """MASSIVE names intents `<scenario>_<action>`."""
    return intent.split("_", 1)[0]


def training_record(
    locale: str, surface: str, intent: str, slots: Sequence[tuple[str, str]], weight: float,
    support_users: int, run_id: str,
) -> dict:
    utt = display_form(surface)
    annot_utt = project_slots(utt, slots)
    if parse_annot_utt(annot_utt)[0] != utt:  # the format's one invariant; never emit a record that breaks it
        raise AssertionError(f"annot_utt {annot_utt!r} does not strip back to {utt!r}")
    return {
        "id": record_id(locale, utt),
        "locale": locale,
        "partition": "train",
        "scenario": scenario_of(intent),
        "intent": intent,
        "utt": utt,
        "annot_utt": annot_utt,
        "kind": "rephrase",
        "weight": float(weight),
        "support_users": int(support_users),
        "run_id": run_id,
    }


def _record_batches(batches: Iterator[pa.RecordBatch], run_id: str) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        records = [
            training_record(
                row["locale"], row["surface"], row["intent"],
                [(slot["name"], slot["value"]) for slot in row["slots"] or []],
                row["weight"], row["support_users"], run_id,
            )
            for row in batch.to_pylist()
        ]
        yield pa.RecordBatch.from_pylist(records, schema=TRAINING.arrow_schema)


def training_records(labels_df: DataFrame, run_id: str) -> DataFrame:
    """Labels (locale, surface, intent, slots, weight, support_users) -> MASSIVE records, one per label.

    An utterance that would appear under two intents (two labels sharing a display form) is dropped, and so
    is a phrasing whose text or slots were scrubbed of PII: a model must not learn "call <phone>".
    """
    records = (
        labels_df.where(~is_scrubbed(F.col("surface")) & ~has_scrubbed_slot(F.col("slots")))
        .select("locale", "surface", "intent", "slots", "weight", "support_users")
        .mapInArrow(lambda batches: _record_batches(batches, run_id), TRAINING.spark_schema)
    )
    intents_per_utt = records.groupBy("locale", "utt").agg(F.count_distinct("intent").alias("intents"))
    return (
        records.join(intents_per_utt, on=["locale", "utt"], how="inner")
        .where(F.col("intents") == 1)
        .dropDuplicates(["locale", "utt"])
        .select(*TRAINING.column_names)
    )
