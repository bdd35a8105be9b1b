"""The one place that builds a SparkSession, for `__main__` blocks and the CLI."""

from __future__ import annotations

import os
import sys
import time

from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
# Per-run lookup tables (a day's distinct texts with their embeddings) fit this: joined by broadcast, the
# pairs they annotate are never shuffled for them. The estimate is the compressed Parquet size, several
# times smaller than the table in memory, so a larger threshold runs the driver out of heap at 10M turns.
BROADCAST_JOIN_BYTES = 32 * 1024 * 1024
# Local mode runs everything in the driver's JVM; Spark's 1 GiB default spills and collects garbage
# needlessly at a million turns and runs out at ten million. A cluster sizes its driver and executors through
# spark-submit instead.
LOCAL_DRIVER_MEMORY = "4g"
# A batch job wants throughput, not short pauses: G1's concurrent threads compete with the two task threads
# of a laptop for the same cores. About 10% off every stage at a million turns (README "Benchmark").
LOCAL_DRIVER_JAVA_OPTIONS = "-XX:+UseParallelGC"
# Partitioned writes keep one open file per partition value instead of sorting each task's rows by it first.
CONCURRENT_OUTPUT_WRITERS = 8
# The stages persist their reused working sets to local disk only. Spark's in-memory column encodings
# (dictionary, run-length) then cost CPU for little: at a million turns, ingest's checked rows took 1.3 s (warm)
# to 3.7 s (cold) longer to cache encoded than plain, for 149 against 167 MiB of disk.
ENCODE_CACHED_COLUMNS = False


def build_spark(app_name: str, master: str | None = None, shuffle_partitions: int | None = None) -> SparkSession:
    """A session in UTC whose Python workers run this interpreter.

    `master=None` keeps whatever spark-submit was given (or local[*] when run as plain Python), so the
    same entry point works on a laptop and on a cluster.
    """
    # Workers otherwise start whatever `python3` is on PATH, which lacks this environment's packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.autoBroadcastJoinThreshold", str(BROADCAST_JOIN_BYTES))
        .config("spark.sql.maxConcurrentOutputFileWriters", str(CONCURRENT_OUTPUT_WRITERS))
        .config("spark.sql.inMemoryColumnarStorage.compressed", str(ENCODE_CACHED_COLUMNS).lower())
    )
    if master is None or master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.memory", LOCAL_DRIVER_MEMORY).config(
            "spark.driver.extraJavaOptions", LOCAL_DRIVER_JAVA_OPTIONS
        )
    if master:
        builder = builder.master(master)
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def submit(stage: str, parse_args, run) -> None:
    """The body of every job's `__main__`: parse spark-submit's arguments, build the session, run the stage.

    Exits 2 on input that breaks its contract and 3 when validation blocks publishing, with the reason on
    stderr, as the CLI does; any other failure keeps its traceback.
    """
    from pipeline.errors import InputContractError, PublishError, ValidationFailed
    from pipeline.io import record_elapsed

    arguments = parse_args(sys.argv[1:])
    clock = time.monotonic()
    try:
        run(build_spark(f"rephrase-miner {stage}"), arguments)
        record_elapsed(arguments.out, stage, time.monotonic() - clock)
    except InputContractError as error:
        print(f"{stage}: error: {error}", file=sys.stderr)
        sys.exit(2)
    except (ValidationFailed, PublishError) as error:
        print(f"{stage}: not published: {error}", file=sys.stderr)
        sys.exit(3)
