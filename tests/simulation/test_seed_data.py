"""The xSID seed files: the converter on hand-written CoNLL, and the shipped files themselves."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from miner.massive import parse_annot_utt
from nlu import corpora
from simulation import seed_data, simulate

# xSID's layout: comments, then token, word, intent, BIO slot. ja is tokenized finer than words ("今", "日").
JA_CONLL = """\
# id = 1
# text-en = Is it going to rain today?
# text = 今日 は 雨 が 降り ます か ？
# intent = weather/find
1\t今\tweather/find\tB-datetime
2\t日\tweather/find\tI-datetime
3\tは\tweather/find\tO
4\t雨\tweather/find\tB-weather/attribute
5\tが\tweather/find\tO
6\t降\tweather/find\tO
7\tり\tweather/find\tO
8\tます\tweather/find\tO
9\tか\tweather/find\tO
10\t？\tweather/find\tO

# id = 2
# text-en = how hot is it going to be today
# text = 今日 は どれ くらい 暑く なり ます か
# intent = weather/find
1\t今\tweather/find\tB-datetime
2\t日\tweather/find\tI-datetime
3\tは\tweather/find\tO
4\tどれ\tweather/find\tO
5\tくらい\tweather/find\tO
6\t暑\tweather/find\tB-weather/attribute
7\tく\tweather/find\tI-weather/attribute
8\tなり\tweather/find\tO
9\tます\tweather/find\tO
10\tか\tweather/find\tO

# id = 3
# text-en = set an alarm for 6:15
# text = アラーム を 6 時 1 5 分 に 設定
# intent = alarm/set_alarm
1\tアラーム\talarm/set_alarm\tO
2\tを\talarm/set_alarm\tO
3\t6\talarm/set_alarm\tB-datetime
4\t時\talarm/set_alarm\tI-datetime
5\t1\talarm/set_alarm\tI-datetime
6\t5\talarm/set_alarm\tI-datetime
7\t分\talarm/set_alarm\tI-datetime
8\tに\talarm/set_alarm\tO
9\t設定\talarm/set_alarm\tO
"""

ZH_CONLL = """\
# id = 7
# text-en = give Half a Life 3 out of 6
# text = 我 会 给 Half a Life 6分 中 的 3分
# intent = RateBook
1\t我\tRateBook\tO
2\t会\tRateBook\tO
3\t给\tRateBook\tO
4\tHalf\tRateBook\tB-object_name
5\ta\tRateBook\tI-object_name
6\tLife\tRateBook\tI-object_name
7\t6分\tRateBook\tB-best_rating
8\t中\tRateBook\tO
9\t的\tRateBook\tO
10\t3分\tRateBook\tB-rating_value
"""

AR_CONLL = """\
# id = 3
# text-en = How hot is it?
# text = كم حرارة الجو ؟
# intent = weather/find
1\tكم\tweather/find\tO
2\tحرارة\tweather/find\tB-weather/attribute
3\tالجو\tweather/find\tI-weather/attribute
4\t؟\tweather/find\tO
"""


def _data_root(tmp_path: Path) -> Path:
    folder = tmp_path / "xsid"
    folder.mkdir()
    (folder / "ja.valid.conll").write_text(JA_CONLL, encoding="utf-8")
    (folder / "zh.valid.conll").write_text(ZH_CONLL, encoding="utf-8")
    (folder / "ar.valid.conll").write_text(AR_CONLL, encoding="utf-8")
    # a test partition that must never be read
    (folder / "ja.test.conll").write_text(JA_CONLL.replace("今", "昨"), encoding="utf-8")
    return tmp_path


def test_japanese_tokens_join_without_spaces_and_a_multi_token_slot_is_one_value(tmp_path):
    records = seed_data.seed_records(_data_root(tmp_path), "ja-JP")

    assert [r["utt"] for r in records] == ["今日は雨が降りますか？", "今日はどれくらい暑くなりますか", "アラームを6時15分に設定"]
    assert [r["annot_utt"] for r in records] == [
        "[datetime : 今日]は[weather_attribute : 雨]が降りますか？",
        "[datetime : 今日]はどれくらい[weather_attribute : 暑く]なりますか",  # B- then I- of a slot with '/'
        "アラームを[datetime : 6時15分]に設定",  # digits join: 1 5 -> 15
    ]
    assert records[0] == {
        "id": "1", "locale": "ja-JP", "partition": "valid", "scenario": "weather", "intent": "weather_query",
        "utt": "今日は雨が降りますか？", "annot_utt": "[datetime : 今日]は[weather_attribute : 雨]が降りますか？",
    }
    assert records[2]["intent"] == "alarm_set" and records[2]["scenario"] == "alarm"
    assert all(parse_annot_utt(r["annot_utt"])[0] == r["utt"] for r in records)


def test_latin_words_inside_chinese_keep_their_spaces_and_arabic_stays_spaced(tmp_path):
    root = _data_root(tmp_path)
    (zh,) = seed_data.seed_records(root, "zh-CN")
    (ar,) = seed_data.seed_records(root, "ar-SA")

    assert zh["utt"] == "我会给Half a Life 6分中的3分"
    assert zh["annot_utt"] == "我会给[object_name : Half a Life] [best_rating : 6分]中的[rating_value : 3分]"
    assert (zh["intent"], zh["scenario"]) == ("book_rate", "book")
    assert ar["utt"] == "كم حرارة الجو ؟"
    assert ar["annot_utt"] == "كم [weather_attribute : حرارة الجو] ؟"
    # without keep_latin_spaces the reader keeps its old joining for other uses
    (plain,) = corpora.parse_xsid(ZH_CONLL, joiner="")
    assert plain.text == "我会给HalfaLife6分中的3分"
    assert parse_annot_utt(plain.annot_utt)[0] == plain.text


def test_main_writes_reproducible_gzip_files_from_the_valid_partition_only(tmp_path, capsys):
    root = _data_root(tmp_path)
    out = tmp_path / "out"

    assert seed_data.main(["--data", str(root), "--out", str(out)]) == 0
    first = {path.name: path.read_bytes() for path in sorted(out.iterdir())}
    assert seed_data.main(["--data", str(root), "--out", str(out), "--locales", "ja-JP"]) == 0

    assert sorted(first) == ["ar-SA.valid.jsonl.gz", "ja-JP.valid.jsonl.gz", "zh-CN.valid.jsonl.gz"]
    assert (out / "ja-JP.valid.jsonl.gz").read_bytes() == first["ja-JP.valid.jsonl.gz"]
    lines = gzip.decompress(first["ja-JP.valid.jsonl.gz"]).decode("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["1", "2", "3"]
    assert "昨" not in "".join(lines)  # the test partition was not read
    assert "ja-JP.valid.jsonl.gz: 3 records" in capsys.readouterr().out


def test_an_unknown_intent_is_an_error(tmp_path):
    root = _data_root(tmp_path)
    (root / "xsid" / "ar.valid.conll").write_text(AR_CONLL.replace("weather/find", "weather/forecast"), "utf-8")

    with pytest.raises(ValueError, match="weather/forecast"):
        seed_data.seed_records(root, "ar-SA")


def test_the_shipped_files_are_the_valid_partitions_and_strip_back_to_their_text():
    records = simulate.load_seed_records(["ja-JP", "zh-CN", "ar-SA"])

    assert {locale: len(rs) for locale, rs in records.items()} == {"ja-JP": 150, "zh-CN": 300, "ar-SA": 300}
    for locale, rs in records.items():
        assert len({r["id"] for r in rs}) == len(rs)
        for r in rs:
            assert set(r) == {"id", "locale", "partition", "scenario", "intent", "utt", "annot_utt"}
            assert (r["locale"], r["partition"]) == (locale, "valid")
            assert r["intent"] in seed_data.XSID_INTENTS.values() and r["scenario"] == r["intent"].split("_")[0]
            assert parse_annot_utt(r["annot_utt"])[0] == r["utt"]
    assert simulate.parse_args(["--out", "o", "--locales", "ja-JP", "zh-CN", "ar-SA"]).locales == [
        "ja-JP", "zh-CN", "ar-SA"
    ]


SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.mark.skipif(not (SHARED_DATA / "xsid").is_dir(), reason="the shared xSID data is not beside the repository")
def test_the_shipped_files_are_what_the_converter_writes(tmp_path):
    seed_data.main(["--data", str(SHARED_DATA), "--out", str(tmp_path)])
    shipped = Path(seed_data.__file__).resolve().parents[1] / "miner" / "data" / "xsid"

    for locale in seed_data.XSID_LOCALES:
        name = f"{locale}.valid.jsonl.gz"
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name
