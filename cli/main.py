"""`rephrase-miner`: the command line. Argument parsing only; each command's work lives in its own package.

    rephrase-miner simulate --out DIR [--users N] [--locales ...] [--seed S]
    rephrase-miner run --logs DIR --out DIR [--config FILE] [--master URL]
    rephrase-miner profile --logs DIR [--config FILE] [--html OUT.html] [--json OUT.json] [--master URL]
    rephrase-miner daily --logs DIR --root DIR --ds YYYY-MM-DD [--config FILE] [--master URL]
    rephrase-miner evaluate --run OUT --truth FILE --out DIR [--min-users N] [--master URL]
    rephrase-miner evaluate-sources --out DIR [--devlogs DIR] [--seeds 7 11] [--massive DIR] [--config FILE]
    rephrase-miner summary --out DIR
    rephrase-miner report --run RUN [--previous PREV] | --index OUT.html --runs RUN [RUN ...]
    rephrase-miner loop --massive DIR --out DIR [--locales ...] [--days N] [--users N] [--master URL]
    rephrase-miner train-encoder --data DIR [--out DIR] [--teachers use e5] [--holdout]
    rephrase-miner evaluate-encoder --data DIR --out DIR [--miner-eval FILE] [--model-card FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import posixpath
import sys

from pipeline.config import load_config
from pipeline.errors import InputContractError, PublishError, ValidationFailed
from pipeline.runner import run_daily, run_pipeline
from pipeline.storage import read_json
from reporting.summary import format_summary


def _run_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rephrase-miner run", description="Run the whole pipeline.")
    parser.add_argument("--logs", required=True, help="interaction-log directory (Parquet)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--config", help="TOML or JSON file of settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*] or what spark-submit gives")
    args = parser.parse_args(argv)
    try:
        manifest = run_pipeline(args.logs, args.out, load_config(args.config), args.master)
    except ValidationFailed:
        print(format_summary(read_json(posixpath.join(args.out, "manifest.json"))))  # what was blocked, and why
        raise
    print(format_summary(manifest))
    return 0


def _daily_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="rephrase-miner daily",
        description="Run one scheduled day as the Airflow DAG does, in one Spark session, and publish it.",
    )
    parser.add_argument("--logs", required=True, help="log root with one date=YYYY-MM-DD folder per day")
    parser.add_argument("--root", required=True, help="root of the scheduled runs (days/, staging/, published/)")
    parser.add_argument("--ds", required=True, type=_iso_day, help="the logical date, YYYY-MM-DD")
    parser.add_argument("--config", help="TOML or JSON file of settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*]")
    args = parser.parse_args(argv)
    pointer = run_daily(args.logs, args.root, args.ds, load_config(args.config), args.master)
    print(f"published {pointer['ds']} as {pointer['path']}")
    return 0


def _profile_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="rephrase-miner profile",
        description="Read logs through the config's log format, as ingest would, and say whether they can be mined "
        "(exit 0: ready, possibly with warnings; 1: not ready; 2: the files cannot be read that way).",
    )
    parser.add_argument("--logs", required=True, help="a day's folder, or a log root of date=YYYY-MM-DD folders")
    parser.add_argument("--config", help="TOML or JSON file of settings, with its [log_format] (see README)")
    parser.add_argument("--html", help="also write the profile as an HTML page here")
    parser.add_argument("--json", help="also write the profile as JSON here")
    parser.add_argument("--master", help="Spark master URL; default local[*]")
    args = parser.parse_args(argv)
    from pipeline.profile import NOT_READY, profile_logs
    from pipeline.runner import start_spark
    from pipeline.storage import write_json
    from reporting.profile_page import format_profile, write_profile_page

    config = load_config(args.config)
    profile = profile_logs(start_spark("profile", config, args.master, print), args.logs, config)
    print(format_profile(profile))
    if args.html:
        print(f"page: {write_profile_page(profile, args.html)}")
    if args.json:
        write_json(args.json, profile)
    return 1 if profile["verdict"]["level"] == NOT_READY else 0


def _iso_day(text: str) -> str:
    return dt.date.fromisoformat(text).isoformat()


def _summary_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rephrase-miner summary", description="Print a run's summary.")
    parser.add_argument("--out", required=True)
    print(format_summary(read_json(posixpath.join(parser.parse_args(argv).out, "manifest.json"))))
    return 0


def _report_command(argv: list[str]) -> int:
    from reporting import page

    parser = argparse.ArgumentParser(prog="rephrase-miner report", description=page.__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="run folder: writes RUN/quality/dashboard.html")
    parser.add_argument("--previous", help="the run before --run: its rewrites are not new")
    parser.add_argument("--index", help="index page to write, linking to the dashboards of --runs")
    parser.add_argument("--runs", nargs="+", default=[], help="run folders for --index")
    args = parser.parse_args(argv)
    if not args.run and not args.index:
        parser.error("give --run RUN, or --index OUT.html --runs RUN [RUN ...]")
    if args.index and not args.runs:
        parser.error("--index needs --runs RUN [RUN ...]")
    if args.previous and not args.run:
        parser.error("--previous needs --run")
    if args.run:
        print(page.write_dashboard(args.run, args.previous))
    if args.index:
        print(page.write_index_and_dashboards(args.runs, args.index, written=args.run))
    return 0


def _simulate_command(argv: list[str]) -> int:
    from simulation import simulate

    return simulate.main(argv) or 0


def _evaluate_command(argv: list[str]) -> int:
    from evaluation import evaluate

    return evaluate.main(argv)


def _evaluate_sources_command(argv: list[str]) -> int:
    from evaluation import sources as evaluate_sources

    return evaluate_sources.main(argv)


def _loop_command(argv: list[str]) -> int:
    from nlu import loop

    return loop.main(argv)


def _train_encoder_command(argv: list[str]) -> int:
    from nlu import train_encoder

    return train_encoder.main(argv)


def _evaluate_encoder_command(argv: list[str]) -> int:
    from nlu import evaluate_encoder

    return evaluate_encoder.main(argv)


COMMANDS = {
    "run": _run_command,
    "daily": _daily_command,
    "profile": _profile_command,
    "simulate": _simulate_command,
    "evaluate": _evaluate_command,
    "evaluate-sources": _evaluate_sources_command,
    "summary": _summary_command,
    "report": _report_command,
    "loop": _loop_command,
    "train-encoder": _train_encoder_command,
    "evaluate-encoder": _evaluate_encoder_command,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        print(f"\ncommands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except (InputContractError, ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"rephrase-miner {argv[0]}: error: {error}", file=sys.stderr)
        return 2
    except (ValidationFailed, PublishError) as error:
        print(f"rephrase-miner {argv[0]}: not published: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
