"""PII scrubbing: e-mail addresses, phone numbers and long digit runs become placeholders at ingest.

Raw logs carry what users said, and users say their phone numbers. Ingest rewrites the utterance and every
slot value of every row (quarantined ones included) before anything is written, so no dataset of a run holds
the raw value. A phrasing that was scrubbed ("call <phone>") still pools and still shapes its session, but it
is never emitted as a training record (`is_scrubbed`), since a model must not learn the placeholder.

The patterns are Java regular expressions (Spark's `regexp_replace`); `\\p{Nd}` matches the digits of every
script, not only ASCII ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from miner.defaults import SCRUB_PII

_EDGE_BEFORE = r"(?<![\p{L}\p{N}])"
_EDGE_AFTER = r"(?![\p{L}\p{N}])"
# name -> (pattern, placeholder), named as miner.defaults.PII_KINDS (which the DAG's params offer).
# Applied in this order: an address's digits are part of the address. A match may start only where a token
# starts, and an address's parts are bounded by their RFC 5321 lengths: a pattern free to start anywhere and
# run to the end of the text and back is quadratic, hours on a 100 MB "utterance".
PII_PATTERNS: dict[str, tuple[str, str]] = {
    "email": (
        r"(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@[\p{L}\p{N}-]{1,63}(?:\.[\p{L}\p{N}-]{1,63}){1,8}",
        "<email>",
    ),
    # 7 to 15 digits (E.164's most), optionally led by + and separated by single spaces, dots, dashes or
    # brackets. Bounded: Java repeats a group by recursion, and a megabyte of digits would overflow the stack.
    "phone": (_EDGE_BEFORE + r"\+?\(?\p{Nd}(?:[ ().-]{0,2}\p{Nd}){6,14}" + _EDGE_AFTER, "<phone>"),
    # Account, card and postal codes: five or more digits in a row, even inside a word. Years and times have fewer.
    "digits": (r"\p{Nd}{5,}", "<number>"),
}
PLACEHOLDER_PATTERN = "|".join(sorted({placeholder for _, placeholder in PII_PATTERNS.values()}))


def check_scrub_names(names: Sequence[str]) -> tuple[str, ...]:
    """The names, in PII_PATTERNS order; an unknown name is an error, not silently no scrubbing."""
    unknown = sorted(set(names) - set(PII_PATTERNS))
    if unknown:
        raise ValueError(f"unknown PII pattern(s) {', '.join(unknown)}; known: {', '.join(PII_PATTERNS)}")
    return tuple(name for name in PII_PATTERNS if name in names)


# Every pattern needs an @ or a digit: most utterances have neither and skip the replacements.
_MAY_HOLD_PII = r"[@\p{Nd}]"


def scrubbed(text: Column, names: Sequence[str] = SCRUB_PII) -> Column:
    """The text with every match of the named patterns replaced by its placeholder (null stays null)."""
    replaced = text
    for name in check_scrub_names(names):
        pattern, placeholder = PII_PATTERNS[name]
        replaced = F.regexp_replace(replaced, pattern, F.lit(placeholder))
    return F.when(text.rlike(_MAY_HOLD_PII), replaced).otherwise(text)


def scrub_pii(interactions_df: DataFrame, names: Sequence[str] = SCRUB_PII) -> DataFrame:
    """Scrub `utterance`, `rewritten_utterance` and every slot value; all other columns are left as they are."""
    if not check_scrub_names(names):
        return interactions_df
    # A lambda per slot is interpreted, not compiled: only the slot lists that may hold PII pay for it.
    may_hold_pii = F.coalesce(F.array_join(F.col("slots.value"), " ").rlike(_MAY_HOLD_PII), F.lit(False))
    slots = F.when(
        may_hold_pii, F.transform("slots", lambda slot: slot.withField("value", scrubbed(slot["value"], names)))
    ).otherwise(F.col("slots"))
    return interactions_df.withColumns(
        {
            "utterance": scrubbed(F.col("utterance"), names),
            "rewritten_utterance": scrubbed(F.col("rewritten_utterance"), names),
            "slots": slots,
        }
    )


def is_scrubbed(text: Column) -> Column:
    """The text holds a scrubber placeholder."""
    return F.coalesce(text.rlike(PLACEHOLDER_PATTERN), F.lit(False))


def has_scrubbed_slot(slots: Column) -> Column:
    """A slot value of the list holds a scrubber placeholder (false for a null list)."""
    return F.coalesce(F.exists(slots, lambda slot: is_scrubbed(slot["value"])), F.lit(False))
