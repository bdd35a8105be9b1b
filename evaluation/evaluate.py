"""`rephrase-miner evaluate`: score a run against the simulator's ground truth, next to two naive baselines.

    rephrase-miner evaluate --run OUT --truth FILE --out DIR [--min-users N] [--master URL]
    spark-submit evaluation/evaluate.py --run OUT --truth FILE --out DIR [--min-users N]

Reads OUT/sessions, OUT/pairs, OUT/rewrites, OUT/training/*.jsonl and the truth file written by
`rephrase-miner simulate` (DIR/truth.parquet); writes DIR/evaluation.json and DIR/evaluation.md and prints
the tables. Every metric is defined in `evaluation/metrics.py` and again at the end of evaluation.md.
--min-users defaults to the run's own k-user floor (config.min_users in OUT/manifest.json), else to
`miner.defaults.MIN_USERS`: the evaluation counts at the floor the run was mined at.
"""

from __future__ import annotations

import argparse
import posixpath
import sys

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_type

from evaluation.counts import evaluation_counts, reference_frames
from evaluation.metrics import build_report, markdown_report, markdown_tables
from miner.defaults import MIN_USERS
from pipeline.errors import InputContractError
from pipeline.io import check_input_files, dataset_path, read_dataset
from pipeline.storage import exists, list_data_files, read_json, write_json, write_text
from schemas.contract import Column, Contract
from schemas.outputs import REWRITES, TRAINING
from schemas.pairs import PAIRS
from schemas.sessions import SESSIONS
from schemas.truth import TRUTH as SIMULATED_TRUTH
from schemas.types import STRING, ColumnType

STAGE = "evaluate"
# Only the truth columns the evaluation reads: the simulator may add columns without breaking it.
TRUTH_COLUMNS = ("event_id", "locale", "user_id", "utterance", "gold_intent", "role", "nlu_outcome", "rephrase_of")


def _truth_column_type(arrow_type: pa.DataType) -> ColumnType:
    accepts = STRING.accepts if pa.types.is_string(arrow_type) else arrow_type.equals
    return ColumnType(str(arrow_type), arrow_type, from_arrow_type(arrow_type), accepts)


TRUTH = Contract(
    name="truth",
    doc="The simulator's ground truth (`schemas.truth.TRUTH`), the columns the evaluation reads.",
    columns=tuple(
        Column(field.name, _truth_column_type(field.type), field.nullable, "")
        for field in map(SIMULATED_TRUTH.arrow_schema.field, TRUTH_COLUMNS)
    ),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="output directory of `rephrase-miner run` (OUT)")
    parser.add_argument("--truth", required=True, help="truth.parquet written by `rephrase-miner simulate`")
    parser.add_argument("--out", required=True, help="directory for evaluation.json and evaluation.md")
    parser.add_argument(
        "--min-users", type=int,
        help="distinct users that make a phrasing failing or recurring (default: the run's config.min_users "
        f"in OUT/manifest.json, else {MIN_USERS})",
    )
    parser.add_argument("--master", help="Spark master URL; default local[*] or what spark-submit gives")
    args = parser.parse_args(argv)
    if args.min_users is None:
        args.min_users = configured_min_users(args.run)
    if args.min_users < 1:
        parser.error(f"--min-users must be at least 1, got {args.min_users}")
    return args


def configured_min_users(run: str) -> int:
    """The k-user floor the run was mined at (config.min_users in RUN/manifest.json); miner.defaults.MIN_USERS
    when the run has no manifest or its manifest no such setting."""
    manifest = posixpath.join(run, "manifest.json")
    config = read_json(manifest).get("config") if exists(manifest) else None
    value = config.get("min_users") if isinstance(config, dict) else None
    return MIN_USERS if value is None else int(value)


def read_truth(spark: SparkSession, path: str) -> DataFrame:
    check_input_files(path, TRUTH)  # a truth file of another shape fails here, with the column named
    return read_dataset(spark, path, TRUTH)


def read_training(spark: SparkSession, run: str) -> DataFrame:
    folder = dataset_path(run, "training")
    files = [uri for uri in list_data_files(folder) if uri.endswith(".jsonl")]
    if not files:
        raise InputContractError(f"{folder}: no .jsonl training files")
    return spark.read.schema(TRAINING.spark_schema).json(files).select(*TRAINING.column_names)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    sessions = read_dataset(spark, dataset_path(args.run, "sessions"), SESSIONS)
    reference = reference_frames(read_truth(spark, args.truth), sessions, args.min_users)
    # Every system's counts reuse these frames: computing them once, without lineage, keeps the final plan
    # a fraction of its size (planning it otherwise takes longer than running it).
    reference = reference.map(lambda frame: frame.localCheckpoint(eager=True))
    counts = evaluation_counts(
        reference,
        training=read_training(spark, args.run),
        pairs=read_dataset(spark, dataset_path(args.run, "pairs"), PAIRS),
        rewrites=read_dataset(spark, dataset_path(args.run, "rewrites"), REWRITES),
        min_users=args.min_users,
    ).collect()  # a few dozen rows per locale
    report = {"run": args.run, "truth": args.truth, **build_report(counts, args.min_users)}
    write_json(posixpath.join(args.out, "evaluation.json"), report)
    write_text(posixpath.join(args.out, "evaluation.md"), markdown_report(report, args.run, args.truth))
    print(markdown_tables(report))
    return report


def main(argv: list[str] | None = None) -> int:
    from pipeline.spark import build_spark

    args = parse_args(argv)
    run(build_spark(f"rephrase-miner {STAGE}", args.master), args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
