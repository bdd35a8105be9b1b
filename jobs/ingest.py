"""Stage 1, input checks: quarantine broken rows, pseudonymize ids, drop repeated deliveries.

    spark-submit jobs/ingest.py --logs LOGS_DIR --out OUT_DIR [--max-utterance-chars N] [--scrub-pii NAMES]
                                [--log-format JSON] [--stop-quarantine-share SHARE] [--id-salt-env VAR]

Reads every file under LOGS_DIR (the contract's Parquet, or Parquet, JSON Lines or CSV in a team's layout
through its --log-format mapping, docs/log-formats.md) after checking its footer, header or first lines
against the `interactions` contract, scrubs PII from utterances and slot values, writes OUT/turns (valid,
one row per event_id) and OUT/quarantine (with a reason and the logs' own column and value), and
OUT/_stats/ingest.json. Every input row is counted once: in = turns + quarantined + duplicates, or the job
fails; it also fails when more than SHARE of the rows are quarantined (a wrong mapping, not a few bad rows).
"""

from __future__ import annotations

import argparse
import os

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from miner.defaults import STOP_QUARANTINE_SHARE
from miner.ingest import (
    MAX_UTTERANCE_CHARS,
    deduplicated_turns,
    pseudonymize,
    quarantined_rows,
    reason_examples,
    repeated_event_ids,
    with_quarantine_reason,
)
from miner.privacy import SCRUB_PII, check_scrub_names, has_scrubbed_slot, is_scrubbed, scrub_pii
from pipeline.errors import InputContractError
from pipeline.io import dataset_path, input_read_errors_named, read_dataset, write_dataset, write_stats
from pipeline.log_format import REASON_HINTS, LogFormat
from pipeline.log_input import check_log_format, check_logs, read_logs
from pipeline.stages import INGEST
from pipeline.storage import input_fingerprint
from schemas.interactions import INTERACTIONS
from schemas.quarantine import QUARANTINE
from schemas.stats import INGEST_STATS
from schemas.turns import TURNS

STAGE = INGEST.name
# A secret does not belong on a command line, where any process listing shows it.
ID_SALT_ENV = "REPHRASE_MINER_ID_SALT"
# Repeated event_ids up to this many are broadcast (about 40 bytes each), so that only their rows are grouped.
MAX_BROADCAST_EVENT_IDS = 1_000_000


class AccountingError(RuntimeError):
    """Rows were lost or invented: in != used + quarantined + duplicates."""


class QuarantineShareError(InputContractError):
    """Most of the input broke the contract as mapped: the mapping or the producer is wrong, not a few rows."""


def _scrub_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    try:
        return check_scrub_names(names)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _log_format(text: str) -> LogFormat:
    try:
        return check_log_format(LogFormat.from_json(text))
    except ValueError as error:  # a LogFormatError, or JSON that does not parse
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--logs", required=True, help="directory (or URI) of interaction logs: Parquet, or --log-format's layout"
    )
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--max-utterance-chars", type=int, default=MAX_UTTERANCE_CHARS)
    parser.add_argument(
        "--scrub-pii", type=_scrub_names, default=SCRUB_PII,
        help=f"comma-separated PII patterns to scrub (default {','.join(SCRUB_PII)}; empty: none)",
    )
    parser.add_argument(
        "--log-format", type=_log_format, default=LogFormat(),
        help="the logs' layout and its mapping onto the contract, as JSON (default: the contract's own Parquet)",
    )
    parser.add_argument(
        "--stop-quarantine-share", type=float, default=STOP_QUARANTINE_SHARE,
        help=f"fail when more of the rows than this are quarantined: a wrong mapping or a broken producer "
        f"(default {STOP_QUARANTINE_SHARE})",
    )
    parser.add_argument(
        "--id-salt-env", default=ID_SALT_ENV,
        help="environment variable holding the secret mixed into user/device hashes (unset = no salt)",
    )
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    log_input = check_logs(args.logs, args.log_format)
    for warning in log_input.warnings:
        print(f"[{STAGE}] warning: {warning}", flush=True)
    files = log_input.files

    # Validity checks, PII scrubbing and hashing run once: both outputs are cut from the same checked rows.
    checked_df = (
        read_logs(spark, log_input)
        .transform(with_quarantine_reason, args.max_utterance_chars)
        .transform(scrub_pii, args.scrub_pii)
        .transform(pseudonymize, os.environ.get(args.id_salt_env, ""))
        .persist(StorageLevel.DISK_ONLY)
    )
    quarantine_path = dataset_path(args.out, "quarantine")
    source_names = args.log_format.source_names(INTERACTIONS.column_names)
    with input_read_errors_named():
        # Parquet footers count the rows; text is counted as it is read (which also fills the cache).
        rows_in = sum(f.num_rows for f in files) if log_input.rows_known else checked_df.count()
        write_dataset(
            quarantined_rows(checked_df, source_names, args.scrub_pii), quarantine_path, QUARANTINE,
            partition_by=("reason",),
        )
        # Few event_ids repeat: only their rows are grouped, unless too many repeat to broadcast.
        repeated_ids_df = repeated_event_ids(checked_df).localCheckpoint()
        repeated_ids = repeated_ids_df.count()
        print(f"[{STAGE}] {repeated_ids:,} event_ids delivered more than once", flush=True)
        broadcast_ids = repeated_ids_df if repeated_ids <= MAX_BROADCAST_EVENT_IDS else None
        turn_totals = write_dataset(
            deduplicated_turns(checked_df, broadcast_ids), dataset_path(args.out, "turns"), TURNS,
            observe={
                "turns": F.count(F.lit(1)),
                "duplicates": F.sum(F.col("deliveries") - 1),
                "scrubbed": F.count_if(is_scrubbed(F.col("utterance")) | has_scrubbed_slot(F.col("slots"))),
            },
        )
    checked_df.unpersist()

    # Quarantined rows are few: reading them back is cheaper than an aggregate per reason while writing.
    quarantined_by_reason = {
        row["reason"]: row["rows"]
        for row in read_dataset(spark, quarantine_path, QUARANTINE).groupBy("reason").agg(F.count("*").alias("rows")).collect()
    }
    stats = {
        "files": len(files),
        "input_fingerprint": input_fingerprint(files),
        "rows_in": rows_in,
        "quarantined": sum(quarantined_by_reason.values()),
        "quarantined_by_reason": dict(sorted(quarantined_by_reason.items())),
        "duplicates": int(turn_totals["duplicates"]),
        "turns": int(turn_totals["turns"]),
        "scrubbed_turns": int(turn_totals["scrubbed"]),
        "scrubbed_pii": list(args.scrub_pii),
    }
    stats["rows_out"] = stats["turns"]
    accounted = stats["turns"] + stats["quarantined"] + stats["duplicates"]
    if accounted != rows_in:
        raise AccountingError(f"{rows_in} rows in, but {accounted} accounted for: {stats}")
    write_stats(args.out, STAGE, stats, INGEST_STATS)
    check_quarantine_share(spark, quarantine_path, stats, args.stop_quarantine_share)
    return stats


def check_quarantine_share(spark: SparkSession, quarantine_path: str, stats: dict, max_share: float) -> None:
    """Stop the run when more of the day was quarantined than max_share: a wrong mapping or a broken producer.

    Mining the rest would publish nothing (validation blocks a day above max_quarantine_share), so the error
    says instead which rule, which of the logs' columns and which values, and the quarantine keeps every row.
    """
    share = stats["quarantined"] / stats["rows_in"] if stats["rows_in"] else 0.0
    if share <= max_share:
        return
    lines = [
        f"  {row['reason']} in column {row['source_column'] or '(whole record)'}: {row['rows']:,} rows, "
        f"e.g. {', '.join(map(repr, row['examples']))}; {REASON_HINTS.get(row['reason'], 'see docs/contracts.md')}"
        for row in read_dataset(spark, quarantine_path, QUARANTINE).transform(reason_examples, 3).collect()
    ]
    raise QuarantineShareError(
        f"{share:.1%} of {stats['rows_in']:,} rows were quarantined (stop_quarantine_share {max_share:.0%}); "
        f"check the log format's mapping (`rephrase-miner profile` shows the day). The quarantine, "
        f"{quarantine_path}, holds every row:\n" + "\n".join(lines)
    )


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
