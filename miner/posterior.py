"""Confidence from counts: a Beta posterior rather than a raw ratio (two users out of two is not certainty), and a
binomial tail for "more often than chance"."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T
from scipy.special import betaincinv
from scipy.stats import binom

LOWER_QUANTILE = 0.05


def beta_lower_bound(alpha: np.ndarray, beta: np.ndarray, quantile: float = LOWER_QUANTILE) -> np.ndarray:
    """The `quantile` of Beta(alpha + 1, beta + 1): a uniform prior updated by the (weighted) evidence."""
    alpha = np.clip(np.asarray(alpha, dtype=np.float64), 0.0, None)
    beta = np.clip(np.asarray(beta, dtype=np.float64), 0.0, None)
    return betaincinv(alpha + 1.0, beta + 1.0, quantile).astype(np.float32)


def with_beta_lower_bound(
    df: DataFrame, alpha_column: str, beta_column: str, output_column: str, quantile: float = LOWER_QUANTILE
) -> DataFrame:
    """Append `output_column` (float) = the lower credible bound, vectorised over Arrow batches."""
    output_schema = T.StructType(df.schema.fields + [T.StructField(output_column, T.FloatType(), False)])

    def add_bound(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            alpha = batch.column(alpha_column).to_numpy(zero_copy_only=False)
            beta = batch.column(beta_column).to_numpy(zero_copy_only=False)
            bound = pa.array(beta_lower_bound(alpha, beta, quantile), pa.float32())
            yield pa.RecordBatch.from_arrays(
                batch.columns + [bound], names=batch.schema.names + [output_column]
            )

    return df.mapInArrow(add_bound, output_schema)


def binomial_tail(successes: np.ndarray, trials: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """P(X >= successes) for X ~ Binomial(trials, rate): how surprising this many successes are at that rate."""
    successes = np.asarray(successes, dtype=np.float64)
    return binom.sf(successes - 1.0, np.asarray(trials, dtype=np.float64), np.clip(rate, 0.0, 1.0)).astype(np.float64)


def with_binomial_tail(
    df: DataFrame, successes_column: str, trials_column: str, rate_column: str, output_column: str
) -> DataFrame:
    """Append `output_column` (double) = binomial_tail of the three columns, vectorised over Arrow batches."""
    output_schema = T.StructType(df.schema.fields + [T.StructField(output_column, T.DoubleType(), False)])

    def add_tail(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            columns = [batch.column(name).to_numpy(zero_copy_only=False) for name in
                       (successes_column, trials_column, rate_column)]
            tail = pa.array(binomial_tail(*columns), pa.float64())
            yield pa.RecordBatch.from_arrays(batch.columns + [tail], names=batch.schema.names + [output_column])

    return df.mapInArrow(add_tail, output_schema)
