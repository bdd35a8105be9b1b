"""Write the MASSIVE subset that ships inside the package as simulator seed data (dev-only script).

Reads the partial MASSIVE 1.1 copy in ``../shared/data/massive/1.1`` and writes
``miner/data/massive/{en-US.train,de-DE.dev,sw-KE.dev}.jsonl.gz``:

* en-US: only ``partition == "train"`` records of the complete en-US file;
* de-DE and sw-KE: all of the dev files (the only non-test splits we have for them).

Test partitions are never read, so the simulator cannot leak MASSIVE test text into anything the
miner is later evaluated on. Only the fields the simulator needs are kept. The gzip header carries no
file name and mtime 0, and records keep their upstream order, so rerunning the script produces
byte-identical files with the same zlib (a diff in git means the data really changed).

Usage: python tools/ship_massive_subset.py [--source DIR] [--dest DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from simulation.seed_data import write_reproducible_gzip  # one writer for every shipped seed file

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "massive" / "1.1"
DEFAULT_DEST = REPO_ROOT / "miner" / "data" / "massive"

KEPT_FIELDS = ("id", "locale", "partition", "scenario", "intent", "utt", "annot_utt")

# (source file, partition to keep or None for all records, shipped name). Never a test partition.
SUBSETS = (
    ("en-US.jsonl", "train", "en-US.train.jsonl.gz"),
    ("de-DE.dev.jsonl", None, "de-DE.dev.jsonl.gz"),
    ("sw-KE.dev.jsonl", None, "sw-KE.dev.jsonl.gz"),
)


def read_subset(source: Path, partition: str | None) -> list[dict]:
    records = []
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            if record["partition"] == "test":
                continue  # belt and braces: test data must never ship
            if partition is None or record["partition"] == partition:
                records.append({field: record[field] for field in KEPT_FIELDS})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)

    args.dest.mkdir(parents=True, exist_ok=True)
    for source_name, partition, shipped_name in SUBSETS:
        records = read_subset(args.source / source_name, partition)
        write_reproducible_gzip(records, args.dest / shipped_name)
        print(f"{shipped_name}: {len(records)} records from {source_name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
