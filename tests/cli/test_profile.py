"""`rephrase-miner profile` on a tiny CSV day: exit 0 when ready, 1 when not, 2 when the files cannot be read
that way."""

from __future__ import annotations

import json

from cli.main import main

CONFIG = """
min_users = 1

[log_format]
format = "csv"
timestamp = "iso"
normalize_locale = true
absent = ["device_id", "slots", "rewritten_utterance"]

[log_format.columns]
event_id = "request"
user_id = "account"
ts = "time"
locale = "market"
utterance = "said"
intent = "intent"
nlu_confidence = "score"
status = "result"

[log_format.status_values]
OK = "success"
FAILED = "error"
"""

CSV = """request,account,time,market,said,intent,score,result
r1,a1,2026-11-30T09:00:00Z,en_US,wake me at seven,,0.2,FAILED
r2,a1,2026-11-30T09:00:06Z,en_US,"set an alarm for seven, please",alarm_set,0.9,OK
r3,a2,2026-11-30T10:00:00Z,en_US,play jazz,play_music,0.8,OK
"""


def write_day(tmp_path, config: str, csv: str = CSV):
    day = tmp_path / "logs" / "date=2026-11-30"
    day.mkdir(parents=True)
    (day / "part-0.csv").write_text(csv)
    (tmp_path / "config.toml").write_text(config)
    return ["profile", "--logs", str(tmp_path / "logs"), "--config", str(tmp_path / "config.toml")]


def test_a_ready_day_exits_0_and_writes_the_page_and_the_json(spark, tmp_path, capsys):
    argv = write_day(tmp_path, CONFIG)
    assert main([*argv, "--html", str(tmp_path / "p.html"), "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'logs'}: READY" in out
    profile = json.loads((tmp_path / "p.json").read_text())
    assert (profile["rows"], profile["pairs_at_floor"], profile["verdict"]["level"]) == (3, 1, "ready")
    assert "Ready to mine?" in (tmp_path / "p.html").read_text()


def test_unmapped_outcomes_exit_1_with_the_column_and_codes_named(spark, tmp_path, capsys):
    argv = write_day(tmp_path, CONFIG, CSV.replace(",OK\n", ",DONE\n"))
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'logs'}: NOT READY" in out
    assert "unknown_status in result: 2 rows, e.g. 'DONE'" in out


def test_a_column_the_csv_lacks_exits_2_before_anything_is_read(spark, tmp_path, capsys):
    argv = write_day(tmp_path, CONFIG.replace('status = "result"', 'status = "outcome"'))
    assert main(argv) == 2
    assert "outcome" in capsys.readouterr().err
