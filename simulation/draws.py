"""Deterministic randomness: seeds, hashed uniforms, Zipf draws and random ids.

Randomness comes from ``random.Random`` / ``numpy`` generators seeded through BLAKE2 of (seed, purpose,
locale, ...), never from Python's salted ``hash()``, so the same seed records, parameters and seed give
identical batches in any process.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Sequence

import numpy as np
import pyarrow as pa


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes and platforms (unlike ``hash()``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def hash_uniform(seed: int, purpose: str, text: str, low: float, high: float) -> float:
    return low + (high - low) * hash_uniforms(seed, purpose, text)[0]


def hash_uniforms(*parts: object) -> tuple[float, ...]:
    """Eight uniforms in [0, 1) that are a pure function of ``parts`` (BLAKE2, not ``hash()``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=32).digest()
    return tuple(word / 2**32 for word in struct.unpack(">8I", digest))


def pick_weighted(weighted: Sequence[tuple[str, float]], u: float) -> str:
    total = sum(weight for _, weight in weighted)
    for name, weight in weighted:
        u -= weight / total
        if u < 0:
            return name
    return weighted[-1][0]


class SegmentedZipf:
    """Zipf draws inside segments: segment ``s`` ranks ``segments[s]``; its k-th item (0-based) is drawn
    with probability proportional to 1 / (k + 1) ** exponent. Draws for many segments at once."""

    def __init__(self, segments: Sequence[Sequence[int]], exponent: float):
        if not segments or any(len(s) == 0 for s in segments):
            raise ValueError("every segment needs at least one item")
        self.sizes = np.array([len(s) for s in segments], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])
        self.items = np.concatenate([np.asarray(s, dtype=np.int64) for s in segments])
        ranks = np.concatenate([np.arange(size) for size in self.sizes])
        self._cumulative = np.cumsum(1.0 / (ranks + 1.0) ** exponent)
        ends = self._cumulative[self.starts + self.sizes - 1]
        self._base = np.where(self.starts > 0, self._cumulative[np.maximum(self.starts - 1, 0)], 0.0)
        self._span = ends - self._base

    def draw(self, rng: np.random.Generator, segments: np.ndarray) -> np.ndarray:
        targets = self._base[segments] + rng.random(len(segments)) * self._span[segments]
        positions = np.searchsorted(self._cumulative, targets, side="right")
        # rounding can land one past a segment's end; clip back inside it
        positions = np.clip(positions, self.starts[segments], self.starts[segments] + self.sizes[segments] - 1)
        return self.items[positions]

    def segment(self, segment: int) -> np.ndarray:
        """The items of one segment, most popular first."""
        start = self.starts[segment]
        return self.items[start : start + self.sizes[segment]]


def hex_ids(rng: np.random.Generator, count: int, nbytes: int = 16, prefix: str = "") -> pa.Array:
    """``count`` random ids (``prefix`` + 2 * ``nbytes`` hex digits) as an Arrow string array, built
    without a Python loop."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    raw = rng.integers(0, 256, size=(count, nbytes), dtype=np.uint8)
    text = np.empty((count, len(prefix) + 2 * nbytes), dtype=np.uint8)
    text[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    text[:, len(prefix) :: 2] = digits[raw >> 4]
    text[:, len(prefix) + 1 :: 2] = digits[raw & 15]
    offsets = np.arange(0, text.size + 1, text.shape[1], dtype=np.int32)
    return pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))
