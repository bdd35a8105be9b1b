"""Readers for the public corpora the encoder is trained and measured on (paths always come as arguments).

Layout expected under a data root (the project's ../shared/data; see README, Multilingual encoder):

    massive/1.1/<locale>.jsonl | <locale>.<partition>.jsonl     MASSIVE 1.1, parallel by `id`
    xsid/<lang>.<valid|test>.conll                               xSID 0.7, parallel by `# id`
    paws-x/dev-<lang>.tsv                                        PAWS-X dev: sentence1, sentence2, label
    slurp/devel.jsonl, snips-nlu-benchmark/..., clinc150/data_full.json   English commands

Every reader returns plain Python records; none reads a test partition unless asked for it by name.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Iterable, NamedTuple

# xSID writes Chinese and Japanese with spaces between words; users' text has none.
UNSPACED_XSID_LANGUAGES = frozenset({"ja", "zh"})


class Sentence(NamedTuple):
    id: str
    text: str
    intent: str
    annot_utt: str  # MASSIVE-style inline slots: "wake me up at [time : seven am]"
    english: str = ""  # xSID: the English sentence this one translates (`# text-en`)


def read_massive(root: Path, locale: str, partitions: Iterable[str]) -> list[Sentence]:
    """MASSIVE 1.1 records of `locale` in `partitions`, in file order; per-locale files or split ones."""
    wanted = set(partitions)
    folder = root / "massive" / "1.1"
    files = [folder / f"{locale}.{partition}.jsonl" for partition in sorted(wanted)]
    if not all(path.exists() for path in files):
        files = [folder / f"{locale}.jsonl"]
    if not files[0].exists():
        raise FileNotFoundError(f"no MASSIVE {locale} file for {sorted(wanted)} under {folder}")
    sentences = []
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    record = json.loads(line)
                    if record["partition"] in wanted:
                        sentences.append(Sentence(record["id"], record["utt"], record["intent"], record["annot_utt"]))
    if not sentences:
        raise FileNotFoundError(f"no MASSIVE {locale} records of {sorted(wanted)} under {folder}")
    return sentences


def xsid_languages(root: Path) -> list[str]:
    """The languages with a test file, sorted."""
    return sorted(path.name.split(".")[0] for path in (root / "xsid").glob("*.test.conll"))


def read_xsid(root: Path, language: str, partition: str, keep_latin_spaces: bool = False) -> list[Sentence]:
    """xSID sentences of one language and partition (`valid` or `test`), with slots as MASSIVE annotations.

    `keep_latin_spaces`: in ja/zh, keep the space between two words of a spaced script, as users type
    them ("Half a Life", "12 Soulful"; digits still join: "2 0" -> "20"). Off, every token joins without one.
    """
    path = root / "xsid" / f"{language}.{partition}.conll"
    joiner = "" if language in UNSPACED_XSID_LANGUAGES else " "
    return parse_xsid(path.read_text(encoding="utf-8"), joiner=joiner, keep_latin_spaces=keep_latin_spaces)


def parse_xsid(conll: str, joiner: str = " ", keep_latin_spaces: bool = False) -> list[Sentence]:
    """Sentences of an xSID CoNLL file. The text is rebuilt from the tokens, joined by `joiner`, so that
    slot spans line up; consecutive B-/I- tokens of one slot become one `[slot : value]` (slot names with
    `/` written with `_`). `keep_latin_spaces` with joiner "": see `read_xsid`."""
    sentences = []
    for block in conll.split("\n\n"):
        meta: dict[str, str] = {}
        tokens: list[tuple[str, str]] = []
        for line in block.splitlines():
            if line.startswith("# ") and " = " in line:
                key, _, value = line[2:].partition(" = ")
                meta[key.strip()] = value.strip()
            elif line and not line.startswith("#"):
                fields = line.split("\t")
                if len(fields) >= 4:
                    tokens.append((fields[1], fields[3]))
        if tokens and "intent" in meta:
            text, annotation = _xsid_annotation(tokens, joiner, keep_latin_spaces)
            english = meta.get("text-en", meta.get("text", ""))
            sentences.append(Sentence(meta.get("id", str(len(sentences))), text, meta["intent"], annotation, english))
    return sentences


def _xsid_annotation(tokens: list[tuple[str, str]], joiner: str, keep_latin_spaces: bool = False) -> tuple[str, str]:
    """(text, annotation) of one sentence's (word, BIO tag) tokens; the annotation strips back to the text."""
    text: list[str] = []
    annotated: list[str] = []
    slot_name = ""  # the open slot, as written in the annotation

    for position, (word, tag) in enumerate(tokens):
        separator = "" if position == 0 else _token_separator(tokens[position - 1][0], word, joiner, keep_latin_spaces)
        text.append(separator + word)
        name = tag[2:].replace("/", "_") if tag.startswith(("B-", "I-")) else ""
        if tag.startswith("I-") and name == slot_name:
            annotated.append(separator + word)  # the slot goes on
            continue
        if slot_name:
            annotated.append("]")
        annotated.append(separator)
        annotated.append(f"[{name} : {word}" if name else word)
        slot_name = name
    if slot_name:
        annotated.append("]")
    return "".join(text), "".join(annotated)


def _token_separator(previous: str, word: str, joiner: str, keep_latin_spaces: bool) -> str:
    """What goes between two tokens: `joiner`; but with `keep_latin_spaces` in unspaced text, a space
    between words of a spaced script (a letter or digit, or , . : ; ! ? on the left), never between digits."""
    if joiner or not keep_latin_spaces or not previous or not word:
        return joiner
    left, right = previous[-1], word[0]
    if not _spaced_script_word_char(right) or (left.isdigit() and right.isdigit()):
        return ""
    return " " if _spaced_script_word_char(left) or left in ",.:;!?" else ""


def _spaced_script_word_char(character: str) -> bool:
    """A letter or digit of a script written with spaces: not Han, kana or full-width forms."""
    return character.isalnum() and unicodedata.east_asian_width(character) not in ("W", "F")


def xsid_parallel(root: Path, language: str, partition: str) -> list[tuple[str, str]]:
    """(English, translation) pairs of one xSID language, matched by the English text (ids differ)."""
    pairs = {}
    for sentence in read_xsid(root, language, partition, keep_latin_spaces=True):
        pairs.setdefault(sentence.english, sentence.text)
    return list(pairs.items())


def massive_parallel(root: Path, locale: str, partitions: Iterable[str], pivot: str = "en-US") -> list[tuple[str, str]]:
    """(pivot text, text) pairs of MASSIVE records with the same `id` in both locales."""
    pivot_by_id = {sentence.id: sentence.text for sentence in read_massive(root, pivot, partitions)}
    return [(pivot_by_id[s.id], s.text) for s in read_massive(root, locale, partitions) if s.id in pivot_by_id]


def read_paws_x(root: Path, language: str) -> list[tuple[str, str, int]]:
    """PAWS-X dev pairs of one language: (sentence1, sentence2, label 1 = paraphrase)."""
    pairs = []
    path = root / "paws-x" / f"dev-{language}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[2] in ("0", "1") and fields[0] and fields[1]:
            pairs.append((fields[0], fields[1], int(fields[2])))
    return pairs


def paws_x_languages(root: Path) -> list[str]:
    return sorted(path.stem.removeprefix("dev-") for path in (root / "paws-x").glob("dev-*.tsv"))


def read_english_commands(root: Path) -> list[str]:
    """English assistant commands outside MASSIVE: SLURP devel, Snips train/validate, CLINC150 train/val.
    Their test partitions are never read."""
    texts: list[str] = []
    with (root / "slurp" / "devel.jsonl").open(encoding="utf-8") as lines:
        texts.extend(json.loads(line)["sentence"] for line in lines if line.strip())
    for path in sorted((root / "snips-nlu-benchmark").rglob("*.json")):
        for examples in json.loads(path.read_text(encoding="latin-1")).values():
            for example in examples:
                texts.append("".join(chunk["text"] for chunk in example["data"]))
    clinc = json.loads((root / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    for partition in ("train", "val", "oos_train", "oos_val"):
        texts.extend(text for text, _ in clinc[partition])
    return [text.strip() for text in texts if text.strip()]
