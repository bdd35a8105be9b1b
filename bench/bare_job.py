"""Reference (0): the bare Spark job over the same logs, the floor for any Spark pipeline over them.

    spark-submit bench/bare_job.py --logs LOGS_DIR --out OUT_DIR

Read with the schema, drop duplicate event_ids, sessionize with a window, self-join each turn to the next
turn of its session, score the pair with rapidfuzz token_set_ratio in `mapInArrow`, write Parquet. Nothing
else: no quarantine, no normalization, no embeddings, no statistics.
"""

from __future__ import annotations

import argparse
from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from miner.defaults import SESSION_GAP_SECONDS
from schemas.interactions import INTERACTIONS

_SCORED = T.StructType(
    [
        T.StructField("session_id", T.StringType()),
        T.StructField("turn_index", T.IntegerType()),
        T.StructField("utterance", T.StringType()),
        T.StructField("next_utterance", T.StringType()),
        T.StructField("similarity", T.DoubleType()),
    ]
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bare_job", description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True)
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def _token_set_ratio(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from rapidfuzz import fuzz
    from rapidfuzz.process import cpdist

    for batch in batches:
        left = [text or "" for text in batch.column("utterance").to_pylist()]
        right = [text or "" for text in batch.column("next_utterance").to_pylist()]
        scores = cpdist(left, right, scorer=fuzz.token_set_ratio, workers=1) if left else np.empty(0)
        yield pa.RecordBatch.from_arrays(
            [*batch.columns, pa.array(np.asarray(scores, dtype=np.float64))], names=_SCORED.fieldNames()
        )


def sessionized(turns_df: DataFrame, gap_seconds: float = SESSION_GAP_SECONDS) -> DataFrame:
    by_device = Window.partitionBy("user_id", "device_id").orderBy("ts", "event_id")
    running = by_device.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    gap = F.unix_micros("ts") - F.unix_micros(F.lag("ts").over(by_device))
    starts = F.coalesce((gap > F.lit(int(gap_seconds * 1_000_000))).cast("int"), F.lit(1))
    session_number = F.sum("starts").over(running)
    return (
        turns_df.withColumn("starts", starts)
        .withColumn("session_number", session_number)
        .withColumn(
            "session_id",
            F.concat_ws("|", "user_id", F.coalesce("device_id", F.lit("")), F.col("session_number").cast("string")),
        )
        .withColumn(
            "turn_index",
            (F.row_number().over(Window.partitionBy("session_id").orderBy("ts", "event_id")
                                 .rowsBetween(Window.unboundedPreceding, Window.currentRow)) - 1).cast("int"),
        )
        .select("session_id", "turn_index", "utterance")
    )


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    logs_df = spark.read.schema(INTERACTIONS.spark_schema).parquet(args.logs)
    turns_df = logs_df.dropDuplicates(["event_id"]).transform(sessionized)
    following_df = turns_df.select(
        "session_id", (F.col("turn_index") - 1).alias("turn_index"), F.col("utterance").alias("next_utterance")
    )
    pairs_df = turns_df.join(following_df, on=["session_id", "turn_index"], how="inner")
    pairs_df.mapInArrow(_token_set_ratio, _SCORED).write.mode("overwrite").parquet(args.out)
    return {}


if __name__ == "__main__":
    from pipeline.spark import build_spark

    run(build_spark("rephrase-miner bench bare job"), parse_args())
