"""The command line: `rephrase-miner report` writes a run's dashboard, or the runs index and the dashboards of its
runs, from hand-made run folders (no Spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from reporting.page import write_dashboard


def test_cli_writes_dashboards_and_index(tmp_path, run, previous):
    assert main(["report", "--run", run, "--previous", previous]) == 0
    assert "not in the previous run r1" in (Path(run) / "quality" / "dashboard.html").read_text()
    index = tmp_path / "index.html"
    assert main(["report", "--index", str(index), "--runs", run, previous]) == 0
    assert index.exists() and (Path(previous) / "quality" / "dashboard.html").exists()
    # each run against the one before it in time: r2's dashboard still compares with r1
    assert "not in the previous run r1" in (Path(run) / "quality" / "dashboard.html").read_text()
    assert write_dashboard(run) == str(Path(run) / "quality" / "dashboard.html")


def test_report_prints_each_path_it_writes(tmp_path, run, previous, capsys):
    dashboard = str(Path(run) / "quality" / "dashboard.html")
    assert main(["report", "--run", run]) == 0
    assert capsys.readouterr().out.splitlines() == [dashboard]
    index = str(tmp_path / "site" / "index.html")
    assert main(["report", "--run", run, "--index", index, "--runs", run, previous]) == 0
    # --run's dashboard once (against no previous run), then the other runs' in time, then the index
    assert capsys.readouterr().out.splitlines() == [dashboard, str(Path(previous) / "quality" / "dashboard.html"),
                                                    index]
    assert "all rewrites of this run" in Path(dashboard).read_text()


@pytest.mark.parametrize(("argv", "error"), [
    ([], "give --run RUN, or --index OUT.html --runs RUN [RUN ...]"),
    (["--previous", "p"], "give --run RUN, or --index OUT.html --runs RUN [RUN ...]"),
    (["--index", "out.html"], "--index needs --runs RUN [RUN ...]"),
    (["--index", "out.html", "--runs", "r", "--previous", "p"], "--previous needs --run"),
])
def test_report_argument_errors(tmp_path, monkeypatch, capsys, argv, error):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["report", *argv])
    assert exit_.value.code == 2
    assert f"rephrase-miner report: error: {error}" in capsys.readouterr().err
    assert not (tmp_path / "out.html").exists()


def test_report_is_in_the_usage(capsys):
    assert main([]) == 2
    usage = capsys.readouterr().err
    assert "rephrase-miner report --run RUN [--previous PREV] | --index OUT.html --runs RUN [RUN ...]" in usage
    assert "report" in usage.split("commands: ")[1].split(", ")
