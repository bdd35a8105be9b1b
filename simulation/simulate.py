"""`rephrase-miner simulate`: write a realistic day of interaction logs and its ground truth.

    python -m simulation.simulate --out DIR [--users N | --turns N] [--locales L ...] [--seed S] [--date D]
                            [--files N] [--workers N] [--overwrite]

Writes
    DIR/logs/date=YYYY-MM-DD/part-NNNNN.parquet   the log, in the `interactions` contract; rows shuffled
                                                  across files (input arrives out of order); sessions that
                                                  run past midnight continue in the next date's folder
    DIR/truth.parquet                             the ground truth (schemas.truth.TRUTH), one
                                                  file the miner never reads

The simulator itself is pure logic: the world of goals, phrasings and the NLU (`simulation/world.py`), the
users (`simulation/users.py`) and the rest behind `simulation/batches.py`; this module only loads the
shipped seed records (MASSIVE for en-US, de-DE, sw-KE; xSID for ja-JP, zh-CN, ar-SA), runs the batches (in
worker processes for big runs) and writes Parquet.
The output depends only on the arguments: --workers changes the speed, never the rows.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import gzip
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.truth import TRUTH
from simulation.batches import BatchSpec, estimate_users_per_locale, plan_batches, simulate_batch
from simulation.config import SimulationConfig
from simulation.draws import derive_seed
from simulation.logs import BatchStats, SimulatedBatch
from simulation.rows import LOG_SCHEMA
from simulation.world import IntentReader, LocaleWorld

# locale -> (folder under miner/data, shipped seed file) in MASSIVE's record format; never a test split
# (see the NOTICE.md in each folder)
SEED_FILES = {
    "en-US": ("massive", "en-US.train.jsonl.gz"),
    "de-DE": ("massive", "de-DE.dev.jsonl.gz"),
    "sw-KE": ("massive", "sw-KE.dev.jsonl.gz"),
    "ja-JP": ("xsid", "ja-JP.valid.jsonl.gz"),
    "zh-CN": ("xsid", "zh-CN.valid.jsonl.gz"),
    "ar-SA": ("xsid", "ar-SA.valid.jsonl.gz"),
}
DEFAULT_LOCALES = ("en-US", "de-DE", "sw-KE")
DEFAULT_USERS = 3000  # per locale: ~17k turns each, the full demo takes seconds to generate
DEFAULT_DATE = dt.date(2026, 11, 30)
DEFAULT_SEED = 7
DEFAULT_FILES = 8  # part files for the simulated date (the next date gets what crossed midnight)
ROWS_PER_ROW_GROUP = 65_536
# A buffered slice keeps its whole batch alive (slices share buffers): flushing after this many batches
# bounds that memory even for a file that gets few rows per batch (the day after, past midnight).
MAX_BUFFERED_BATCHES = 8
PROGRESS_EVERY_S = 5.0
_PARALLEL_FROM_BATCHES = 8  # fewer batches than this are not worth starting worker processes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output directory (must be empty unless --overwrite)")
    parser.add_argument("--users", type=positive_int, default=DEFAULT_USERS, help="users per locale")
    parser.add_argument(
        "--turns", type=positive_int, default=None,
        help="approximate total rows to write, across locales; overrides --users (for benchmarks)",
    )
    parser.add_argument(
        "--locales", nargs="+", choices=sorted(SEED_FILES), default=list(DEFAULT_LOCALES), metavar="LOCALE",
        help=f"locales to simulate, of {' '.join(SEED_FILES)} (default: {' '.join(DEFAULT_LOCALES)}); "
        "the first one also gets the bot",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=DEFAULT_DATE, help="YYYY-MM-DD (UTC)")
    parser.add_argument("--files", type=positive_int, default=DEFAULT_FILES, help="part files for --date")
    parser.add_argument(
        "--workers", type=positive_int, default=None,
        help="worker processes (default: one per CPU but one, at most 8; 1 for small runs or 2 CPUs)",
    )
    parser.add_argument(
        "--overwrite", action="store_true",
        help="replace DIR/logs and DIR/truth.parquet of an earlier run (nothing else in DIR is touched)",
    )
    args = parser.parse_args(argv)
    args.locales = list(dict.fromkeys(args.locales))  # a locale given twice is simulated once
    return args


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1 (the loop's options use it too)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def load_seed_records(locales: Sequence[str]) -> dict[str, list[dict]]:
    """The shipped seed records of each locale (a MASSIVE or xSID subset), in file order."""
    records = {}
    for locale in locales:
        folder, name = SEED_FILES[locale]
        path = resources.files("miner").joinpath("data", folder, name)
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
            records[locale] = [json.loads(line) for line in lines if line.strip()]
    return records


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    try:
        _prepare_output(out, args.overwrite)
    except FileExistsError as error:
        print(f"rephrase-miner simulate: {error}", file=sys.stderr)
        return 2

    config = SimulationConfig()
    seed_records = load_seed_records(args.locales)
    worlds: dict[str, LocaleWorld] = {}
    users = args.users
    if args.turns is not None:
        users = estimate_users_per_locale(args.turns, seed_records, args.seed, args.date, config, worlds)
    write_simulation(out, seed_records, users, args.date, args.seed, args.files, config, args.workers, worlds)
    return 0


def write_simulation(
    out: Path,
    seed_records: Mapping[str, Sequence[dict]],
    users: int,
    day: dt.date,
    seed: int,
    files: int = DEFAULT_FILES,
    config: SimulationConfig = SimulationConfig(),
    workers: int | None = None,
    worlds: dict[str, LocaleWorld] | None = None,
    readers: Mapping[str, IntentReader] | None = None,
    traffic_seed: int | None = None,
    rewrites: Mapping[str, Mapping[str, str]] | None = None,
    log=functools.partial(print, flush=True),
) -> BatchStats:
    """Simulate `users` per locale of `seed_records` on `day` into OUT/logs and OUT/truth.parquet.

    `readers` (locale -> a trained intent classifier) replace the simulated NLU of their locales;
    `traffic_seed` draws other users in the same world (see `simulation.world.LocaleWorld`); `rewrites`
    (locale -> normalized source -> target) put a runtime rewriter in front of the NLU of their locales.
    """
    clock = time.monotonic()
    worlds = {} if worlds is None else worlds
    world_options = {"readers": dict(readers or {}), "traffic_seed": traffic_seed, "rewrites": dict(rewrites or {})}
    specs = plan_batches(list(seed_records), users, config)
    workers = _worker_count(workers, len(specs))
    log(
        f"simulating {users:,} users per locale in {' '.join(seed_records)} on {day} (seed {seed}), "
        f"{len(specs)} batches, {workers} worker{'s' if workers > 1 else ''}"
        + (f", NLU: trained model for {' '.join(world_options['readers'])}" if readers else "")
        + (f", {sum(map(len, world_options['rewrites'].values())):,} rewrites served" if rewrites else "")
    )
    totals = BatchStats()
    progress = _Progress(clock, len(specs), log)
    logs = _LogWriter(out / "logs", day, files, seed)
    with logs, _TruthWriter(out / "truth.parquet") as truth:
        batches = _generate(specs, seed_records, seed, day, config, workers, worlds, world_options)
        for number, batch in enumerate(batches):
            logs.write(batch.log, number)
            truth.write(batch.truth)
            totals.add(batch.stats)
            progress.report(number + 1, totals.turns)
    log(_summary(totals, logs.files_written, out, time.monotonic() - clock))
    return totals


# --------------------------------------------------------------------------------------------------
# Running the batches


def _worker_count(requested: int | None, batches: int) -> int:
    """Workers for big runs: every CPU but one, which the writing process needs (at most 8)."""
    if requested is not None:
        return requested
    if batches < _PARALLEL_FROM_BATCHES:
        return 1
    spare = (os.cpu_count() or 1) - 1
    return min(8, spare) if spare >= 2 else 1


def _generate(
    specs: Sequence[BatchSpec],
    seed_records: Mapping[str, Sequence[dict]],
    seed: int,
    day: dt.date,
    config: SimulationConfig,
    workers: int,
    worlds: dict[str, LocaleWorld],
    world_options: dict,
) -> Iterator[SimulatedBatch]:
    """The planned batches, in plan order. Each batch depends only on its spec, so worker processes
    produce exactly what a single process would."""
    if workers <= 1:
        for spec in specs:
            if spec.locale not in worlds:
                worlds.clear()  # one locale at a time keeps memory flat
                worlds[spec.locale] = _world(spec.locale, seed_records, seed, config, world_options)
            yield simulate_batch(worlds[spec.locale], spec, day)
        return

    worlds.clear()  # each worker builds its own; the pilot's would only weigh on every forked process
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker,
        initargs=(dict(seed_records), seed, config, world_options),
    ) as pool:
        pending: collections.deque = collections.deque()
        for spec in specs:
            pending.append(pool.submit(_simulate_in_worker, spec, day))
            if len(pending) >= 2 * workers:  # bounded look-ahead: memory stays flat if writing is slower
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_worker_state: dict = {}


def _world(
    locale: str, seed_records: Mapping[str, Sequence[dict]], seed: int, config: SimulationConfig,
    world_options: dict,
) -> LocaleWorld:
    return LocaleWorld(
        locale, seed_records[locale], seed, config, reader=world_options["readers"].get(locale),
        traffic_seed=world_options["traffic_seed"], rewrites=world_options["rewrites"].get(locale),
    )


def _start_worker(
    seed_records: Mapping[str, Sequence[dict]], seed: int, config: SimulationConfig, world_options: dict
) -> None:
    _worker_state.update(seed_records=seed_records, seed=seed, config=config, worlds={}, world_options=world_options)


def _simulate_in_worker(spec: BatchSpec, day: dt.date) -> SimulatedBatch:
    state = _worker_state
    worlds = state["worlds"]
    if spec.locale not in worlds:
        worlds[spec.locale] = _world(spec.locale, state["seed_records"], state["seed"], state["config"],
                                     state["world_options"])
    return simulate_batch(worlds[spec.locale], spec, day)


# --------------------------------------------------------------------------------------------------
# Writing


def _prepare_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty; pass --overwrite to replace an earlier simulation there")
        shutil.rmtree(out / "logs", ignore_errors=True)
        (out / "truth.parquet").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


class _BufferedParquet:
    """One Parquet file, written in row groups of about ROWS_PER_ROW_GROUP rows (or fewer, see
    MAX_BUFFERED_BATCHES)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path = path
        self.schema = schema
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.RecordBatch] = []
        self._buffered_rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self._buffer.append(batch)
        self._buffered_rows += batch.num_rows
        if self._buffered_rows >= ROWS_PER_ROW_GROUP or len(self._buffer) >= MAX_BUFFERED_BATCHES:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd", compression_level=1)
        self._writer.write_table(pa.Table.from_batches(self._buffer, schema=self.schema))
        self._buffer, self._buffered_rows = [], 0

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()


class _LogWriter:
    """Spreads each batch's rows, shuffled, over the part files of the dates their timestamps fall on."""

    def __init__(self, root: Path, day: dt.date, files: int, seed: int):
        self.root = root
        self.day = day
        self.files = files
        self.seed = seed
        self._day_start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        self._parts: dict[tuple[dt.date, int], _BufferedParquet] = {}

    def __enter__(self) -> _LogWriter:
        return self

    def __exit__(self, *exc) -> None:
        for part in self._parts.values():
            part.close()

    @property
    def files_written(self) -> list[Path]:
        return sorted(part.path for part in self._parts.values())

    def write(self, batch: pa.RecordBatch, batch_number: int) -> None:
        rng = np.random.default_rng(derive_seed(self.seed, "shuffle", batch_number))
        order = rng.permutation(batch.num_rows)
        day_offsets = self._day_offsets(batch)[order]
        # rows of the simulated date go to a random part file; later dates (sessions past midnight) to one
        part_numbers = np.where(day_offsets == 0, rng.integers(0, self.files, batch.num_rows), 0)
        keys = day_offsets * self.files + part_numbers
        # one take of the whole batch, grouped by file, then zero-copy slices (a take per file would
        # cost a pass over the whole batch each)
        by_file = np.argsort(keys, kind="stable")
        shuffled = batch.take(pa.array(order[by_file]))
        sorted_keys = keys[by_file]
        for key in np.unique(sorted_keys).tolist():
            first, last = np.searchsorted(sorted_keys, [key, key + 1])
            day_offset, part_number = divmod(key, self.files)
            self._part(self.day + dt.timedelta(days=day_offset), part_number).write(shuffled.slice(first, last - first))

    def _day_offsets(self, batch: pa.RecordBatch) -> np.ndarray:
        """Whole days between each row's ts and the simulated date; rows without ts stay on the date."""
        start_us = int(self._day_start.timestamp()) * 1_000_000
        micros = pc.fill_null(batch.column("ts").cast(pa.int64()), start_us).to_numpy()
        return np.maximum((micros - start_us) // 86_400_000_000, 0)

    def _part(self, day: dt.date, number: int) -> _BufferedParquet:
        key = (day, number)
        if key not in self._parts:
            path = self.root / f"date={day.isoformat()}" / f"part-{number:05d}.parquet"
            self._parts[key] = _BufferedParquet(path, LOG_SCHEMA)
        return self._parts[key]


class _TruthWriter(_BufferedParquet):
    def __init__(self, path: Path):
        super().__init__(path, TRUTH.arrow_schema)

    def __enter__(self) -> _TruthWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------------
# Reporting


class _Progress:
    """A line every few seconds on big runs; silent on runs that finish quickly."""

    def __init__(self, clock: float, batches: int, log):
        self.clock = clock
        self.batches = batches
        self.log = log
        self._last = clock

    def report(self, done: int, turns: int) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_S or done == self.batches:
            return
        self._last = now
        rate = turns / max(now - self.clock, 1e-9)
        share = done / self.batches
        self.log(f"  {turns:,} turns, batch {done}/{self.batches} ({share:.0%}), {rate:,.0f} turns/s")


def _summary(totals: BatchStats, files: list[Path], out: Path, elapsed: float) -> str:
    per_date = collections.Counter(path.parent.name for path in files)
    layout = ", ".join(f"{name} x{count}" for name, count in sorted(per_date.items()))
    return "\n".join(
        [
            f"turns          {totals.turns:,} rows "
            f"({totals.events:,} events + {totals.duplicates:,} duplicate deliveries)",
            f"users          {totals.users:,} (incl. {1 if totals.bot_turns else 0} bot)",
            f"sessions       {totals.sessions:,}",
            f"NLU failures   {totals.failures:,} turns misread (users rephrased {totals.rephrases:,} times)",
            f"duplicates     {totals.duplicates:,}",
            f"malformed rows {totals.malformed:,}",
            f"hostile text   {totals.hostile:,} rows",
            f"bot turns      {totals.bot_turns:,}",
            f"logs           {out / 'logs'} ({len(files)} files: {layout})",
            f"truth          {out / 'truth.parquet'}",
            f"took           {elapsed:.1f}s ({totals.turns / max(elapsed, 1e-9):,.0f} turns/s)",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
