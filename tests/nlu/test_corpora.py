"""The corpus readers, on tiny files written in the layout of nlu/corpora.py."""

import json

import pytest

from nlu import corpora


def _massive(root, locale, partition, records):
    folder = root / "massive" / "1.1"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": i, "partition": partition, "utt": u, "intent": "alarm_set", "annot_utt": u})
             for i, u in records]
    (folder / f"{locale}.{partition}.jsonl").write_text("\n".join(lines) + "\n\n", encoding="utf-8")


def test_massive_parallel_pairs_by_id_and_skips_unmatched(tmp_path):
    _massive(tmp_path, "en-US", "dev", [("1", "wake me up"), ("2", "play jazz"), ("3", "stop")])
    _massive(tmp_path, "de-DE", "dev", [("2", "spiel jazz"), ("1", "weck mich"), ("9", "ohne partner")])
    assert corpora.massive_parallel(tmp_path, "de-DE", ["dev"]) == [("play jazz", "spiel jazz"), ("wake me up", "weck mich")]


def test_massive_reads_a_single_file_per_locale_filtered_by_partition(tmp_path):
    folder = tmp_path / "massive" / "1.1"
    folder.mkdir(parents=True)
    rows = [{"id": "1", "partition": "train", "utt": "a", "intent": "x", "annot_utt": "a"},
            {"id": "2", "partition": "test", "utt": "b", "intent": "x", "annot_utt": "b"}]
    (folder / "en-US.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [s.text for s in corpora.read_massive(tmp_path, "en-US", ["train"])] == ["a"]
    with pytest.raises(FileNotFoundError, match="no MASSIVE de-DE"):
        corpora.read_massive(tmp_path, "de-DE", ["dev"])


def test_xsid_parallel_matches_through_the_english_text_and_keeps_the_first(tmp_path):
    (tmp_path / "xsid").mkdir()
    conll = "\n\n".join(
        f"# id = {i}\n# text-en = {en}\n# text = {text}\n# intent = alarm/set_alarm\n"
        + "\n".join(f"{n}\t{w}\talarm/set_alarm\tO" for n, w in enumerate(text.split(), 1))
        for i, (en, text) in enumerate([("Wake me up", "Weck mich"), ("Wake me up", "Weck mich auf"),
                                        ("Stop", "Stopp")])
    )
    (tmp_path / "xsid" / "de.test.conll").write_text(conll + "\n", encoding="utf-8")
    assert corpora.xsid_parallel(tmp_path, "de", "test") == [("Wake me up", "Weck mich"), ("Stop", "Stopp")]
    assert corpora.xsid_languages(tmp_path) == ["de"]


def test_paws_x_skips_the_header_and_malformed_lines(tmp_path):
    (tmp_path / "paws-x").mkdir()
    (tmp_path / "paws-x" / "dev-de.tsv").write_text(
        "sentence1\tsentence2\tlabel\nA\tB\t1\nC\tD\t0\nbroken line\n\tE\t1\n", encoding="utf-8")
    assert corpora.read_paws_x(tmp_path, "de") == [("A", "B", 1), ("C", "D", 0)]
    assert corpora.paws_x_languages(tmp_path) == ["de"]
