"""`rephrase-miner loop`: put a real NLU model in the loop, and show what the mined training data does to it.

    rephrase-miner loop --massive DIR --out OUT [--locales en-US de-DE sw-KE] [--days 3] [--users 3000]
                        [--seed-records N] [--seed 7] [--first-day 2026-11-30] [--config FILE] [--master URL]
                        [--overwrite]

For each locale, from MASSIVE 1.1 in DIR (`<locale>.jsonl` with every partition, or
`<locale>.<partition>.jsonl` files, as in MASSIVE's release and this project's shared data):

* **baseline**: an intent classifier (`nlu.classifier`) trained on the `train` partition, or, where the locale has
  none, on half of `dev` (chosen by a hash of the record id);
* **goals**: the simulated users' goals and phrasings come from the held-out records (`dev`, or the other
  half of it), never from the model's training data;
* **test**: the whole `test` partition, used only to score the models.

With `--seed-records N` (a language launch) the baseline is trained on only N of those records, drawn by a
hash of the record id and spread over the intents (`launch_seed`): a small seed model, as after the launch of
a language.

Then, day after day: simulate a day of traffic in which an utterance fails exactly when the current model
misreads it (`simulation.world.LocaleWorld` with a reader), with the rewrite table published the day before
served in front of the model by a runtime rewriter (exact match on the normalized text), and the rejected
readings published the day before in the model's hypothesis ranking (`nlu.classifier.RerankedReader`: a
phrasing whose best reading users rejected gets the reading its users accepted, or else its best reading not
rejected); mine it as a scheduled run does (`rephrase-miner daily`: evidence accumulates across days, the
served rewrites' outcomes keep, demote or withdraw them, and the readings' outcomes reject them); retrain with
the published training records added (each weighted by its `weight`), and report per locale:

* the live defect rate (`nlu.defects`): the share of the day's goal turns that failed as served, without the
  rejected readings, without the rewrites, and without any learning, so what each lever removed;
* fix rate: of the phrasings the model misread that >= min_users users rephrased that day, the share the retrained
  model reads right;
* held-out test accuracy before and after, with a paired bootstrap 95% interval on the change;
* the intents that regressed, and the verdict (`nlu.classifier.is_regression`).

Writes OUT/logs (the simulated days), OUT/root (the scheduled runs; each published run gets
quality/nlu.json and a dashboard panel, the index a trend), OUT/loop.json, OUT/loop.md (the tables) and
OUT/loop.svg (the day-over-day curve). Exits 0, or 3 when a retrained model regressed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gzip
import json
import posixpath
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from miner.text import normalize
from nlu import classifier as nlu
from nlu.defects import defect_rates, rejection_table, relative_change, rewrite_table
from nlu.loop_report import curve_svg, format_day, markdown_report, regressions
from pipeline.config import load_config
from pipeline.errors import InputContractError
from pipeline.storage import write_json, write_text
from simulation.draws import derive_seed
from simulation.simulate import positive_int, write_simulation

DEFAULT_LOCALES = ("en-US", "de-DE", "sw-KE")
DEFAULT_DAYS = 3
DEFAULT_USERS = 3000
DEFAULT_SEED = 7
DEFAULT_FIRST_DAY = dt.date(2026, 11, 30)
# A rewrite table serves as soon as it is published; a retrained NLU model is validated and deployed on a slower
# cycle, here one day later. So the rewrites act on the day after their publish, retraining the day after that.
DEFAULT_RETRAIN_LAG = 1
SIMULATED_FILES = 4
# Where a locale has no train partition, this share of dev trains the baseline; the rest are the goals.
DEV_TRAIN_SHARE = 0.5
EXIT_REGRESSION = 3

log = functools.partial(print, flush=True)


@dataclass(frozen=True)
class LocaleData:
    locale: str
    train: list[dict]
    goals: list[dict]
    test: list[dict]
    train_source: str


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner loop", description=__doc__.splitlines()[0])
    parser.add_argument("--massive", required=True, help="folder of MASSIVE 1.1 JSONL files (see above)")
    parser.add_argument("--out", required=True, help="output folder (must be empty unless --overwrite)")
    parser.add_argument("--locales", nargs="+", default=list(DEFAULT_LOCALES), metavar="LOCALE")
    parser.add_argument("--days", type=positive_int, default=DEFAULT_DAYS, help="days of traffic, in sequence")
    parser.add_argument("--users", type=positive_int, default=DEFAULT_USERS, help="users per locale and day")
    parser.add_argument(
        "--retrain-lag", type=int, default=DEFAULT_RETRAIN_LAG, metavar="DAYS",
        help="days a retrained model takes to serve after the day the rewrite table built with it serves "
        f"(default {DEFAULT_RETRAIN_LAG})",
    )
    parser.add_argument(
        "--seed-records", type=positive_int, metavar="N",
        help="a language launch: train the baseline on only N annotated records (default: all)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--first-day", type=dt.date.fromisoformat, default=DEFAULT_FIRST_DAY, help="YYYY-MM-DD")
    parser.add_argument("--config", help="TOML or JSON file of the miner's settings (see README)")
    parser.add_argument("--master", help="Spark master URL; default local[*]")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier loop's OUT")
    args = parser.parse_args(argv)
    args.locales = list(dict.fromkeys(args.locales))
    if args.retrain_lag < 0:
        parser.error(f"--retrain-lag must be 0 or more, got {args.retrain_lag}")
    return args


# ------------------------------------------------------------------------------------------------ data


def read_massive(folder: Path, locale: str) -> dict[str, list[dict]]:
    """Records of a locale by partition, from `<locale>.jsonl` or `<locale>.<partition>.jsonl[.gz]` files."""
    if not folder.is_dir():
        raise InputContractError(f"{folder}: no such folder; give MASSIVE 1.1's folder with --massive "
                                 "(make loop MASSIVE=DIR)")
    files = sorted(folder.glob(f"{locale}.jsonl")) + sorted(folder.glob(f"{locale}.*.jsonl*"))
    if not files:
        raise InputContractError(f"{folder}: no MASSIVE file for {locale} ({locale}.jsonl or {locale}.test.jsonl)")
    by_partition: dict[str, dict[str, dict]] = {}
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    partition, key = record["partition"], str(record["id"])
                    record["utt"], record["intent"], record["annot_utt"]  # noqa: B018 - the fields used
                except (ValueError, KeyError, TypeError) as error:
                    raise InputContractError(f"{path}:{number}: not a MASSIVE record ({error})") from None
                by_partition.setdefault(partition, {})[key] = record  # a record in two files counts once
    return {partition: list(records.values()) for partition, records in by_partition.items()}


def split_locale(
    locale: str, partitions: dict[str, list[dict]], seed: int, seed_records: int | None = None
) -> LocaleData:
    """Train, goal and test records: goals never overlap the training data, and test is used only to score.
    With `seed_records`, only that many of the training records train (`launch_seed`)."""
    data = _split_locale(locale, partitions, seed)
    if seed_records is None or seed_records >= len(data.train):
        return data
    drawn = launch_seed(data.train, seed_records, seed)
    if len({r["intent"] for r in drawn}) < 2:
        raise InputContractError(f"{locale}: {seed_records} seed records hold fewer than 2 intents")
    return LocaleData(locale, drawn, data.goals, data.test, f"{seed_records} of {data.train_source}")


def launch_seed(records: list[dict], count: int, seed: int) -> list[dict]:
    """`count` records drawn by a hash of the id, spread over the intents: the first of every intent, then the
    second of every intent, and so on. A language launches with a few examples written for each intent it
    serves; a plain hash draw of 300 among 57 intents leaves some with none, and a model that does not know an
    intent fails its every request whatever users teach it, since no phrasing of it can ever work."""
    by_hash = sorted(records, key=lambda r: derive_seed(seed, "launch-seed", r["id"]))
    rank_in_intent: dict[str, int] = {}
    ranks = []
    for record in by_hash:
        ranks.append(rank_in_intent.get(record["intent"], 0))
        rank_in_intent[record["intent"]] = ranks[-1] + 1
    order = sorted(range(len(by_hash)), key=lambda i: (ranks[i], i))
    return [by_hash[i] for i in order[:count]]


def _split_locale(locale: str, partitions: dict[str, list[dict]], seed: int) -> LocaleData:
    if not partitions.get("test"):
        raise InputContractError(f"{locale}: no test partition to score the models on")
    if partitions.get("train"):
        if not partitions.get("dev"):
            raise InputContractError(f"{locale}: no dev partition to draw the simulated users' goals from")
        return LocaleData(locale, partitions["train"], partitions["dev"], partitions["test"], "train")
    dev = partitions.get("dev") or []
    in_train = [derive_seed(seed, "loop-split", r["id"]) % 1000 < DEV_TRAIN_SHARE * 1000 for r in dev]
    train = [r for r, chosen in zip(dev, in_train) if chosen]
    goals = [r for r, chosen in zip(dev, in_train) if not chosen]
    if len({r["intent"] for r in train}) < 2 or not goals:
        raise InputContractError(f"{locale}: no train partition and too few dev records to split")
    return LocaleData(locale, train, goals, partitions["test"], f"{DEV_TRAIN_SHARE:.0%} of dev")


def read_mined_records(published: str, locale: str) -> list[dict]:
    path = Path(published) / "training" / f"{locale}.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# ----------------------------------------------------------------------------------------------- model


def train(data: LocaleData, mined: list[dict], encode, baseline: nlu.IntentModel | None = None):
    """The baseline (trained on the annotated data), or, with mined records, the baseline patched with a model
    retrained on both (`nlu.classifier.patched_model`), each record weighted as `nlu.classifier.mined_record_weight`."""
    texts, intents = [r["utt"] for r in data.train], [r["intent"] for r in data.train]
    baseline = baseline or nlu.train_intent_model(texts, intents, encode)
    return nlu.patched_model(
        baseline, texts, intents, [r["utt"] for r in mined], [r["intent"] for r in mined],
        [nlu.mined_record_weight(r["weight"], r["support_users"]) for r in mined],
    )


def correct_on_test(model: nlu.IntentModel, data: LocaleData) -> list[bool]:
    predicted = model.predict([r["utt"] for r in data.test])
    return [p == r["intent"] for p, r in zip(predicted, data.test, strict=True)]


def compare(data: LocaleData, before: list[bool], after: list[bool], seed: int) -> dict:
    """Held-out accuracy before and after, the intents that regressed, and the verdict."""
    intents = [r["intent"] for r in data.test]
    accuracy = nlu.paired_bootstrap(before, after, seed=seed)
    regressed = nlu.regressed_intents(intents, before, after)
    verdict = nlu.is_regression(accuracy, regressed, len(set(intents)))
    return {"accuracy": accuracy, "test_utterances": len(intents), "regressed_intents": regressed,
            "regression": verdict}


# -------------------------------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> dict:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from miner.embeddings import load_static_encoder
    from miner.models import resolve_model_path
    from pipeline.runner import run_daily
    from reporting.page import write_published_dashboards

    clock = time.monotonic()
    out = Path(args.out)
    _prepare(out, args.overwrite)
    config = load_config(args.config)
    encoder = load_static_encoder(resolve_model_path(config.embedding_model))
    if encoder is None:
        raise ValueError(f"the loop's NLU needs the packaged static encoder, not {config.embedding_model!r}")
    encode = encoder.encode

    data = {
        loc: split_locale(loc, read_massive(Path(args.massive), loc), args.seed, args.seed_records)
        for loc in args.locales
    }
    baselines, models, correct, report = {}, {}, {}, {"locales": {}, "days": []}
    retrained_models: list[dict] = []  # by day: each locale's model retrained on that day's publish
    for locale, split in data.items():
        step = time.monotonic()
        models[locale] = baselines[locale] = train(split, [], encode)
        correct[locale] = correct_on_test(models[locale], split)
        baseline = round(100.0 * sum(correct[locale]) / len(correct[locale]), 2)
        report["locales"][locale] = {
            "train_source": split.train_source, "train_records": len(split.train), "goal_records": len(split.goals),
            "test_utterances": len(split.test), "baseline_accuracy": baseline,
        }
        log(f"[loop] {locale}: baseline trained on {len(split.train):,} records ({split.train_source}) in "
            f"{time.monotonic() - step:.1f}s; test accuracy {baseline:.2f}% on {len(split.test):,} utterances")
    baseline_correct = dict(correct)
    all_failures: dict[str, dict[str, dict]] = {locale: {} for locale in data}  # every day's, by phrasing

    previous_published, serving_rewrites, serving_rejections, ever_withdrawn = None, {}, {}, set()
    for offset in range(args.days):
        day = args.first_day + dt.timedelta(days=offset)
        step = time.monotonic()
        sim_dir = out / "sim" / day.isoformat()
        serving = _serving_models(retrained_models, baselines, args.retrain_lag)
        runtimes = {
            loc: nlu.RerankedReader(model, *serving_rejections.get(loc, ({}, {})), normalize)
            for loc, model in serving.items()
        }
        write_simulation(
            sim_dir, {loc: split.goals for loc, split in data.items()}, args.users, day, args.seed,
            SIMULATED_FILES, readers=runtimes, traffic_seed=derive_seed(args.seed, "loop-traffic", day),
            rewrites=serving_rewrites, log=log,
        )
        _move_logs(sim_dir / "logs", out / "logs", day)
        pointer = run_daily(str(out / "logs"), str(out / "root"), day.isoformat(), config, args.master, log)
        published = pointer["path"]
        truth = pq.read_table(sim_dir / "truth.parquet")
        day_report = {"day": day.isoformat(), "published": published, "model": nlu.MODEL_DESCRIPTION,
                      "tolerance_points": nlu.TOLERANCE_POINTS, "locales": {}}
        rewrites, withdrawn, rejected = (
            _published_rows(published, name) for name in ("rewrites", "withdrawn_rewrites", "rejected_readings")
        )
        for locale, split in data.items():
            locale_truth = truth.filter(pc.equal(truth["locale"], locale))
            defects = defect_rates(locale_truth, baselines[locale], serving[locale], runtimes[locale])
            failures = nlu.rephrased_failures(locale_truth, config.min_users)
            _remember(all_failures[locale], failures)
            mined = read_mined_records(published, locale)
            retrained = train(split, mined, encode, baselines[locale])
            after = correct_on_test(retrained, split)
            day_report["locales"][locale] = {
                "defect_rate": defects,
                "rewrites_served": len(serving_rewrites.get(locale, {})),
                "rewrites_published": sum(r["locale"] == locale for r in rewrites),
                "withdrawn_in_force": sum(r["locale"] == locale for r in withdrawn),
                "withdrawn": _newly_withdrawn(withdrawn, locale, ever_withdrawn),
                "rejections_served": sum(map(len, runtimes[locale].rejected.values())),
                "rejections_published": sum(r["locale"] == locale for r in rejected),
                **nlu.fix_rate(retrained, failures, config.min_users),
                "records_added": len(mined),
                **compare(split, correct[locale], after, args.seed),
                "baseline_accuracy": report["locales"][locale]["baseline_accuracy"],
                "since_baseline": nlu.paired_bootstrap(baseline_correct[locale], after, seed=args.seed),
            }
            models[locale], correct[locale] = retrained, after
        retrained_models.append(dict(models))
        write_json(posixpath.join(published, "quality", "nlu.json"), day_report)
        write_published_dashboards(str(out / "root"), {"path": published, "replaced": previous_published}, log)
        previous_published, serving_rewrites = published, rewrite_table(rewrites)
        serving_rejections = rejection_table(rejected)
        day_report["elapsed_s"] = round(time.monotonic() - step, 1)
        report["days"].append(day_report)
        log(format_day(day_report))

    report["summary"] = {
        locale: {
            "defect_rate": _defect_change(report["days"], locale),
            **nlu.fix_rate(models[locale], list(all_failures[locale].values()), config.min_users),
            **compare(split, baseline_correct[locale], correct[locale], args.seed),
        }
        for locale, split in data.items()
    }
    report.update(
        massive=str(args.massive), users_per_locale=args.users, seed=args.seed, model=nlu.MODEL_DESCRIPTION,
        seed_records=args.seed_records, retrain_lag=args.retrain_lag,
        min_rephrasing_users=config.min_users, elapsed_s=round(time.monotonic() - clock, 1),
    )
    write_json(str(out / "loop.json"), report)
    write_text(str(out / "loop.md"), markdown_report(report))
    write_text(str(out / "loop.svg"), curve_svg(report))
    log(f"[loop] done in {report['elapsed_s']:.0f}s: {out / 'loop.md'}")
    return report


def _newly_withdrawn(withdrawn: list[dict], locale: str, ever_withdrawn: set) -> list[dict]:
    """The rewrites of `locale` a publish withdrew that no earlier publish had (a withdrawal stays in force
    while its failures last, so each publish lists it again), most served first."""
    fields = ("source", "target", "target_intent", "reason", "served_users", "failed_users")
    new = [r for r in withdrawn if r["locale"] == locale and (locale, r["source"], r["target"]) not in ever_withdrawn]
    ever_withdrawn.update((locale, r["source"], r["target"]) for r in new)
    return sorted(({key: r[key] for key in fields} for r in new), key=lambda r: (-r["served_users"], r["source"]))


def _serving_models(retrained_models: list[dict], baselines: dict, lag: int) -> dict:
    """The models serving the next day: those retrained `lag` publishes ago, or the baselines before that."""
    return retrained_models[-1 - lag] if len(retrained_models) > lag else baselines


def _published_rows(published: str, name: str) -> list[dict]:
    """A published Parquet dataset's rows (none when Spark wrote no data file for an empty one)."""
    import pyarrow.parquet as pq

    folder = Path(published) / name
    return pq.read_table(folder).to_pylist() if any(folder.rglob("*.parquet")) else []


def _defect_change(days: list[dict], locale: str) -> dict:
    """The served defect rate on the first and the last day, and its relative change."""
    first, last = (days[i]["locales"][locale]["defect_rate"]["served"] for i in (0, -1))
    return {"first_day": first, "last_day": last, "relative_change": relative_change(first, last)}


def _remember(seen: dict[str, dict], failures: list[dict]) -> None:
    """Pool the failing phrasings of the days: a phrasing that fails again counts once, at its largest reach."""
    for failure in failures:
        key = f"{failure['intent']}\x1f{normalize(failure['text'])}"
        known = seen.setdefault(key, dict(failure))
        known["users"] = max(known["users"], failure["users"])
        known["users_helped"] = max(known["users_helped"], failure["users_helped"])


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty; pass --overwrite to replace an earlier loop there")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _move_logs(simulated: Path, logs: Path, day: dt.date) -> None:
    """A day's files into the shared log root, under names of their own: the sessions that ran past midnight
    join the next day's folder next to that day's own files, as late data does."""
    for path in sorted(simulated.glob("date=*/*.parquet")):
        target = logs / path.parent.name / f"sim-{day.isoformat()}-{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)


def main(argv: list[str] | None = None) -> int:
    report = run(parse_args(argv))
    regressed = regressions(report)
    if regressed:
        print(f"rephrase-miner loop: regression on {', '.join(regressed)}", file=sys.stderr)
        return EXIT_REGRESSION
    return 0


if __name__ == "__main__":
    sys.exit(main())
