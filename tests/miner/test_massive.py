"""MASSIVE annotation helpers: parse `[slot : value]` markup and write it back."""

from __future__ import annotations

import gzip
import json
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from miner.massive import SlotSpan, format_annot_utt, parse_annot_spans, parse_annot_utt


def test_parse_gives_plain_text_and_slots_in_order():
    text, slots = parse_annot_utt("wake me up at [time : five am] [date : this week]")

    assert text == "wake me up at five am this week"
    assert slots == [("time", "five am"), ("date", "this week")]


def test_parse_without_slots_returns_the_text():
    assert parse_annot_utt("olly quiet") == ("olly quiet", [])
    assert parse_annot_utt("") == ("", [])


def test_parse_spans_are_offsets_into_the_plain_text():
    text, spans = parse_annot_spans("set an alarm for [time : two hours from now] please")

    assert text == "set an alarm for two hours from now please"
    assert spans == [SlotSpan(17, 35, "time")]
    assert text[17:35] == "two hours from now"


def test_parse_keeps_repeated_slot_names_and_colons_inside_values():
    assert parse_annot_utt("from [date : monday] to [date : friday] at [time : 10:30]") == (
        "from monday to friday at 10:30",
        [("date", "monday"), ("date", "friday"), ("time", "10:30")],
    )


def test_parse_accepts_missing_spaces_around_the_colon():
    assert parse_annot_utt("at [time:five am]") == ("at five am", [("time", "five am")])


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ("wake me at [time : seven", "unclosed '\\[' at offset 11"),
        ("wake me ] at seven", "unmatched '\\]' at offset 8"),
        ("[time [date : x] : y]", "nested '\\[' at offset 6"),
        ("wake me at [seven am]", "is not '\\[name : value\\]'"),
        ("wake me at [ : seven am]", "is not '\\[name : value\\]'"),
        ("wake me at [time : ]", "is not '\\[name : value\\]'"),
        ("wake me at [wake time : seven]", "contains whitespace"),
    ],
)
def test_parse_rejects_malformed_brackets_with_a_clear_message(annotation, message):
    with pytest.raises(ValueError, match=message):
        parse_annot_utt(annotation)


def test_format_is_the_inverse_of_parse():
    assert format_annot_utt("wake me up at five am this week", [(14, 21, "time"), (22, 31, "date")]) == (
        "wake me up at [time : five am] [date : this week]"
    )
    assert format_annot_utt("olly quiet", []) == "olly quiet"


def test_format_accepts_spans_in_any_order():
    assert format_annot_utt("a b", [(2, 3, "y"), (0, 1, "x")]) == "[x : a] [y : b]"


@pytest.mark.parametrize(
    ("text", "spans", "message"),
    [
        ("wake me", [(3, 3, "time")], "empty or outside"),
        ("wake me", [(0, 99, "time")], "empty or outside"),
        ("wake me", [(0, 4, "a"), (2, 6, "b")], "overlaps"),
        ("wake me", [(0, 4, "my slot")], "without spaces"),
        ("wake  me", [(4, 5, "time")], "only whitespace"),
        ("wake [me]", [(0, 4, "time")], "contains a bracket"),
    ],
)
def test_format_rejects_spans_it_cannot_write(text, spans, message):
    with pytest.raises(ValueError, match=message):
        format_annot_utt(text, spans)


def test_every_shipped_record_parses_to_its_utt_and_formats_back():
    folder = resources.files("miner").joinpath("data", "massive")
    checked = 0
    for name in ("en-US.train.jsonl.gz", "de-DE.dev.jsonl.gz", "sw-KE.dev.jsonl.gz"):
        with folder.joinpath(name).open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                text, spans = parse_annot_spans(record["annot_utt"])
                assert text == record["utt"], record
                assert format_annot_utt(text, spans) == record["annot_utt"], record
                checked += 1
    assert checked == 11_514 + 2_033 + 2_033


_words = st.text(alphabet="abcxyz äöß0189 '.,:", min_size=1, max_size=8)


@st.composite
def _annotated(draw):
    """A text and non-overlapping slot spans, built from pieces."""
    text, spans = "", []
    for _ in range(draw(st.integers(0, 4))):
        text += draw(st.text(alphabet="abc ,.", max_size=5))
        value = draw(_words.filter(lambda v: v.strip()))
        spans.append((len(text), len(text) + len(value), draw(st.sampled_from(["time", "date", "place_name"]))))
        text += value
    text += draw(st.text(alphabet="abc ,.", max_size=5))
    return text, spans


@given(_annotated())
def test_format_then_parse_round_trips(annotated):
    text, spans = annotated

    assert parse_annot_spans(format_annot_utt(text, spans)) == (text, [SlotSpan(*s) for s in spans])
