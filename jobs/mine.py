"""All the mining stages of one day in one Spark session: ingest, sessionize, rephrases, variants, aggregate.

    spark-submit jobs/mine.py --logs LOGS_DIR --out OUT_DIR [every mining stage's options]

What the mining stages' own spark-submits do, one after the other, with one start-up: each stage runs from
its own command-line arguments (`pipeline.runner.run_stage`) and writes its datasets and stats file as
when submitted alone. The DAG runs it when its param `mining_submits` is `one`.
"""

from __future__ import annotations

import argparse

from pyspark.sql import SparkSession

from pipeline.config import RunConfig
from pipeline.stages import MINE, MINING_STAGES

STAGE = MINE.name


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Every mining stage's options; each stage parses (and checks) its own. Unset: the `RunConfig` default."""
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    for name in MINE.arguments:
        required = name in ("logs", "out")
        parser.add_argument(f"--{name.replace('_', '-')}", required=required, default=None)
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    from pipeline.runner import run_stage

    values = {**RunConfig().as_dict(), **{name: value for name, value in vars(args).items() if value is not None}}
    stats = {stage.name: run_stage(spark, stage, values, log=print) for stage in MINING_STAGES}
    return {"stages": stats, "rows_out": stats[MINING_STAGES[-1].name]["rows_out"]}


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
