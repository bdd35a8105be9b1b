"""Validate: run the Great Expectations suites on a staged run; a critical failure blocks publishing.

    spark-submit jobs/validate.py --out STAGING_DIR [--min-users K]

Reads STAGING/pairs, labels, rewrites and training; writes STAGING/_stats/validate.json with every
expectation's outcome, and exits non-zero when a critical expectation fails (warnings are only reported).
`jobs/warehouse.publish` refuses a run whose validate.json did not pass.
"""

from __future__ import annotations

import argparse
import posixpath
import sys

from pyspark.sql import DataFrame, SparkSession

from jobs.errors import ValidationFailed
from jobs.io import dataset_path, read_dataset, stats_path
from jobs.storage import exists, list_data_files, write_json
from miner.defaults import MIN_USERS
from miner.quality import CRITICAL, SUITES
from schemas.labels import LABELS
from schemas.outputs import REWRITES, TRAINING
from schemas.pairs import PAIRS

STAGE = "validate"
PARQUET_DATASETS = {"pairs": PAIRS, "labels": LABELS, "rewrites": REWRITES}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="staging directory of the run to validate")
    parser.add_argument("--min-users", type=int, default=MIN_USERS, help="k-anonymity floor to check")
    return parser.parse_args(argv)


def read_training(spark: SparkSession, out: str) -> DataFrame:
    folder = dataset_path(out, "training")
    files = [uri for uri in list_data_files(folder) if uri.endswith(".jsonl")] if exists(folder) else []
    if not files:
        return spark.createDataFrame([], TRAINING.spark_schema)
    return spark.read.schema(TRAINING.spark_schema).option("mode", "FAILFAST").json(files)


def run_suites(frames: dict[str, DataFrame], min_users: int) -> list[dict]:
    """Every expectation's outcome, one dict each, in suite order."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_spark("run")
    outcomes = []
    for name, df in frames.items():
        suite = context.suites.add(SUITES[name](min_users))
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": df}
        )
        for result in batch.validate(suite, result_format="SUMMARY").results:
            config = result.expectation_config
            outcomes.append(
                {
                    "dataset": name,
                    "expectation": config.type,
                    "description": config.description,
                    "severity": str(getattr(config.severity, "value", config.severity)),
                    "success": bool(result.success),
                    "unexpected_count": result.result.get("unexpected_count")
                    if "unexpected_count" in result.result else result.result.get("observed_value"),
                }
            )
    return outcomes


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    frames = {
        name: read_dataset(spark, dataset_path(args.out, name), contract) for name, contract in PARQUET_DATASETS.items()
    }
    frames["training"] = read_training(spark, args.out)
    outcomes = run_suites(frames, args.min_users)
    failed_critical = [o for o in outcomes if not o["success"] and o["severity"] == CRITICAL]
    stats = {
        "passed": not failed_critical,
        "expectations": len(outcomes),
        "failed_critical": [f"{o['dataset']}: {o['description']}" for o in failed_critical],
        "warnings": [
            f"{o['dataset']}: {o['description']}" for o in outcomes if not o["success"] and o["severity"] != CRITICAL
        ],
        "results": outcomes,
        "rows_out": len(outcomes),
    }
    write_json(stats_path(args.out, STAGE), stats)
    for line in stats["warnings"]:
        print(f"[validate] warning: {line}", file=sys.stderr)
    if failed_critical:
        raise ValidationFailed(
            f"{posixpath.basename(args.out.rstrip('/'))}: {len(failed_critical)} critical expectation(s) failed: "
            + "; ".join(stats["failed_critical"])
        )
    return stats


if __name__ == "__main__":
    from jobs.spark import submit

    submit(STAGE, parse_args, run)
