"""Stage 1, input checks: quarantine broken rows, pseudonymize ids, drop repeated deliveries.

    spark-submit jobs/ingest.py --logs LOGS_DIR --out OUT_DIR [--max-utterance-chars N] [--scrub-pii NAMES]
                                [--id-salt-env VAR]

Reads every Parquet file under LOGS_DIR after checking its footer against the `interactions` contract,
scrubs PII from utterances and slot values, writes OUT/turns (valid, one row per event_id) and OUT/quarantine
(with a reason), and OUT/_stats/ingest.json. Every input row is counted once: in = turns + quarantined +
duplicates, or the job fails.
"""

from __future__ import annotations

import argparse
import os

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from miner.ingest import MAX_UTTERANCE_CHARS, deduplicated_turns, pseudonymize, quarantined_rows, with_quarantine_reason
from miner.privacy import SCRUB_PII, check_scrub_names, has_scrubbed_slot, is_scrubbed, scrub_pii
from pipeline.io import (
    check_input_files,
    dataset_path,
    input_read_errors_named,
    read_dataset,
    read_input,
    write_dataset,
    write_stats,
)
from pipeline.stages import INGEST
from pipeline.storage import input_fingerprint
from schemas.interactions import INTERACTIONS
from schemas.quarantine import QUARANTINE
from schemas.stats import INGEST_STATS
from schemas.turns import TURNS

STAGE = INGEST.name
# A secret does not belong on a command line, where any process listing shows it.
ID_SALT_ENV = "REPHRASE_MINER_ID_SALT"


class AccountingError(RuntimeError):
    """Rows were lost or invented: in != used + quarantined + duplicates."""


def _scrub_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    try:
        return check_scrub_names(names)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=STAGE, description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True, help="directory (or URI) of interaction-log Parquet files")
    parser.add_argument("--out", required=True, help="run output directory (or URI)")
    parser.add_argument("--max-utterance-chars", type=int, default=MAX_UTTERANCE_CHARS)
    parser.add_argument(
        "--scrub-pii", type=_scrub_names, default=SCRUB_PII,
        help=f"comma-separated PII patterns to scrub (default {','.join(SCRUB_PII)}; empty: none)",
    )
    parser.add_argument(
        "--id-salt-env", default=ID_SALT_ENV,
        help="environment variable holding the secret mixed into user/device hashes (unset = no salt)",
    )
    return parser.parse_args(argv)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    files = check_input_files(args.logs, INTERACTIONS)
    rows_in = sum(f.num_rows for f in files)

    # Validity checks, PII scrubbing and hashing run once: both outputs are cut from the same checked rows.
    checked_df = (
        read_input(spark, files, INTERACTIONS)
        .transform(with_quarantine_reason, args.max_utterance_chars)
        .transform(scrub_pii, args.scrub_pii)
        .transform(pseudonymize, os.environ.get(args.id_salt_env, ""))
        .persist(StorageLevel.DISK_ONLY)
    )
    quarantine_path = dataset_path(args.out, "quarantine")
    with input_read_errors_named():
        write_dataset(quarantined_rows(checked_df), quarantine_path, QUARANTINE, partition_by=("reason",))
        turn_totals = write_dataset(
            deduplicated_turns(checked_df), dataset_path(args.out, "turns"), TURNS,
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
    return stats


if __name__ == "__main__":
    from pipeline.spark import submit

    submit(STAGE, parse_args, run)
