"""`rephrase-miner simulate`: arguments, seed data, output layout, determinism across worker counts."""

from __future__ import annotations

import collections
import datetime as dt
import hashlib

import pyarrow.parquet as pq
import pytest

from schemas.interactions import INTERACTIONS
from simulation import simulate
from simulation.config import SimulationConfig


def _files(root) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under root."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "out"
    argv = ["--out", str(out), "--users", "300", "--locales", "sw-KE", "de-DE", "--files", "3", "--workers", "1"]
    return out, simulate.main(argv)


def test_parse_args_defaults():
    args = simulate.parse_args(["--out", "/tmp/x"])

    assert args.users == simulate.DEFAULT_USERS == 3000
    assert args.locales == ["en-US", "de-DE", "sw-KE"]
    assert (args.seed, args.date, args.turns, args.overwrite) == (7, dt.date(2026, 11, 30), None, False)


def test_parse_args_reads_every_option():
    args = simulate.parse_args(
        ["--out", "o", "--users", "5", "--locales", "sw-KE", "sw-KE", "en-US", "--seed", "3", "--date", "2027-01-02",
         "--turns", "1000", "--files", "2", "--workers", "4", "--overwrite"]
    )

    assert args.locales == ["sw-KE", "en-US"]  # a repeated locale is simulated once
    assert (args.users, args.seed, args.date, args.turns, args.files, args.workers, args.overwrite) == (
        5, 3, dt.date(2027, 1, 2), 1000, 2, 4, True
    )


@pytest.mark.parametrize(
    "argv",
    [[], ["--out", "o", "--locales", "fr-FR"], ["--out", "o", "--users", "0"], ["--out", "o", "--date", "30.11.2026"]],
)
def test_parse_args_rejects_bad_input(argv, capsys):
    with pytest.raises(SystemExit):
        simulate.parse_args(argv)


def test_seed_records_are_the_shipped_non_test_subsets():
    records = simulate.load_seed_records(["en-US", "de-DE", "sw-KE"])

    assert {locale: len(rs) for locale, rs in records.items()} == {"en-US": 11_514, "de-DE": 2_033, "sw-KE": 2_033}
    assert {r["partition"] for r in records["en-US"]} == {"train"}
    assert {r["partition"] for r in records["de-DE"] + records["sw-KE"]} == {"dev"}
    assert all(r["locale"] == locale for locale, rs in records.items() for r in rs)
    assert set(records["sw-KE"][0]) == {"id", "locale", "partition", "scenario", "intent", "utt", "annot_utt"}


def test_writes_date_partitions_and_a_separate_truth_file(demo, capsys):
    out, code = demo
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))

    assert code == 0
    assert files == [
        "logs/date=2026-11-30/part-00000.parquet",
        "logs/date=2026-11-30/part-00001.parquet",
        "logs/date=2026-11-30/part-00002.parquet",
        "logs/date=2026-12-01/part-00000.parquet",  # sessions that ran past midnight
        "truth.parquet",
    ]


def test_every_log_file_follows_the_input_contract(demo):
    out, _ = demo
    for path in (out / "logs").rglob("*.parquet"):
        schema = pq.read_schema(path)
        assert INTERACTIONS.problems_with(schema) == [], path
        assert schema.names == INTERACTIONS.column_names
        assert [f.type for f in schema] == [f.type for f in INTERACTIONS.arrow_schema]
        assert str(schema.field("ts").type) == "timestamp[us, tz=UTC]"


def test_rows_are_shuffled_across_files_and_account_for_the_truth(demo):
    out, _ = demo
    logs = pq.read_table(out / "logs").to_pylist()  # hive partitions add a `date` column: extra, ignored
    truth = pq.read_table(out / "truth.parquet")
    first_file = pq.read_table(out / "logs" / "date=2026-11-30" / "part-00000.parquet")
    stamps = [t for t in first_file.column("ts").to_pylist() if t is not None]

    assert len(logs) == sum(truth.column("deliveries").to_pylist())
    assert set(truth.column("event_id").drop_null().to_pylist()) == {r["event_id"] for r in logs if r["event_id"]}
    assert stamps != sorted(stamps)  # out of order
    assert collections.Counter(r["locale"] for r in logs)["de-DE"] > 1000
    next_day = [r for r in logs if str(r["date"]) == "2026-12-01"]
    assert next_day and all(r["ts"] >= dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc) for r in next_day)


def test_prints_a_summary(tmp_path, capsys):
    code = simulate.main(["--out", str(tmp_path / "o"), "--users", "50", "--locales", "sw-KE", "--workers", "1"])
    printed = capsys.readouterr().out

    assert code == 0
    for words in ("turns", "users", "sessions", "NLU failures", "duplicates", "malformed rows", "hostile text",
                  "bot turns", str(tmp_path / "o" / "logs"), str(tmp_path / "o" / "truth.parquet")):
        assert words in printed, words


def test_refuses_a_non_empty_output_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    argv = ["--out", str(out), "--users", "20", "--locales", "sw-KE", "--workers", "1"]

    assert simulate.main(argv) == 2
    assert "not empty" in capsys.readouterr().err
    assert not (out / "logs").exists()

    assert simulate.main(argv + ["--overwrite"]) == 0
    first = _files(out)
    assert simulate.main(argv + ["--overwrite", "--seed", "8"]) == 0
    assert (out / "notes.txt").read_text() == "keep me"  # only what the simulator writes is replaced
    assert _files(out) != first


def test_worker_processes_write_the_same_bytes_as_one_process(tmp_path):
    argv = ["--users", "120", "--locales", "sw-KE", "de-DE", "--files", "2"]
    assert simulate.main(["--out", str(tmp_path / "one"), "--workers", "1", *argv]) == 0
    assert simulate.main(["--out", str(tmp_path / "two"), "--workers", "2", *argv]) == 0

    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_turns_sets_the_size(tmp_path, capsys):
    argv = ["--out", str(tmp_path / "o"), "--turns", "6000", "--locales", "sw-KE", "--workers", "1"]
    assert simulate.main(argv) == 0

    rows = pq.read_metadata(tmp_path / "o" / "truth.parquet").num_rows
    bot = int(SimulationConfig().bot_hours * 3600 / 2)
    assert 5_000 < rows < 7_000
    assert rows > bot
