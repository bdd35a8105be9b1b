from bench.report import GIB, markdown, targets, write_report


def _pipeline(wall, peak=2 * GIB, rows=1_000_000, **extra):
    stages = {"ingest": {"wall_s": wall / 2, "turns_per_s": 1, "peak_rss_bytes": peak, "shuffle_bytes": 1}}
    return {"rows_in": rows, "wall_s": wall, "turns_per_s": 1, "peak_rss_bytes": peak, "shuffle_bytes": 2 * 1024**2,
            "stages": stages, "distinct_texts": 10, "embedded_texts": 10, "cache_hits": None, **extra}


def _results(sizes):
    machine = {"cpu": "cpu", "cores": 2, "memory_bytes": 24 * GIB, "python": "3.11", "java": "java 17", "os": "linux"}
    return {"started_at": "2026-12-01T00:00:00", "machine": machine, "master": "local[2]", "shuffle_partitions": 8,
            "sizes": sizes}


def test_each_target_is_checked_against_the_measured_figures():
    results = _results({
        "1000000": {"pipeline": _pipeline(150.0), "bare_job": {"wall_s": 60.0, "peak_rss_bytes": GIB, "shuffle_bytes": 0}},
        "10000000": {"pipeline": _pipeline(1700.0, peak=9 * GIB, rows=10_000_000)},
    })
    verdicts = {target: (measured, holds) for target, measured, holds in targets(results)}
    assert verdicts["pipeline ≤ 2.0x bare job, 1,000,000 turns"] == ("2.50x", False)
    assert verdicts["1M turns end to end ≤ 3 min"] == ("150 s", True)
    assert verdicts["10M/1M wall-time ratio ≤ 10"] == ("11.33", False)
    assert verdicts["peak memory < 8 GiB, 10,000,000 turns"][1] is False
    assert verdicts["each distinct text embedded at most once, 1,000,000 turns"][1] is True


def test_the_report_shows_skipped_references_and_the_cache_hit_rate(tmp_path):
    next_day = _pipeline(100.0, cache_hits=8)
    next_day["embedded_texts"] = 2
    results = _results({"100000": {
        "pipeline": _pipeline(50.0, rows=100_000),
        "bare_job": {"wall_s": 25.0, "peak_rss_bytes": GIB, "shuffle_bytes": 0},
        "paraphrase_mining": {"skipped": "200,000 distinct texts > --max-texts 100,000"},
        "next_day_cached": next_day,
    }})
    text = markdown(results)
    assert "| 100,000 | **pipeline** (`rephrase-miner run`) | 50.0 | 2,000 | 2.00 | 2 | 2.00x |" in text
    assert "not run: 200,000 distinct texts > --max-texts 100,000" in text
    assert "8 of 10 distinct texts found in the cache (80.0% hit rate); 2 embedded" in text
    write_report(results, tmp_path / "out")
    assert (tmp_path / "out" / "bench.md").read_text() == text and (tmp_path / "out" / "bench.json").exists()
