"""Surface forms: how the words were typed or transcribed.

Surface noise (casing, spacing, punctuation, digits; by script: no spaces inside ja/zh words, full-width or
Arabic punctuation) never changes the NLU outcome: it is applied to the words after the read was decided.
A few rows get control or bidi characters hidden inside the text instead (a hostile surface).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from simulation.rows import BOT, CLEAN, CORRECT, HOSTILE, NOISY, Rows
from simulation.world import TRAILING_PUNCTUATION, LocaleWorld, Pieces, slots_of

EMBEDDED_HOSTILE_CHARS = ("\u202e", "\x07", "\x1b[2J", "\u200b", "\x00")

_EN_NUMBER_DIGITS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30",
}


@dataclass
class Surfaces:
    codes: np.ndarray  # per row: CLEAN, NOISY or HOSTILE
    changed: np.ndarray  # rows whose text differs from their phrasing's
    texts: list[str]  # their texts, in the order of `changed`
    slots: list[tuple]  # their slots as they appear in those texts
    interrupted: np.ndarray  # rows whose correct read still ended interrupted (user barged in anyway)


def surface_forms(rows: Rows, world: LocaleWorld, rng: np.random.Generator, text_rng: random.Random) -> Surfaces:
    """Noise never changes the NLU outcome: it is applied to the words after the read was decided."""
    cfg = world.config
    draw = rng.random(rows.size)
    embedded = draw < cfg.embedded_hostile_share
    noisy = ~embedded & (draw < cfg.embedded_hostile_share + cfg.noisy_surface_share)
    codes = np.where(world.phrasing_hostile.values[rows.phrasing] == 1, HOSTILE, CLEAN)
    codes[noisy & (codes == CLEAN)] = NOISY
    codes[embedded] = HOSTILE

    changed = np.flatnonzero(noisy | embedded)
    texts, slots = [], []
    digits_allowed = world.locale.startswith("en")
    for row, hidden in zip(changed.tolist(), embedded[changed].tolist()):
        pieces = world.phrasings[rows.phrasing[row]].pieces
        if hidden:
            pieces = _embed_hostile_chars(pieces, text_rng)
        else:
            pieces = _add_noise(pieces, text_rng, digits_allowed, world.trailing_punctuation)
        texts.append("".join(p for p, _ in pieces))
        slots.append(slots_of(pieces))

    correct = world.phrasing_outcome.values[rows.phrasing] == CORRECT
    interrupted = correct & (rng.random(rows.size) < cfg.noise_interrupt_share) & (rows.role != BOT)
    return Surfaces(codes, changed, texts, slots, interrupted)


def _add_noise(
    pieces: Pieces, rng: random.Random, digits_allowed: bool, trailing: Sequence[str] = TRAILING_PUNCTUATION
) -> Pieces:
    """Typing noise: number words as digits (en), extra spaces around or inside (never between words
    of unsegmented scripts, which have no spaces), punctuation at the end (``trailing``, by script) and
    casing; text without cased letters (ja, zh, ar) gets punctuation where casing would change nothing."""
    noisy = list(pieces)
    applied = False
    if digits_allowed and rng.random() < 0.3:
        digits = [(_digits_for_number_words(p), n) for p, n in noisy]
        applied = digits != noisy
        noisy = digits
    if rng.random() < 0.35:
        noisy = _add_spacing(noisy, rng)
        applied = True
    if rng.random() < 0.45:
        noisy.append((rng.choice(trailing), None))
        applied = True
    if not applied and _caseless(noisy):
        noisy.append((rng.choice(trailing), None))
    elif not applied or rng.random() < 0.5:
        noisy = _recase(noisy, rng)
    return tuple(noisy)


def _caseless(pieces: Sequence[tuple[str, str | None]]) -> bool:
    """No letter with an upper and a lower case (Han, kana, Arabic, ...): recasing changes nothing."""
    return all(text.upper() == text.lower() for text, _ in pieces)

def _embed_hostile_chars(pieces: Pieces, rng: random.Random) -> Pieces:
    position = 1 + int(rng.random() * len(pieces))  # never in front: it hides inside the text
    hidden = EMBEDDED_HOSTILE_CHARS[int(rng.random() * len(EMBEDDED_HOSTILE_CHARS))]
    return pieces[:position] + ((hidden, None),) + pieces[position:]


def _digits_for_number_words(text: str) -> str:
    return " ".join(_EN_NUMBER_DIGITS.get(word, word) for word in text.split(" "))


def _add_spacing(pieces: list, rng: random.Random) -> list:
    if rng.random() < 0.5:
        literals = [i for i, (p, n) in enumerate(pieces) if n is None and " " in p]
        if literals:
            i = literals[int(rng.random() * len(literals))]
            pieces[i] = (pieces[i][0].replace(" ", "  ", 1), None)
            return pieces
    return [(rng.choice((" ", "  ", "")), None)] + pieces + [(rng.choice((" ", "  ", "\t")), None)]


def _recase(pieces: list, rng: random.Random) -> list:
    r = rng.random()
    if r < 0.55:  # "Wake me up": sentence case
        for i, (text, name) in enumerate(pieces):
            if text.strip():
                lead = len(text) - len(text.lstrip())
                pieces[i] = (text[:lead] + text[lead : lead + 1].upper() + text[lead + 1 :], name)
                break
        return pieces
    if r < 0.85:  # "Wake Me Up"
        return [(" ".join(w[:1].upper() + w[1:] for w in text.split(" ")), name) for text, name in pieces]
    return [(text.upper(), name) for text, name in pieces]

