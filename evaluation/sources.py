"""`rephrase-miner evaluate-sources`: the miner's quality on every source of logs, side by side.

    rephrase-miner evaluate-sources --out DIR [--devlogs DIR] [--seeds 7 11] [--massive DIR]
                                    [--config FILE] [--master URL]

Sources, each mined by `rephrase-miner run` with one configuration (the defaults, or --config):

* **simulator seed S** (`--seeds`): a simulated day (`rephrase-miner simulate --seed S`, 3,000 users per locale);
* **NLU loop traffic** (`--massive`, MASSIVE 1.1's folder): a simulated day in which a real intent classifier
  (`nlu.classifier`, trained as `rephrase-miner loop` trains its baseline) is the NLU, with its correlated errors;
* **independent logs** (`--devlogs`): every folder under DIR holding `logs/` and `truth.json`, in the format of
  the development logs' README (another traffic model, other users and habits).

Every run is scored by `evaluation.scoring` (the development logs' reference figures) against its truth, next to
the two baselines of `evaluation.metrics` at the run's k-user floor. Writes DIR/sources.json and DIR/sources.md
(and DIR/<source>/run, the runs themselves) and prints the tables. Nothing here reads a path it is not given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import posixpath
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from evaluation import scoring
from pipeline.config import RunConfig, load_config
from pipeline.errors import ValidationFailed
from pipeline.storage import write_json, write_text
from simulation.simulate import positive_int

DEFAULT_SEEDS = (7, 11)
LOOP_SEED = 7
LOOP_DAY = dt.date(2026, 11, 30)

log = functools.partial(print, flush=True)


@dataclass(frozen=True)
class Source:
    name: str
    logs: Path
    kind: str  # "simulation" (truth.parquet beside logs) or "reference" (truth.json)
    truth: Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner evaluate-sources", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder (runs, sources.json, sources.md)")
    parser.add_argument("--devlogs", help="folder of log sets, each with logs/ and truth.json")
    parser.add_argument("--seeds", nargs="*", type=int, default=list(DEFAULT_SEEDS), help="simulated days")
    parser.add_argument("--users", type=positive_int, default=3000, help="simulated users per locale and day")
    parser.add_argument("--massive", help="MASSIVE 1.1 folder: adds a day of traffic served by a trained NLU")
    parser.add_argument("--config", help="TOML or JSON file of the miner's settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*]")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------------------- the sources


def simulated_source(out: Path, seed: int, users: int) -> Source:
    from simulation.simulate import DEFAULT_DATE, DEFAULT_LOCALES, load_seed_records, write_simulation

    folder = out / f"seed-{seed}"
    if not (folder / "truth.parquet").exists():
        write_simulation(folder, load_seed_records(DEFAULT_LOCALES), users, DEFAULT_DATE, seed, log=log)
    return Source(f"simulator seed {seed}", folder / "logs", "simulation", folder / "truth.parquet")


def loop_source(out: Path, massive: Path, users: int, config: RunConfig) -> Source:
    """A day of the NLU loop's traffic: the baseline classifier of each locale is the NLU."""
    from miner.embeddings import load_static_encoder
    from miner.models import resolve_model_path
    from nlu import loop
    from simulation.draws import derive_seed
    from simulation.simulate import write_simulation

    folder = out / "nlu-loop"
    if not (folder / "truth.parquet").exists():
        encoder = load_static_encoder(resolve_model_path(config.embedding_model))
        data = {loc: loop.split_locale(loc, loop.read_massive(massive, loc), LOOP_SEED) for loc in loop.DEFAULT_LOCALES}
        readers = {loc: loop.train(split, [], encoder.encode) for loc, split in data.items()}
        write_simulation(
            folder, {loc: split.goals for loc, split in data.items()}, users, LOOP_DAY, LOOP_SEED,
            loop.SIMULATED_FILES, readers=readers,
            traffic_seed=derive_seed(LOOP_SEED, "loop-traffic", LOOP_DAY), log=log,
        )
    return Source("NLU loop traffic (day 1)", folder / "logs", "simulation", folder / "truth.parquet")


def reference_sources(devlogs: Path) -> list[Source]:
    folders = sorted(p for p in devlogs.iterdir() if (p / "truth.json").is_file() and (p / "logs").is_dir())
    if not folders:
        raise FileNotFoundError(f"{devlogs}: no folder with logs/ and truth.json")
    return [Source(f"devlogs/{p.name}", p / "logs", "reference", p / "truth.json") for p in folders]


def read_truth(source: Source) -> scoring.Truth:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    if source.kind == "simulation":
        columns = ["event_id", "locale", "user_id", "utterance", "gold_intent", "role", "nlu_outcome", "rephrase_root"]
        return scoring.truth_from_simulation(pq.read_table(source.truth, columns=columns).to_pylist())
    reference = json.loads(source.truth.read_text(encoding="utf-8"))
    rows = ds.dataset(source.logs, format="parquet").to_table(columns=["locale", "utterance", "user_id"])
    return scoring.truth_from_reference(reference, rows.to_pylist())


# ------------------------------------------------------------------------------------------- scoring


def _read_rows(folder: str, columns: list[str]) -> list[tuple]:
    import pyarrow.dataset as ds

    if not Path(folder).exists():
        return []
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table(columns=columns)
    return list(zip(*(table.column(c).to_pylist() for c in columns)))


def run_outputs(run: str) -> dict[str, list[tuple]]:
    records = []
    for path in sorted(Path(run, "training").glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            records += [json.loads(line) for line in lines if line.strip()]
    return {
        "labels": [(r["locale"], r["utt"], r["intent"]) for r in records],
        "pairs": _read_rows(posixpath.join(run, "pairs"), ["locale", "source", "target"]),
        "rewrites": _read_rows(posixpath.join(run, "rewrites"), ["locale", "source", "target"]),
    }


def baseline_labels(spark, run: str, min_users: int) -> dict[str, list[tuple]]:
    """The two baselines of `evaluation.metrics` at the run's k-user floor, from its sessions."""
    from evaluation import counts
    from evaluation.metrics import Baseline
    from pipeline.io import dataset_path, read_dataset
    from schemas.sessions import SESSIONS

    sessions = read_dataset(spark, dataset_path(run, "sessions"), SESSIONS)
    votes = counts.with_similarity(
        counts.baseline_votes(counts.with_normalized(sessions, "utterance", "text"))
    ).localCheckpoint()
    return {
        variant: [tuple(r) for r in counts.baseline_labels(votes, Baseline(variant, min_users)).collect()]
        for variant in ("a", "b")
    }


def score_source(truth: scoring.Truth, outputs: dict, baselines: dict, min_users: int) -> dict:
    labels = scoring.label_figures(truth, outputs["labels"], min_users)
    pairs = scoring.pair_figures(truth, outputs["pairs"])
    replay = scoring.replay_figures(truth, outputs["rewrites"], min_users)
    baseline = {v: scoring.label_figures(truth, rows, min_users) for v, rows in baselines.items()}
    empty_pairs = {"pairs": 0, "pair_precision": None}
    return {
        locale: {
            "miner": {**labels[locale], **pairs.get(locale, empty_pairs), **replay.get(locale, {})},
            **{f"baseline_{v}": figures[locale] for v, figures in baseline.items()},
        }
        for locale in labels
    }


# ------------------------------------------------------------------------------------------- report


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return "∞" if value == float("inf") else f"{value:,.1f}"


def _baseline(figures: dict) -> str:
    return f"{_percent(figures['label_precision'])} / {_percent(figures['recall'])}"


def markdown_report(report: dict) -> str:
    header = (
        "| source | locale | records | label precision | recall | pair precision | wins | losses | win/loss "
        "| defect reduction | reachable | baseline a: precision / recall | baseline b: precision / recall |"
    )
    lines = [header, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for source in report["sources"]:
        for locale, figures in source["figures"].items():
            m = figures["miner"]
            name = source["name"] + ("" if source["published"] else " (not published)")
            lines.append(
                f"| {name} | {locale} | {m['records']:,} | {_percent(m['label_precision'])} | {_percent(m['recall'])} "
                f"({m['recalled']}/{m['learnable']}) | {_percent(m['pair_precision'])} | {m.get('wins', 0):,} | "
                f"{m.get('losses', 0):,} | {_ratio(m.get('win_loss'))} | {_percent(m.get('defect_reduction'))} | "
                f"{_percent(m.get('reachable_share'))} | "
                f"{_baseline(figures['baseline_a'])} | {_baseline(figures['baseline_b'])} |"
            )
    return (
        f"# The miner on every source (k = {report['min_users']} users)\n\n" + "\n".join(lines) + "\n\n"
        "Recall counts the failing phrasings that at least k users rephrased and then succeeded with "
        "(learnable); win/loss and defect reduction replay every failing turn of the day through the rewrite "
        "table (`evaluation/scoring.py` defines each figure); reachable is the share of failing turns whose phrasing "
        "is learnable from at least k users, the defect reduction that rewriting exactly those would reach. "
        "Baselines: (a) the next success within 60 s labels a failed phrasing, (b) the same gated by "
        "token_set_ratio >= 55; both pooled at k users.\n"
    )


def _json_ready(value):
    """JSON has no infinity: an unbounded win/loss is written as the string 'inf'."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return "inf" if value == float("inf") else value


def run(args: argparse.Namespace) -> dict:
    from pipeline.runner import run_pipeline, start_spark

    clock = time.monotonic()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(args.config)
    sources = [simulated_source(out, seed, args.users) for seed in args.seeds]
    if args.massive:
        sources.append(loop_source(out, Path(args.massive), args.users, config))
    if args.devlogs:
        sources += reference_sources(Path(args.devlogs))
    report = {"min_users": config.min_users, "config": config.as_dict(), "sources": []}
    for source in sources:
        step = time.monotonic()
        run_dir = str(out / source.name.replace("/", "-").replace(" ", "-") / "run")
        log(f"[evaluate-sources] {source.name}: mining {source.logs}")
        published = True
        try:
            run_pipeline(str(source.logs), run_dir, config, args.master, log)
        except ValidationFailed as error:
            published = False
            log(f"[evaluate-sources] {source.name}: not published ({error}); its outputs are scored anyway")
        spark = start_spark("evaluate-sources", config, args.master, log)
        figures = score_source(
            read_truth(source), run_outputs(run_dir), baseline_labels(spark, run_dir, config.min_users),
            config.min_users,
        )
        report["sources"].append(
            {"name": source.name, "logs": str(source.logs), "run": run_dir, "published": published,
             "figures": figures, "elapsed_s": round(time.monotonic() - step, 1)}
        )
        log(f"[evaluate-sources] {source.name}: scored in {time.monotonic() - step:.0f}s")
    report["elapsed_s"] = round(time.monotonic() - clock, 1)
    write_json(str(out / "sources.json"), _json_ready(report))
    markdown = markdown_report(report)
    write_text(str(out / "sources.md"), markdown)
    print(markdown)
    return report


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
