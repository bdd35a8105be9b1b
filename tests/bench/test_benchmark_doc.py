from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- bench:begin (bench/results/bench.md) -->", "<!-- bench:end -->"


def test_the_benchmark_document_shows_the_committed_benchmark_results():
    section = (ROOT / "docs" / "benchmark.md").read_text(encoding="utf-8").split(BEGIN, 1)[1].split(END, 1)[0]
    assert section == "\n" + (ROOT / "bench" / "results" / "bench.md").read_text(encoding="utf-8")
