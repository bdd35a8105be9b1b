"""The pair and label weight: the 5th percentile of a Beta posterior, for any evidence."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from miner.posterior import beta_lower_bound

EVIDENCE = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(EVIDENCE, EVIDENCE, EVIDENCE)
def test_weight_is_a_probability_below_the_mean_that_grows_with_support_and_falls_with_doubt(alpha, beta, more):
    bound, more_for, more_against = beta_lower_bound([alpha, alpha + more, alpha], [beta, beta, beta + more])
    assert np.isfinite([bound, more_for, more_against]).all()
    assert 0.0 <= bound <= 1.0
    assert bound <= (alpha + 1.0) / (alpha + beta + 2.0) + 1e-6  # a lower bound, never above the posterior mean
    assert more_for >= bound - 1e-6 and more_against <= bound + 1e-6


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=8))
def test_negative_evidence_counts_as_none(values):
    clipped = [max(v, 0.0) for v in values]
    assert np.array_equal(beta_lower_bound(values, values), beta_lower_bound(clipped, clipped))
