import unicodedata

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from miner.text import is_unsegmented, lexical_form, normalize

ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Wake me up at 7 AM!", "wake me up at 7 am"),
        ("  Wecke   mich um ７ Uhr!! ", "wecke mich um 7 uhr"),  # fullwidth digit, NFKC
        ("Straße", "strasse"),  # casefold, not lower
        ("what's the\ttime?", "what s the time"),
        ("<b>play jazz</b>", "b play jazz b"),
        ("play\u202e jazz\x07", "play jazz"),  # bidi override and a control character vanish
        ("東京の天気は？", "東京の天気は"),
        ("اضبط المنبه على ٧", "اضبط المنبه على 7"),  # Arabic-Indic digit
        ("مــرحـبـاً", "مرحبا"),  # tatweel and tanween
        ("अलार्म लगाओ।", "अलार्म लगाओ"),  # Devanagari danda is punctuation; virama stays
        ("ตั้งปลุก ๗ โมง", "ตั้งปลุก 7 โมง"),  # Thai digit; vowel marks stay
        ("", ""),
        ("\x00\x1b", ""),
        (None, None),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_digits_newer_than_unicodedata_still_become_ascii():
    assert normalize("\U0001ccf0\U0001ccf7 \U00010d45") == "07 5"  # outlined digits, Garay (Unicode 16)
    assert normalize("٣ ๗ 𝟗") == "3 7 9"


def test_normalize_is_idempotent_on_examples():
    for text in ["Hallo, Welt!", "東京の天気は？", "ｗａｋｅ ｍｅ", "Ça va? ٣"]:
        assert normalize(normalize(text)) == normalize(text)


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
@example("\U0001ccf0")  # a digit that `regex` knows and Python 3.11's unicodedata does not; CI found it
def test_normalize_properties_for_any_text(text):
    key = normalize(text)
    assert normalize(key) == key  # a pooling key is its own key
    assert key == key.strip() and "  " not in key and not regex.search(r"[\p{P}\p{S}\s--[ ]]", key, flags=regex.V1)
    assert not regex.search(r"[\p{Cc}\p{Cf}\p{Co}--[\u200c\u200d]]", key, flags=regex.V1)
    assert all(ch in "0123456789" for ch in key if unicodedata.category(ch) == "Nd")  # digits of any script: ASCII
    assert normalize(text + " ?!") == key and normalize("\t" + text) == key  # punctuation and spacing do not count


@pytest.mark.parametrize(
    "text, unsegmented",
    [("wake me up", False), ("東京の天気は", True), ("ตั้งปลุก 7 โมง", True), ("play 東京", False), ("7 8", False)],
)
def test_is_unsegmented(text, unsegmented):
    assert is_unsegmented(text) is unsegmented


def test_lexical_form_splits_unsegmented_scripts_into_characters():
    assert lexical_form("wake me up") == "wake me up"
    assert lexical_form("東京の 天気") == "東 京 の 天 気"
    assert lexical_form(None) is None
