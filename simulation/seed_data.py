"""Write the xSID seed files that ship inside the package for the simulator (ja-JP, zh-CN, ar-SA).

    python -m simulation.seed_data --data DATA_ROOT --out miner/data/xsid

Reads ``DATA_ROOT/xsid/{ja,zh,ar}.valid.conll`` (xSID 0.7; the test partition is never read) and writes
``OUT/{ja-JP,zh-CN,ar-SA}.valid.jsonl.gz`` in MASSIVE's record format, one record per sentence, in file
order, with the keys the simulator's seed loader reads:

    id, locale, partition ("valid"), scenario, intent, utt, annot_utt

* ``utt`` and ``annot_utt`` come from ``nlu.corpora.read_xsid`` (``keep_latin_spaces=True``): ja/zh
  tokens join without spaces, as users type them, except between two words of a spaced script ("Half a
  Life"); slots are MASSIVE ``[slot : value]`` annotations, slot names with ``/`` written with ``_``.
  ``miner.massive.parse_annot_utt(annot_utt)`` gives back exactly ``utt`` (checked before writing).
* ``intent`` is xSID's intent renamed to MASSIVE's ``<scenario>_<action>`` style (``XSID_INTENTS``): the
  MASSIVE intent where MASSIVE has the same one (alarm/set_alarm -> alarm_set, reminders -> calendar_*
  as in MASSIVE), a name in its style otherwise; ``scenario`` is the part before the first ``_``.

The gzip header carries no file name and mtime 0, so a rerun writes byte-identical files.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Sequence

from miner.massive import parse_annot_utt
from nlu.corpora import read_xsid

# shipped locale -> xSID language
XSID_LOCALES = {"ja-JP": "ja", "zh-CN": "zh", "ar-SA": "ar"}
PARTITION = "valid"  # never "test"

# xSID intent -> MASSIVE-style intent (scenario = the part before the first "_")
XSID_INTENTS = {
    "alarm/set_alarm": "alarm_set",
    "alarm/cancel_alarm": "alarm_remove",
    "alarm/show_alarms": "alarm_query",
    "alarm/modify_alarm": "alarm_modify",
    "alarm/snooze_alarm": "alarm_snooze",
    "reminder/set_reminder": "calendar_set",
    "reminder/cancel_reminder": "calendar_remove",
    "reminder/show_reminders": "calendar_query",
    "weather/find": "weather_query",
    "PlayMusic": "play_music",
    "AddToPlaylist": "music_addtoplaylist",
    "BookRestaurant": "restaurant_book",
    "RateBook": "book_rate",
    "SearchCreativeWork": "search_creativework",
    "SearchScreeningEvent": "search_screeningevent",
}


def seed_records(data_root: Path, locale: str) -> list[dict]:
    """The xSID valid sentences of `locale` as MASSIVE-style records, checked to round-trip."""
    records = []
    for sentence in read_xsid(data_root, XSID_LOCALES[locale], PARTITION, keep_latin_spaces=True):
        intent = XSID_INTENTS.get(sentence.intent)
        if intent is None:
            raise ValueError(f"xSID intent {sentence.intent!r} (id {sentence.id}) has no entry in XSID_INTENTS")
        text, _ = parse_annot_utt(sentence.annot_utt)
        if text != sentence.text:
            raise ValueError(f"annotation of xSID {locale} id {sentence.id} does not strip back to its text")
        records.append(
            {
                "id": sentence.id,
                "locale": locale,
                "partition": PARTITION,
                "scenario": intent.split("_")[0],
                "intent": intent,
                "utt": sentence.text,
                "annot_utt": sentence.annot_utt,
            }
        )
    return records


def write_reproducible_gzip(records: Sequence[dict], path: Path) -> None:
    """JSON lines, gzip without a timestamp: the same records always give the same bytes."""
    payload = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulation.seed_data", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data root holding xsid/<lang>.valid.conll")
    parser.add_argument("--out", type=Path, required=True, help="folder for <locale>.valid.jsonl.gz")
    parser.add_argument(
        "--locales", nargs="+", choices=sorted(XSID_LOCALES), default=list(XSID_LOCALES), metavar="LOCALE",
        help=f"locales to write (default: {' '.join(XSID_LOCALES)})",
    )
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    for locale in args.locales:
        records = seed_records(args.data, locale)
        path = args.out / f"{locale}.{PARTITION}.jsonl.gz"
        write_reproducible_gzip(records, path)
        print(f"{path}: {len(records)} records from xsid/{XSID_LOCALES[locale]}.{PARTITION}.conll")
    return 0


if __name__ == "__main__":
    sys.exit(main())
