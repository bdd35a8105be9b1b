"""Deterministic draws: Zipf inside segments."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from simulation.draws import SegmentedZipf


def test_segmented_zipf_draws_stay_in_their_segment_and_favour_the_top_rank():
    zipf = SegmentedZipf([[10, 11, 12], [20], [30, 31]], exponent=1.1)
    rng = np.random.default_rng(0)
    segments = rng.integers(0, 3, 30_000)

    drawn = zipf.draw(rng, segments)

    allowed = {0: {10, 11, 12}, 1: {20}, 2: {30, 31}}
    assert all(d in allowed[s] for s, d in zip(segments.tolist(), drawn.tolist()))
    counts = collections.Counter(drawn[segments == 0].tolist())
    assert counts[10] > counts[11] > counts[12]
    assert counts[10] / counts[11] == pytest.approx(2**1.1, rel=0.1)
