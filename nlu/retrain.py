"""Retrain the baseline intent classifier with a published run's training records, and score both models:
what the `nlu_retrain` DAG does for each published run (docs/operations.md, "Retraining on each published run").

For each locale:

* **annotated data**: the locale's MASSIVE records in `baseline_train`, a folder of `<locale>.jsonl` or
  `<locale>.<partition>.jsonl[.gz]` files, as `rephrase-miner loop --massive` reads them (by default the
  packaged subset, `miner/data/massive`); every partition but `test`, which never trains a model;
* **evaluation**: the locale's records in `evaluation` (the same layout; its `test` partition where it has
  one), and annotated records with an id in it are not trained on. Without one (or without the locale in
  it), `holdout_share` of the annotated records, chosen by a hash of the record id, is held out instead;
* **models**: the baseline, trained on the annotated records, and the retrained one, the baseline patched
  with a model trained on the annotated and the published records (`nlu.loop.train`);
* **scores**: held-out accuracy of both, the change with its paired bootstrap interval, the intents that
  regressed and the verdict (`nlu.loop.compare`).

A locale without published records, or without annotated records, is reported as skipped, with the reason.
A malformed published record is an error that names its file and line.
"""

from __future__ import annotations

import functools
import json
import posixpath
import time
from importlib import resources
from pathlib import Path

from nlu import classifier as nlu
from nlu.loop import LocaleData, compare, correct_on_test, read_massive, train
from pipeline.config import RetrainConfig
from pipeline.errors import InputContractError
from pipeline.storage import data_files, exists, filesystem, write_json
from simulation.draws import derive_seed

PACKAGED_MASSIVE = Path(str(resources.files("miner").joinpath("data", "massive")))
SCORES_FILE = "scores.json"
TEST_PARTITION = "test"

log = functools.partial(print, flush=True)


# ------------------------------------------------------------------------------------------------ data


def published_locales(training_dir: str) -> list[str]:
    """The locales a published run has training records for (`training/<locale>.jsonl`)."""
    if not exists(training_dir):
        raise InputContractError(f"{training_dir}: the published run has no training folder")
    names = (posixpath.basename(f.uri) for f in data_files(training_dir))
    return sorted(name.removesuffix(".jsonl") for name in names if name.endswith(".jsonl"))


def read_published_records(training_dir: str, locale: str) -> list[dict]:
    """The published training records of a locale (none when its file is missing), each checked for the
    fields retraining uses: a malformed record stops the retraining with its file and line."""
    path = posixpath.join(training_dir, f"{locale}.jsonl")
    if not exists(path):
        return []
    fs, local_path = filesystem(path)
    with fs.open_input_stream(local_path) as stream:
        lines = stream.read().decode("utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            problem = _training_record_problem(record, locale)
        except ValueError as error:
            problem = f"not JSON ({error})"
        if problem:
            raise InputContractError(f"{path}:{number}: not a training record: {problem}")
        records.append(record)
    return records


def _training_record_problem(record, locale: str) -> str:
    """What makes `record` unusable as a training record of `locale` (schemas.outputs.TRAINING), or ''."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for name in ("utt", "intent"):
        if not isinstance(record.get(name), str) or not record[name].strip():
            return f"'{name}' must be a non-empty string"
    if record.get("locale") != locale:
        return f"its locale {record.get('locale')!r} is not the file's ({locale})"
    weight, users = record.get("weight"), record.get("support_users")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not (0 < weight <= 1):
        return f"'weight' must be a number in (0, 1], not {weight!r}"
    if isinstance(users, bool) or not isinstance(users, int) or users < 1:
        return f"'support_users' must be a positive integer, not {users!r}"
    return ""


def has_annotated(folder: Path, locale: str) -> bool:
    """Whether `folder` holds MASSIVE files of `locale`, in the layout `nlu.loop.read_massive` reads."""
    return any(folder.glob(f"{locale}.jsonl")) or any(folder.glob(f"{locale}.*.jsonl*"))


def held_out(record_id: str, share: float, seed: int) -> bool:
    """Whether an annotated record is held out for evaluation: by a hash of its id, so the choice is the same
    on every run and every machine, and a record added later does not move the others."""
    return derive_seed(seed, "nlu-retrain-holdout", record_id) % 1000 < share * 1000


def locale_data(
    locale: str, baseline_train: Path, evaluation: Path | None, config: RetrainConfig,
) -> tuple[LocaleData, str]:
    """The annotated records to train on and the held-out records to score on, and where the latter came from."""
    annotated = [
        record for partition, records in read_massive(baseline_train, locale).items()
        if partition != TEST_PARTITION for record in records
    ]
    if evaluation is not None and has_annotated(evaluation, locale):
        partitions = read_massive(evaluation, locale)
        test = partitions.get(TEST_PARTITION) or [r for records in partitions.values() for r in records]
        scored = {str(r["id"]) for r in test}
        trained = [r for r in annotated if str(r["id"]) not in scored]
        source = str(evaluation)
    else:
        chosen = [held_out(str(r["id"]), config.holdout_share, config.seed) for r in annotated]
        trained = [r for r, out in zip(annotated, chosen, strict=True) if not out]
        test = [r for r, out in zip(annotated, chosen, strict=True) if out]
        source = f"{config.holdout_share:.0%} of {baseline_train} held out by record id"
    if len({r["intent"] for r in trained}) < 2:
        raise InputContractError(f"{locale}: fewer than two intents left to train the baseline on in {baseline_train}")
    if not test:
        raise InputContractError(f"{locale}: no held-out records to score the models on ({source})")
    return LocaleData(locale, trained, [], test, str(baseline_train)), source


# ----------------------------------------------------------------------------------------------- models


def retrain_locale(data: LocaleData, mined: list[dict], encode, seed: int, evaluation_source: str = "") -> dict:
    """Train the baseline and the retrained model of one locale, and score both on its held-out records."""
    baseline = train(data, [], encode)
    retrained = train(data, mined, encode, baseline)
    before, after = correct_on_test(baseline, data), correct_on_test(retrained, data)
    return {
        "records_added": len(mined),
        "train_records": len(data.train),
        "evaluation": evaluation_source,
        **compare(data, before, after, seed),
    }


def retrain_published(
    published_path: str, baseline_train: Path, evaluation: Path | None, locales: list[str], config: RetrainConfig,
    encode, log=log,
) -> dict:
    """Scores of the baseline and the model retrained with the published run's records, per locale.

    `locales`: the locales to retrain; empty, every locale the published run has training records for.
    """
    training_dir = posixpath.join(published_path, "training")
    wanted = list(dict.fromkeys(locales)) or published_locales(training_dir)
    report = {
        "published": published_path, "model": nlu.MODEL_DESCRIPTION, "baseline_train": str(baseline_train),
        "evaluation": str(evaluation) if evaluation else None, "holdout_share": config.holdout_share,
        "seed": config.seed, "tolerance_points": nlu.TOLERANCE_POINTS, "locales": {}, "skipped": {},
    }
    for locale in wanted:
        mined = read_published_records(training_dir, locale)
        if not mined:
            report["skipped"][locale] = "no published training records"
        elif not has_annotated(baseline_train, locale):
            report["skipped"][locale] = f"no annotated records in {baseline_train}"
        if locale in report["skipped"]:
            log(f"[nlu_retrain] {locale}: skipped, {report['skipped'][locale]}")
            continue
        started = time.monotonic()
        data, evaluation_source = locale_data(locale, baseline_train, evaluation, config)
        log(f"[nlu_retrain] {locale}: training on {len(data.train):,} annotated + {len(mined):,} published records, "
            f"scoring on {len(data.test):,} ({evaluation_source})")
        scores = report["locales"][locale] = retrain_locale(data, mined, encode, config.seed, evaluation_source)
        log(f"[nlu_retrain] {format_scores(locale, scores)} ({time.monotonic() - started:.1f}s)")
    report["regressed_locales"] = [locale for locale, scores in report["locales"].items() if scores["regression"]]
    return report


def format_scores(locale: str, scores: dict) -> str:
    a = scores["accuracy"]
    regressed = ", ".join(r["intent"] for r in scores["regressed_intents"]) or "none"
    return (f"{locale}: held-out accuracy {a['before']:.2f}% -> {a['after']:.2f}% "
            f"({a['delta']:+.2f} points, {a['level']:.0%} interval [{a['low']:+.2f}, {a['high']:+.2f}]) on "
            f"{scores['test_utterances']:,} utterances; regressed intents: {regressed}"
            + ("; REGRESSION" if scores["regression"] else ""))


def packaged_encoder():
    """The packaged static encoder's `encode`, as the loop's classifier uses it."""
    from miner.embeddings import load_static_encoder
    from miner.models import resolve_model_path

    return load_static_encoder(resolve_model_path("")).encode


def write_scores(out_dir: str, report: dict) -> str:
    path = posixpath.join(out_dir, SCORES_FILE)
    write_json(path, report)
    return path
