"""Helpers for MASSIVE slot annotations (pure functions, no I/O).

MASSIVE marks slots inline in ``annot_utt``, with spaces around the colon::

    wake me up at [time : five am] on [date : friday]

``parse_annot_utt`` turns that into the plain utterance (equal to the record's ``utt``) and the slots in
the order they appear; ``parse_annot_spans`` gives the same with character offsets, and
``format_annot_utt`` is its inverse. Malformed annotations (an unclosed ``[``, a stray ``]``, nested
brackets, a slot without ``name : value``) raise ``ValueError`` saying what is wrong and where, because
a silently mis-parsed template would put wrong slot values into every simulated turn built from it.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

_OPEN, _CLOSE, _SEPARATOR = "[", "]", ":"


class SlotSpan(NamedTuple):
    """A slot over ``text[start:end]``."""

    start: int
    end: int
    name: str


def parse_annot_spans(annot_utt: str) -> tuple[str, list[SlotSpan]]:
    """The plain utterance and the slot spans (character offsets into it) of a MASSIVE annotation."""
    text_parts: list[str] = []
    spans: list[SlotSpan] = []
    length = 0  # length of the plain text produced so far
    position = 0
    while position < len(annot_utt):
        opening = annot_utt.find(_OPEN, position)
        literal_end = len(annot_utt) if opening < 0 else opening
        literal = annot_utt[position:literal_end]
        if _CLOSE in literal:
            stray = position + literal.index(_CLOSE)
            raise ValueError(f"unmatched ']' at offset {stray} in annotation {annot_utt!r}")
        text_parts.append(literal)
        length += len(literal)
        if opening < 0:
            break
        closing = annot_utt.find(_CLOSE, opening + 1)
        if closing < 0:
            raise ValueError(f"unclosed '[' at offset {opening} in annotation {annot_utt!r}")
        name, value = _split_slot(annot_utt[opening + 1 : closing], opening, annot_utt)
        spans.append(SlotSpan(length, length + len(value), name))
        text_parts.append(value)
        length += len(value)
        position = closing + 1
    return "".join(text_parts), spans


def parse_annot_utt(annot_utt: str) -> tuple[str, list[tuple[str, str]]]:
    """The plain utterance and ``[(slot_name, value)]`` in order of appearance.

    >>> parse_annot_utt("wake me up at [time : five am] [date : this week]")
    ('wake me up at five am this week', [('time', 'five am'), ('date', 'this week')])
    """
    text, spans = parse_annot_spans(annot_utt)
    return text, [(span.name, text[span.start : span.end]) for span in spans]


def format_annot_utt(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """Write ``text`` with ``spans`` as a MASSIVE annotation: the inverse of ``parse_annot_spans``.

    >>> format_annot_utt("wake me up at five am", [(14, 21, "time")])
    'wake me up at [time : five am]'
    """
    if _OPEN in text or _CLOSE in text:
        raise ValueError(f"text {text!r} contains a bracket, which the annotation format cannot represent")
    parts: list[str] = []
    previous_end = 0
    for start, end, name in sorted(spans):
        _check_span(text, start, end, name, previous_end)
        parts.append(text[previous_end:start])
        parts.append(f"{_OPEN}{name} {_SEPARATOR} {text[start:end]}{_CLOSE}")
        previous_end = end
    parts.append(text[previous_end:])
    return "".join(parts)


def _split_slot(inside: str, opening: int, annot_utt: str) -> tuple[str, str]:
    """``"time : five am"`` -> ``("time", "five am")``; the value keeps inner spacing as written."""
    if _OPEN in inside:
        nested = opening + 1 + inside.index(_OPEN)
        raise ValueError(f"nested '[' at offset {nested} in annotation {annot_utt!r}")
    name, separator, value = inside.partition(_SEPARATOR)
    name = name.strip()
    # MASSIVE writes "[name : value]": strip only the one space after the colon, so that the plain text
    # stays equal to the record's `utt` (and a value's own spaces survive a round trip).
    value = value.removeprefix(" ")
    if not separator or not name or not value.strip():
        raise ValueError(
            f"slot at offset {opening} is not '[name : value]': {_OPEN}{inside}{_CLOSE} "
            f"in annotation {annot_utt!r}"
        )
    if any(character.isspace() for character in name):
        raise ValueError(f"slot name {name!r} at offset {opening} contains whitespace in {annot_utt!r}")
    return name, value


def _check_span(text: str, start: int, end: int, name: str, previous_end: int) -> None:
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span ({start}, {end}, {name!r}) is empty or outside the text of length {len(text)}")
    if start < previous_end:
        raise ValueError(f"span ({start}, {end}, {name!r}) overlaps the previous span")
    if not name or any(c.isspace() or c in "[]:" for c in name):
        raise ValueError(f"slot name {name!r} must be non-empty, without spaces, brackets or colons")
    if not text[start:end].strip():
        raise ValueError(f"span ({start}, {end}, {name!r}) covers only whitespace")
