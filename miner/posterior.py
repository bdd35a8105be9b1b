"""Confidence as a Beta posterior rather than a raw ratio: two users out of two is not certainty."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T
from scipy.special import betaincinv

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
