"""A log folder in any supported layout, checked and read as `interactions` rows, for ingest and `profile`.

Before Spark reads a row, every file is checked: Parquet footers, CSV headers, the first lines of JSON Lines.
A column the mapping names but the files lack fails the run with the file, the column and what the file has,
instead of a day of nulls quarantined. Spark then reads with an explicit schema derived from the mapping:
Parquet with the footer's types, text formats as text (parsed by miner.log_mapping, so that one bad value is a
quarantined row, not a failed job).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_type

from miner.log_mapping import CORRUPT_RECORD, mapped_interactions
from pipeline.errors import InputContractError
from pipeline.io import InputFile, check_input_files, read_input
from pipeline.log_format import LogFormat, LogFormatError
from pipeline.storage import data_files, filesystem
from schemas.interactions import INTERACTIONS, STATUSES

# How many lines of each JSON Lines file are read to check that the mapped fields exist.
JSON_SAMPLE_LINES = 200
_SOURCE_FILE = "_metadata.file_path"


@dataclass(frozen=True)
class LogInput:
    log_format: LogFormat
    files: list[InputFile]
    # source column -> its Spark type as read (text for JSON Lines and CSV, the footer's for Parquet)
    source_types: dict[str, T.DataType] = field(default_factory=dict)
    # CSV: the header, which is the read schema (Spark applies a CSV schema by position)
    csv_header: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def rows_known(self) -> bool:
        """Parquet footers count the rows before any is read; text formats are counted as they are read."""
        return self.log_format.format == "parquet"


def check_log_format(log_format: LogFormat) -> LogFormat:
    """The mapping, if it fits the `interactions` contract; else a LogFormatError naming every problem."""
    problems = log_format.problems({c.name: c.nullable for c in INTERACTIONS.columns}, STATUSES)
    if log_format.format != "parquet" and log_format.timestamp == "timestamp":
        problems.append(
            f"{log_format.format} has no timestamp type: set timestamp to iso, epoch_seconds or epoch_millis"
        )
    if problems:
        raise LogFormatError("log_format: " + "; ".join(problems))
    return log_format


def _sources(log_format: LogFormat) -> dict[str, str]:
    """Contract column -> the file column it is read from (not constants, absent or folder-name columns)."""
    names = {c.name: log_format.source_column(c.name) for c in INTERACTIONS.columns}
    return {c: s for c, s in names.items() if s is not None and s not in log_format.path_columns}


def _optional(contract_column: str) -> bool:
    return next(c.optional for c in INTERACTIONS.columns if c.name == contract_column)


def _missing(log_format: LogFormat, uri: str, present: set[str], shown: str) -> list[str]:
    return [
        f"{uri}: column '{source}' (mapped to {contract}) is missing; the file has {shown}"
        for contract, source in _sources(log_format).items()
        if source not in present and not _optional(contract)
    ]


def _parquet_schema(uri: str):
    fs, path = filesystem(uri)
    with fs.open_input_file(path) as handle:
        parquet_file = pq.ParquetFile(handle)
        return InputFile(uri, handle.size(), parquet_file.metadata.num_rows), parquet_file.schema_arrow


def _check_parquet(log_format: LogFormat, uris: list[str]) -> LogInput:
    def inspect(uri):
        try:
            return _parquet_schema(uri), []
        except Exception as error:  # pyarrow raises several types for a corrupt or empty file
            return None, [f"{uri}: not a readable Parquet file ({type(error).__name__}: {error})"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(inspect, uris))
    problems = [problem for _, found in results for problem in found]
    source_types: dict[str, T.DataType] = {}
    for uri, (read, _) in zip(uris, results):
        if read is None:
            continue
        _, schema = read
        problems += _missing(log_format, uri, set(schema.names), ", ".join(schema.names))
        for source in set(_sources(log_format).values()) & set(schema.names):
            found = from_arrow_type(schema.field(source).type)
            if source_types.setdefault(source, found) != found:
                problems.append(f"{uri}: column '{source}' is {found.simpleString()}, other files have "
                                f"{source_types[source].simpleString()}")
    _raise_if(problems, uris[0], log_format)
    files = [read[0] for read, _ in results]
    return LogInput(log_format, files, source_types)


def _first_lines(uri: str, count: int) -> list[str]:
    fs, path = filesystem(uri)
    # open_input_stream decompresses by extension (.gz, .bz2, .zst), as Spark does.
    with fs.open_input_stream(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        return list(itertools.islice(text, count))


def _check_jsonl(log_format: LogFormat, files: list) -> LogInput:
    def keys(uri):
        seen = set()
        for line in _first_lines(uri, JSON_SAMPLE_LINES):
            try:
                record = json.loads(line)
            except ValueError:
                continue  # quarantined as unparseable_record when read
            if isinstance(record, dict):
                seen |= {k for k, v in record.items() if v is not None}
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        seen_by_file = list(pool.map(keys, [f.uri for f in files]))
    problems, nullable_seen = [], set()
    nullable = {c.name for c in INTERACTIONS.columns if c.nullable}
    for data_file, seen in zip(files, seen_by_file):
        required = {c: s for c, s in _sources(log_format).items() if c not in nullable}
        shown = ", ".join(sorted(seen)) or "no JSON object"
        problems += [
            f"{data_file.uri}: field '{source}' (mapped to {contract}) is in none of the first "
            f"{JSON_SAMPLE_LINES} lines; they have {shown}"
            for contract, source in required.items() if source not in seen
        ]
        nullable_seen |= seen
    _raise_if(problems, files[0].uri, log_format)
    # A JSON producer may leave out null fields, so a nullable one seen nowhere is a warning, not an error.
    warnings = tuple(
        f"field '{source}' (mapped to {contract}) has no value in the first {JSON_SAMPLE_LINES} lines of any file: "
        f"a wrong name reads as nulls (declare it absent if the logs have none)"
        for contract, source in _sources(log_format).items()
        if contract in nullable and source not in nullable_seen and not _optional(contract)
    )
    source_types = {source: T.StringType() for source in set(_sources(log_format).values())}
    return LogInput(log_format, [InputFile(f.uri, f.size_bytes, 0) for f in files], source_types, warnings=warnings)


def _check_csv(log_format: LogFormat, files: list) -> LogInput:
    def header(uri):
        lines = _first_lines(uri, 1)
        return tuple(next(csv.reader(lines, delimiter=log_format.csv_delimiter), [])) if lines else ()

    with ThreadPoolExecutor(max_workers=8) as pool:
        headers = list(pool.map(header, [f.uri for f in files]))
    problems = []
    for data_file, found in zip(files, headers):
        problems += _missing(log_format, data_file.uri, set(found), ", ".join(found) or "no header")
        if found != headers[0]:
            problems.append(f"{data_file.uri}: header {', '.join(found)} differs from {files[0].uri}'s")
    _raise_if(problems, files[0].uri, log_format)
    source_types = {source: T.StringType() for source in set(_sources(log_format).values()) & set(headers[0])}
    return LogInput(log_format, [InputFile(f.uri, f.size_bytes, 0) for f in files], source_types, headers[0])


def _raise_if(problems: list[str], where: str, log_format: LogFormat, max_reported: int = 20) -> None:
    if not problems:
        return
    shown = problems[:max_reported]
    more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    raise InputContractError(
        f"{len(problems)} problem(s) with the {log_format.format} logs (first file {where}) under their "
        f"mapping:\n  " + "\n  ".join(shown) + more
    )


def check_logs(root_uri: str, log_format: LogFormat) -> LogInput:
    """Check every file under root against the mapping before Spark reads it; InputContractError if not."""
    check_log_format(log_format)
    if log_format.is_native:
        return LogInput(log_format, check_input_files(root_uri, INTERACTIONS))
    found = data_files(root_uri)
    if not found:
        raise InputContractError(f"{root_uri}: no data files found")
    if log_format.format == "parquet":
        return _check_parquet(log_format, [f.uri for f in found])
    return (_check_jsonl if log_format.format == "jsonl" else _check_csv)(log_format, found)


def _text_schema(names) -> T.StructType:
    return T.StructType([T.StructField(name, T.StringType()) for name in [*names, CORRUPT_RECORD]])


def read_logs(spark: SparkSession, log_input: LogInput) -> DataFrame:
    """`interactions` rows plus `source_file` and the parse markers (miner.log_mapping.PARSE_MARKERS)."""
    log_format, uris = log_input.log_format, [f.uri for f in log_input.files]
    if log_format.is_native:
        return read_input(spark, log_input.files, INTERACTIONS).withColumns(
            {"corrupt_record": F.lit(None).cast("string"), "unparsed_column": F.lit(None).cast("string"),
             "unparsed_value": F.lit(None).cast("string")}
        )
    text_options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD}
    if log_format.format == "parquet":
        schema = T.StructType([T.StructField(n, t) for n, t in sorted(log_input.source_types.items())])
        source_df = spark.read.schema(schema).parquet(*uris)
    elif log_format.format == "jsonl":
        source_df = spark.read.schema(_text_schema(sorted(log_input.source_types))).options(**text_options).json(uris)
    else:
        source_df = (
            spark.read.schema(_text_schema(log_input.csv_header))
            .options(**text_options, header=True, escape='"', sep=log_format.csv_delimiter)
            .csv(uris)
        )
    corrupt = [CORRUPT_RECORD] if log_format.format != "parquet" else []
    return source_df.select(
        *[F.col(f"`{name}`") for name in sorted(log_input.source_types)], *corrupt,
        F.col(_SOURCE_FILE).alias("source_file"),
    ).transform(mapped_interactions, log_format, log_input.source_types)
