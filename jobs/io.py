"""Reading and writing datasets under their contracts, for every job."""

from __future__ import annotations

import json
import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow.fs as pafs
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from schemas.contract import Contract


class InputContractError(ValueError):
    """The input cannot be read under its contract; the message names the file and the column."""


@dataclass(frozen=True)
class InputFile:
    uri: str
    size_bytes: int
    num_rows: int


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), posixpath.abspath(uri)


def _as_uri(uri: str, path: str) -> str:
    if "://" not in uri:
        return path
    scheme = uri.split("://", 1)[0]
    return f"{scheme}://{path}" if scheme != "file" else f"file://{path}"


def _is_hidden(relative_path: str) -> bool:
    # Spark's own convention: _SUCCESS, _metadata, .crc files and _temporary folders are not data.
    return any(part.startswith(("_", ".")) for part in relative_path.split("/"))


def list_data_files(root_uri: str) -> list[str]:
    """Every non-hidden file under root, recursively, in a stable order."""
    fs, root = _filesystem(root_uri)
    info = fs.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise InputContractError(f"{root_uri}: no such directory")
    if info.type == pafs.FileType.File:
        return [_as_uri(root_uri, root)]
    found = fs.get_file_info(pafs.FileSelector(root, recursive=True))
    paths = sorted(
        f.path for f in found
        if f.type == pafs.FileType.File and not _is_hidden(posixpath.relpath(f.path, root))
    )
    return [_as_uri(root_uri, p) for p in paths]


def _inspect(uri: str, contract: Contract) -> tuple[InputFile | None, list[str]]:
    fs, path = _filesystem(uri)
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


def read_dataset(spark: SparkSession, path: str, contract: Contract) -> DataFrame:
    return spark.read.schema(contract.spark_schema).parquet(path).select(*contract.column_names)


def write_dataset(df: DataFrame, path: str, contract: Contract, partition_by: tuple[str, ...] = ()) -> None:
    """Overwrite `path` with exactly the contract's columns."""
    writer = df.select(*contract.column_names).write.mode("overwrite")
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.parquet(path)


def dataset_path(out_uri: str, name: str) -> str:
    return posixpath.join(out_uri, name)


def write_json(uri: str, payload: dict) -> None:
    write_text(uri, json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def remove_dir(uri: str) -> None:
    fs, path = _filesystem(uri)
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        fs.delete_dir(path)


def write_text(uri: str, text: str) -> None:
    fs, path = _filesystem(uri)
    fs.create_dir(posixpath.dirname(path), recursive=True)
    with fs.open_output_stream(path) as stream:
        stream.write(text.encode("utf-8"))


def read_json(uri: str) -> dict:
    fs, path = _filesystem(uri)
    with fs.open_input_stream(path) as stream:
        return json.loads(stream.read().decode())


def stats_path(out_uri: str, stage: str) -> str:
    return posixpath.join(out_uri, "_stats", f"{stage}.json")
