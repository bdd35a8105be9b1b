"""`rephrase-miner evaluate-encoder`: the multilingual evidence, one command, one table.

    rephrase-miner evaluate-encoder --data DATA --out DIR [--miner-eval FILE] [--cache DIR]
                                    [--encoders multilingual use e5 minilm]

Compares the packaged encoder (`multilingual`), its teachers (`use`, `e5`) and all-MiniLM-L6-v2 (`minilm`):

(a) translation retrieval, top-1 and top-5, mean of both directions: MASSIVE 1.1 **test** en-US<->de-DE and
    en-US<->sw-KE (2,974 sentences each), and xSID **test** English<->each language;
(b) PAWS-X dev, per language: ROC-AUC of the cosine, and accuracy at the threshold that is best on the
    English half (one threshold per encoder, applied to every language);
(c) with --miner-eval, the miner's per-locale figures from `rephrase-miner evaluate` (evaluation.json);
(d) throughput in sentences per second on this machine, over distinct MASSIVE en-US test sentences.

Writes DIR/encoder-evaluation.json and DIR/encoder-evaluation.md and prints the markdown. Teacher
embeddings are cached in --cache (e5 embeds about 70 sentences/s here).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from miner.models import MINILM, MULTILINGUAL, resolve_model_path
from nlu import corpora, retrieval
from nlu.teachers import CachedTeacher

ENCODERS = (MULTILINGUAL, "use", "e5", MINILM)
LABELS = {MULTILINGUAL: "multilingual (ours)", "use": "USE-multilingual (teacher)",
          "e5": "multilingual-e5-small q4 (teacher)", MINILM: "all-MiniLM-L6-v2"}
THROUGHPUT_SENTENCES = {MULTILINGUAL: 20_000, MINILM: 3_000, "use": 3_000, "e5": 300}
XSID_SKIPPED = ("en", "no")  # en is the pivot; `no` has no English alignment


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner evaluate-encoder", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="corpora root (see nlu/corpora.py)")
    parser.add_argument("--out", type=Path, required=True, help="folder for encoder-evaluation.{json,md}")
    parser.add_argument("--miner-eval", type=Path, help="evaluation.json of `rephrase-miner evaluate`")
    parser.add_argument("--cache", type=Path, default=Path(".cache/teachers"), help="teacher embedding cache")
    parser.add_argument("--encoders", nargs="+", choices=ENCODERS, default=list(ENCODERS))
    parser.add_argument("--model", default="", help="folder of the `multilingual` encoder (default: packaged)")
    parser.add_argument("--model-card", type=Path, help="a model card README.md whose Evaluation section to replace")
    return parser.parse_args(argv)


def sentence_transformer_encoder(path: str) -> Callable[[list[str]], np.ndarray]:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu", local_files_only=True)
    return lambda texts: model.encode(texts, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)


def load_encoders(names: list[str], model: str, cache: Path) -> dict[str, Callable]:
    encoders = {}
    for name in names:
        if name in (MULTILINGUAL, MINILM):
            encoders[name] = sentence_transformer_encoder(resolve_model_path(model if name == MULTILINGUAL else name))
        else:
            encoders[name] = CachedTeacher(name, cache, log=lambda line: print(line, flush=True))
    return encoders


def retrieval_sets(root: Path) -> dict[str, list[tuple[str, str]]]:
    sets = {
        "MASSIVE en-US↔de-DE": corpora.massive_parallel(root, "de-DE", ["test"]),
        "MASSIVE en-US↔sw-KE": corpora.massive_parallel(root, "sw-KE", ["test"]),
    }
    for language in corpora.xsid_languages(root):
        if language not in XSID_SKIPPED:
            sets[f"xSID en↔{language}"] = corpora.xsid_parallel(root, language, "test")
    return sets


def evaluate_retrieval(encoders: dict, sets: dict) -> dict:
    results: dict[str, dict] = {}
    for set_name, pairs in sets.items():
        results[set_name] = {"sentences": len(pairs)}
        for name, encode in encoders.items():
            left = encode([english for english, _ in pairs])
            right = encode([translation for _, translation in pairs])
            results[set_name][name] = retrieval.translation_retrieval(left, right)
        print(f"  (a) {set_name}: " + ", ".join(
            f"{name} {results[set_name][name]['top1']:.3f}" for name in encoders), flush=True)
    return results


def evaluate_paws_x(encoders: dict, root: Path) -> dict:
    languages = corpora.paws_x_languages(root)
    pairs = {language: corpora.read_paws_x(root, language) for language in languages}
    results: dict[str, dict] = {language: {"pairs": len(pairs[language])} for language in languages}
    for name, encode in encoders.items():
        scores = {}
        for language, rows in pairs.items():
            scores[language] = retrieval.pair_cosines(encode([a for a, _, _ in rows]), encode([b for _, b, _ in rows]))
        labels = {language: np.array([label for _, _, label in rows]) for language, rows in pairs.items()}
        threshold = retrieval.best_threshold(scores["en"], labels["en"])
        for language in languages:
            results[language][name] = {
                "accuracy": retrieval.accuracy_at(scores[language], labels[language], threshold),
                "roc_auc": retrieval.roc_auc(scores[language], labels[language]),
                "positive_share": float(labels[language].mean()),
            }
        print(f"  (b) PAWS-X {name}: threshold {threshold:.3f}", flush=True)
    return results


def measure_throughput(encoders: dict, root: Path) -> dict:
    texts = list(dict.fromkeys(s.text for s in corpora.read_massive(root, "en-US", ["test"])))
    results = {}
    for name in encoders:
        count = THROUGHPUT_SENTENCES[name]
        sample = (texts * (count // len(texts) + 1))[:count]
        # uncached: the teachers' caches would measure a dictionary lookup
        encode = encoders[name] if name in (MULTILINGUAL, MINILM) else _uncached(name)
        encode(sample[:32])  # warm up: load, first allocation
        clock = time.perf_counter()
        encode(sample)
        results[name] = {"sentences": count, "per_second": count / (time.perf_counter() - clock)}
        print(f"  (d) {name}: {results[name]['per_second']:,.0f} sentences/s", flush=True)
    return results


def _uncached(name: str):
    from nlu.teachers import load_teacher

    return load_teacher(name)


def run(args: argparse.Namespace) -> dict:
    clock = time.monotonic()
    encoders = load_encoders(args.encoders, args.model, args.cache)
    report = {
        "encoders": {name: LABELS[name] for name in encoders},
        "retrieval": evaluate_retrieval(encoders, retrieval_sets(args.data)),
        "paws_x": evaluate_paws_x(encoders, args.data),
        "throughput": measure_throughput(encoders, args.data),
    }
    if args.miner_eval:
        report["miner"] = json.loads(args.miner_eval.read_text(encoding="utf-8"))
    report["elapsed_s"] = round(time.monotonic() - clock, 1)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data.is_dir():
        print(f"rephrase-miner evaluate-encoder: no data folder {args.data}", file=sys.stderr)
        return 2
    report = run(args)
    from nlu.encoder_report import markdown

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoder-evaluation.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", "utf-8")
    text = markdown(report)
    (args.out / "encoder-evaluation.md").write_text(text, encoding="utf-8")
    if args.model_card:
        update_model_card(args.model_card, text, report)
    print(text)
    return 0


def update_model_card(card: Path, tables: str, report: dict) -> None:
    from nlu.train_encoder import EVALUATION_HEADING

    head = card.read_text(encoding="utf-8").partition(EVALUATION_HEADING)[0]
    note = ("\nMeasured by `rephrase-miner evaluate-encoder` on test partitions never used in training "
            f"(MASSIVE 1.1 test, xSID test) and PAWS-X dev; {report['elapsed_s']:.0f} s on a 2-core CPU.\n\n")
    card.write_text(head + EVALUATION_HEADING + note + tables, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
