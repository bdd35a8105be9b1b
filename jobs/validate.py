"""Validate: run the Great Expectations suites on a run; a critical failure blocks publishing.

    spark-submit jobs/validate.py --out DIR [--min-users K] [--locales L,L] [--max-quarantine-share X] ...

Checks the published datasets under DIR (pairs, labels, rewrites, rejected_readings, training) and the input-side
datasets (turns, quarantine, sessions, candidates) under DIR or, for a scheduled run, under each day it accumulated.
An input-side suite is one aggregation over its dataset (`miner.quality_scan`); the outputs go through GX
Checkpoints. Both land in the same GX results store.
Writes DIR/_stats/validate.json with every expectation's outcome and the GX Data Docs to DIR/quality/, and
exits 3 when a critical expectation fails (warnings are only reported). `jobs/warehouse.publish` refuses a
run whose validate.json did not pass.
"""

from __future__ import annotations

import argparse
import posixpath
import sys
import tempfile
from dataclasses import replace

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from miner import defaults
from miner.quality import CRITICAL, SUITES, Checks
from miner.quality_scan import scan_suite
from pipeline.errors import ValidationFailed
from pipeline.gx_results import store_scanned_result
from pipeline.io import dataset_path, read_dataset, read_if_present, write_stats
from pipeline.stages import ACCUMULATE, INGEST, VALIDATE, stats_path
from pipeline.storage import exists, filesystem, list_data_files, read_json
from pipeline.warehouse import read_baseline
from schemas.candidates import CANDIDATES
from schemas.labels import LABELS
from schemas.outputs import REJECTED_READINGS, REWRITES, TRAINING
from schemas.pairs import PAIRS
from schemas.quarantine import QUARANTINE
from schemas.sessions import SESSIONS
from schemas.stats import VALIDATE_STATS
from schemas.turns import TURNS

STAGE = VALIDATE.name
CONTRACTS = {
    "turns": TURNS, "quarantine": QUARANTINE, "sessions": SESSIONS, "candidates": CANDIDATES,
    "pairs": PAIRS, "labels": LABELS, "rewrites": REWRITES, "rejected_readings": REJECTED_READINGS,
}
INPUT_SIDE = ("turns", "quarantine", "sessions", "candidates")
OUTPUTS = ("pairs", "labels", "rewrites", "rejected_readings", "training")
# Runs emitted before negative feedback have no rejected readings: their suite then checks an empty table.
OPTIONAL_OUTPUTS = ("rejected_readings",)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the run (or staging) directory to validate")
    parser.add_argument("--min-users", type=int, default=defaults.MIN_USERS, help="k-anonymity floor to check")
    parser.add_argument("--locales", default=",".join(defaults.LOCALES), help="comma-separated; empty: any")
    parser.add_argument("--max-quarantine-share", type=float, default=defaults.MAX_QUARANTINE_SHARE)
    parser.add_argument("--min-count-ratio", type=float, default=defaults.MIN_COUNT_RATIO)
    parser.add_argument("--max-count-ratio", type=float, default=defaults.MAX_COUNT_RATIO)
    parser.add_argument("--max-utterance-chars", type=int, default=defaults.MAX_UTTERANCE_CHARS)
    parser.add_argument("--session-gap-seconds", type=float, default=defaults.SESSION_GAP_SECONDS)
    parser.add_argument("--max-session-turns", type=int, default=defaults.MAX_SESSION_TURNS)
    parser.add_argument("--rephrase-window-seconds", type=float, default=defaults.REPHRASE_WINDOW_SECONDS)
    parser.add_argument("--max-following-turns", type=int, default=defaults.MAX_FOLLOWING_TURNS)
    return parser.parse_args(argv)


def read_training(spark: SparkSession, out: str) -> DataFrame:
    folder = dataset_path(out, "training")
    files = [uri for uri in list_data_files(folder) if uri.endswith(".jsonl")] if exists(folder) else []
    if not files:
        return spark.createDataFrame([], TRAINING.spark_schema)
    return spark.read.schema(TRAINING.spark_schema).option("mode", "FAILFAST").json(files)


def input_dirs(out: str) -> list[tuple[str, str]]:
    """(label, folder) of the input-side datasets: the run itself, or each day a scheduled run accumulated."""
    if exists(stats_path(out, ACCUMULATE.name)):
        return [(f" {day}", folder) for day, folder in read_json(stats_path(out, ACCUMULATE.name))["day_dirs"].items()]
    return [("", out)]


def frames_to_check(spark: SparkSession, out: str) -> list[tuple[str, str, DataFrame, int | None]]:
    """(suite, asset name, DataFrame, rows in) for every dataset present."""
    frames = []
    for label, folder in input_dirs(out):
        ingest_stats = stats_path(folder, INGEST.name)
        rows_in = read_json(ingest_stats)["rows_in"] if exists(ingest_stats) else None
        for name in INPUT_SIDE:
            if exists(dataset_path(folder, name)):
                df = read_dataset(spark, dataset_path(folder, name), CONTRACTS[name])
                frames.append((name, name + label, df, rows_in))
    for name in OUTPUTS:
        if name == "training":
            frames.append((name, name, read_training(spark, out), None))
        else:
            read = read_if_present if name in OPTIONAL_OUTPUTS else read_dataset
            frames.append((name, name, read(spark, dataset_path(out, name), CONTRACTS[name]), None))
    return frames


def checks_for(args: argparse.Namespace, frames, baseline: dict[str, int]) -> Checks:
    turns = [df for name, _, df, _ in frames if name == "turns"]
    known_intents = set()
    for df in turns:
        intents = df.where(F.col("intent").isNotNull()).select("intent").distinct().collect()
        known_intents |= {row["intent"] for row in intents}
    return Checks(
        min_users=args.min_users,
        locales=tuple(locale for locale in args.locales.split(",") if locale),
        known_intents=tuple(sorted(known_intents)),
        max_utterance_chars=args.max_utterance_chars,
        session_gap_seconds=args.session_gap_seconds,
        max_session_turns=args.max_session_turns,
        rephrase_window_seconds=args.rephrase_window_seconds,
        max_following_turns=args.max_following_turns,
        max_quarantine_share=args.max_quarantine_share,
        baseline_counts=baseline,
        count_change=(args.min_count_ratio, args.max_count_ratio),
    )


def _docs_context(docs_dir: str):
    """An ephemeral Great Expectations context whose only Data Docs site is `docs_dir`."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(
        "run",
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_dir},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    for site in [name for name in context.get_site_names() if name != "run"]:
        context.delete_data_docs_site(site)
    return context


def run_suites(frames, checks: Checks, docs_dir: str) -> list[dict]:
    """Validate every frame with its suite, and build the Data Docs site from the results.

    A large input-side dataset is scanned once for its whole suite (`miner.quality_scan`) and the counts are
    stored as that suite's Great Expectations result. The outputs are small: Great Expectations validates
    them itself, through a Checkpoint, on cached DataFrames.
    """
    import great_expectations as gx

    context = _docs_context(docs_dir)
    source = context.data_sources.add_spark("run", persist=False)
    outcomes = []
    to_validate = [
        (suite_name, asset_name, df, expectations)
        for suite_name, asset_name, df, rows_in in frames
        if (expectations := SUITES[suite_name](replace(checks, rows_in=rows_in)))
    ]
    for suite_name, asset_name, df, expectations in to_validate:
        suite = context.suites.add(gx.ExpectationSuite(name=asset_name, expectations=expectations))
        if suite_name in INPUT_SIDE:
            validation = store_scanned_result(context, asset_name, suite, scan_suite(df, suite.expectations))
            outcomes += [_outcome(asset_name, result) for result in validation.results]
            continue
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=asset_name,
                data=source.add_dataframe_asset(asset_name).add_batch_definition_whole_dataframe("all"),
                suite=suite,
            )
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"validate {asset_name}", validation_definitions=[definition],
                actions=[],
                result_format="SUMMARY",
            )
        )
        # Each expectation is a Spark job or more: on a cached copy of a small output they cost milliseconds.
        cached_df = df.cache()
        try:
            for validation in checkpoint.run(batch_parameters={"dataframe": cached_df}).run_results.values():
                outcomes += [_outcome(asset_name, result) for result in validation.results]
        finally:
            cached_df.unpersist()
    # Once from every stored result: an UpdateDataDocsAction per checkpoint re-renders the site each time.
    context.build_data_docs(site_names=["run"])
    return outcomes


def _outcome(dataset: str, result) -> dict:
    config = result.expectation_config
    details = result.result or {}
    return {
        "dataset": dataset,
        "expectation": config.type,
        "description": config.description,
        "severity": str(getattr(config.severity, "value", config.severity)),
        "success": bool(result.success),
        "unexpected_count": details.get("unexpected_count", details.get("observed_value")),
    }


def build_docs_locally(out: str, build) -> str:
    """Data Docs go to OUT/quality/; GX writes local files, so a remote OUT gets a copy of a local build."""
    target = dataset_path(out, "quality")
    if "://" not in out or out.startswith("file://"):
        build(filesystem(target)[1])
        return target
    import pyarrow.fs as pafs

    with tempfile.TemporaryDirectory() as local:
        build(local)
        fs, path = filesystem(target)
        pafs.copy_files(local, path, destination_filesystem=fs)
    return target


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    frames = frames_to_check(spark, args.out)
    checks = checks_for(args, frames, read_baseline(args.out))
    outcomes: list[dict] = []
    docs = build_docs_locally(args.out, lambda docs_dir: outcomes.extend(run_suites(frames, checks, docs_dir)))
    failed_critical = [o for o in outcomes if not o["success"] and o["severity"] == CRITICAL]
    warnings = [o for o in outcomes if not o["success"] and o["severity"] != CRITICAL]
    stats = {
        "passed": not failed_critical,
        "expectations": len(outcomes),
        "failed_critical": [f"{o['dataset']}: {o['description']}" for o in failed_critical],
        "warnings": [f"{o['dataset']}: {o['description']}" for o in warnings],
        "results": outcomes,
        "data_docs": posixpath.join(docs, "index.html"),
        "rows_out": len(outcomes),
    }
    write_stats(args.out, STAGE, stats, VALIDATE_STATS)
    for line in stats["warnings"]:
        print(f"[validate] warning: {line}", file=sys.stderr)
    if failed_critical:
        raise ValidationFailed(
            f"{len(failed_critical)} critical expectation(s) failed: " + "; ".join(stats["failed_critical"])
        )
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
