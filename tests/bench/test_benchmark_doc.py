from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- bench:begin (bench/results/bench.md) -->", "<!-- bench:end -->"


def test_the_benchmark_document_shows_the_committed_benchmark_results():
    section = (ROOT / "docs" / "benchmark.md").read_text(encoding="utf-8").split(BEGIN, 1)[1].split(END, 1)[0]
    assert section == "\n" + (ROOT / "bench" / "results" / "bench.md").read_text(encoding="utf-8")


def test_the_readme_speed_table_is_the_committed_benchmark():
    import json

    results = json.loads((ROOT / "bench" / "results" / "bench.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Speed", 1)[1].split("\n## ", 1)[0]
    assert results["code_version"].rsplit("+g", 1)[-1] in section
    for turns in ("1000000", "10000000"):
        entry = results["sizes"][turns]
        pipeline, bare = entry["pipeline"]["wall_s"], entry["bare_job"]["wall_s"]
        row = f"| {int(turns):,} | {pipeline:.1f} s | {bare:.1f} s | {pipeline / bare:.2f}x"
        assert row in section, row
    assert f"take {results['sizes']['1000000']['stage_submits']['wall_s']:.1f} s at 1M" in section


def test_the_readme_profile_figure_is_the_committed_profile_benchmark():
    import json

    results = json.loads((ROOT / "bench" / "results" / "profile.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Bring your own logs", 1)[1].split("\n## ", 1)[0]
    assert f"`profile` reads {results['rows']:,} rows in {results['wall_s']} s" in section
    assert f"commit {results['code_version'].rsplit('+g', 1)[-1]}" in section
