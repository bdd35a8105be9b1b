"""Reading and writing datasets under their contracts, for every job."""

from __future__ import annotations

import contextlib
import posixpath
import re
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow.parquet as pq
from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from pipeline.errors import InputContractError
from pipeline.stages import stats_path
from pipeline.storage import exists, filesystem, list_data_files, read_json, write_json
from schemas.contract import Contract
from schemas.stats import StatsContract


@dataclass(frozen=True)
class InputFile:
    uri: str
    size_bytes: int
    num_rows: int


def _inspect(uri: str, contract: Contract) -> tuple[InputFile | None, list[str]]:
    fs, path = filesystem(uri)
    try:
        with fs.open_input_file(path) as handle:
            size = handle.size()
            parquet_file = pq.ParquetFile(handle)
            schema = parquet_file.schema_arrow
            num_rows = parquet_file.metadata.num_rows
    except Exception as error:  # pyarrow raises several types for a corrupt or empty file
        return None, [f"{uri}: not a readable Parquet file ({type(error).__name__}: {error})"]
    problems = [f"{uri}: {problem}" for problem in contract.problems_with(schema)]
    return InputFile(uri, size, num_rows), problems


def check_input_files(root_uri: str, contract: Contract, max_reported: int = 20) -> list[InputFile]:
    """Read every file's footer and check its schema against the contract before Spark touches it.

    Raises InputContractError listing each unreadable file and each missing or mistyped column.
    """
    uris = list_data_files(root_uri)
    if not uris:
        raise InputContractError(f"{root_uri}: no data files found")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda uri: _inspect(uri, contract), uris))
    problems = [problem for _, file_problems in results for problem in file_problems]
    if problems:
        shown = problems[:max_reported]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise InputContractError(
            f"{len(problems)} problem(s) with the input under {root_uri} "
            f"(contract '{contract.name}'):\n  " + "\n  ".join(shown) + more
        )
    return [input_file for input_file, _ in results if input_file is not None]


def read_input(spark: SparkSession, files: list[InputFile], contract: Contract) -> DataFrame:
    """The checked files under the contract's schema, plus `source_file`."""
    return (
        spark.read.schema(contract.spark_schema)
        .parquet(*[f.uri for f in files])
        .select(*contract.column_names, F.col("_metadata.file_path").alias("source_file"))
    )


# Spark's message when a file's footer read but its data did not (a corrupt page, a truncated column chunk).
_FAILED_READ = re.compile(r"Encountered error while reading file (\S+?)\.?(?:\s|$)")


@contextlib.contextmanager
def input_read_errors_named():
    """Turn Spark's failure to read an input file into an InputContractError that names the file."""
    try:
        yield
    except Exception as error:  # Spark raises its JVM errors under several Python types
        found = _FAILED_READ.search(str(error))
        if not found:
            raise
        cause = next((line.strip() for line in str(error).splitlines() if "Exception:" in line), "")
        raise InputContractError(f"{found.group(1)}: unreadable data ({cause[:300] or 'see the Spark log'})") from error


def read_dataset(spark: SparkSession, path: str, contract: Contract) -> DataFrame:
    return spark.read.schema(contract.spark_schema).parquet(path).select(*contract.column_names)


def read_if_present(spark: SparkSession, path: str, contract: Contract) -> DataFrame:
    """A dataset that older runs did not write (user sketches, feedback): empty where it is missing."""
    if exists(path):
        return read_dataset(spark, path, contract)
    return spark.createDataFrame([], contract.spark_schema)


def write_dataset(
    df: DataFrame, path: str, contract: Contract, partition_by: tuple[str, ...] = (),
    observe: Mapping[str, Column] | None = None,
) -> dict:
    """Overwrite `path` with exactly the contract's columns.

    `observe` names aggregates over the written rows (counts, sums); they are computed while the rows are
    written and returned, so a stage's statistics cost no second read of what it just wrote.
    """
    written = df.select(*contract.column_names)
    observation = None
    if observe:
        observation = Observation(f"{contract.name}-{uuid.uuid4().hex[:8]}")
        written = written.observe(observation, *[column.alias(name) for name, column in observe.items()])
    writer = written.write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(path)
    if observation is None:
        return {}
    # An aggregate over no rows is null: a sum of nothing written is 0.
    return {name: 0 if value is None else value for name, value in observation.get.items()}


def row_count() -> dict[str, Column]:
    """What to `observe` of a write whose statistics need only its row count, as "rows"."""
    return {"rows": F.count(F.lit(1))}


def dataset_path(out_uri: str, name: str) -> str:
    return posixpath.join(out_uri, name)


def write_stats(out_uri: str, stage: str, stats: dict, contract: StatsContract) -> None:
    """Write a stage's stats file, after checking it against the stage's declared contract (schemas.stats)."""
    problems = contract.problems(stats)
    if problems:
        raise ValueError(f"{stage} stats break their contract: {'; '.join(problems)}")
    write_json(stats_path(out_uri, stage), stats)


def record_elapsed(out_uri: str, stage: str, seconds: float) -> None:
    """Add a stage's wall time to its stats file, where manifests and dashboards read it."""
    path = stats_path(out_uri, stage)
    if exists(path):
        write_json(path, {**read_json(path), "elapsed_s": round(seconds, 2)})
