"""Script-aware text normalization, shared by every stage that compares utterances.

`normalize` gives the key under which evidence pools: NFKC, casefold, digits of every script as ASCII, no
punctuation, no control or format characters, single spaces. `lexical_form` prepares a normalized text for
token-based similarity: scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar)
are compared character by character instead of being treated as one giant token.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Iterator

import pyarrow as pa
import regex
from pyspark.sql import DataFrame

from schemas.texts import TEXTS

# Scripts that do not separate words with spaces.
_UNSEGMENTED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]")
_LETTER = regex.compile(r"\p{L}")
# Punctuation and symbols split words; controls and format characters (bidi overrides, zero-width
# joiners excepted for Indic and Arabic shaping) carry no words. Combining marks stay: they are letters'
# vowels in Devanagari, Thai and others.
_PUNCTUATION = regex.compile(r"[\p{P}\p{S}]+")
_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Co}\p{Cs}--[\u200c\u200d]]+", flags=regex.V1)
_ARABIC_DECORATION = regex.compile(r"[\u0640\u064b-\u065f\u0670]")  # tatweel and harakat
_NON_ASCII_DIGIT = regex.compile(r"[\p{Nd}--[0-9]]", flags=regex.V1)
_SPACES = regex.compile(r"\s+")


_DECIMAL_DIGIT = regex.compile(r"\p{Nd}")


@functools.lru_cache(maxsize=1024)
def _digit_value(digit: str) -> int:
    """The value of a decimal digit, also where `regex` knows a newer Unicode than `unicodedata` does.

    Unicode assigns decimal digits only in contiguous runs of ten, from 0 to 9, so a digit's value is the
    number of digits just below it, modulo 10 (U+1CCF0, an outlined digit zero from Unicode 16, is one).
    """
    value = unicodedata.digit(digit, None)
    if value is not None:
        return value
    below = ord(digit) - 1
    while below >= 0 and _DECIMAL_DIGIT.fullmatch(chr(below)):
        below -= 1
    return (ord(digit) - below - 1) % 10


def _ascii_digit(match: regex.Match) -> str:
    return str(_digit_value(match.group()))


def clean_spacing(text: str) -> str:
    """Single spaces and no control or format characters; a tab or newline counts as a word break."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", _SPACES.sub(" ", text))).strip()


def normalize(text: str | None) -> str | None:
    """The pooling key of an utterance: 'Wecke mich um ７ Uhr!' -> 'wecke mich um 7 uhr'."""
    if text is None:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _SPACES.sub(" ", folded)  # before dropping controls: a tab is a word break
    folded = _INVISIBLE.sub("", folded)
    folded = _ARABIC_DECORATION.sub("", folded)
    folded = _NON_ASCII_DIGIT.sub(_ascii_digit, folded)
    folded = _PUNCTUATION.sub(" ", folded)
    return _SPACES.sub(" ", folded).strip()


def is_unsegmented(text: str) -> bool:
    """Most letters belong to a script written without spaces between words."""
    letters = _LETTER.findall(text)
    return bool(letters) and 2 * len(_UNSEGMENTED.findall(text)) > len(letters)


def lexical_form(normalized: str | None) -> str | None:
    """Space-separated units for token-set similarity: words, or characters in unsegmented scripts."""
    if normalized is None:
        return None
    if is_unsegmented(normalized):
        return " ".join(ch for ch in normalized if not ch.isspace())
    return normalized


def _normalize_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        utterances = batch.column("utterance")
        texts = [normalize(u) for u in utterances.to_pylist()]
        lexical = [lexical_form(t) for t in texts]
        yield pa.RecordBatch.from_arrays([utterances, pa.array(texts), pa.array(lexical)], schema=TEXTS.arrow_schema)


def normalized_utterances(utterances_df: DataFrame) -> DataFrame:
    """Distinct `utterance` -> (utterance, text, lexical): normalize each distinct string once."""
    return utterances_df.select("utterance").mapInArrow(_normalize_batches, TEXTS.spark_schema)
