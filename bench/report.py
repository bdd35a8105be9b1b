"""bench.json and the markdown table the README shows, from the results `bench.run` collected."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.stages import STAGE_ORDER

GIB = 1024**3
MIB = 1024**2
# The targets, checked on every table.
MAX_RATIO_TO_BARE = 2.0
MAX_SECONDS_AT_1M = 180.0
MAX_SCALE_RATIO = 10.0
MAX_PEAK_BYTES = 8 * GIB


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def _gib(value: int | None) -> str:
    return "—" if not value else f"{value / GIB:.2f}"


def _mib(value: int | None) -> str:
    return "—" if value is None else f"{value / MIB:,.0f}"


def _verdict(holds: bool) -> str:
    return "holds" if holds else "**misses**"


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """(target, measured, holds) for each target the sizes measured allow to check."""
    sizes = {int(k): v for k, v in results["sizes"].items()}
    checks = []
    for turns, entry in sorted(sizes.items()):
        pipeline, bare = entry["pipeline"], entry.get("bare_job")
        if bare:
            ratio = pipeline["wall_s"] / bare["wall_s"]
            checks.append((f"pipeline ≤ {MAX_RATIO_TO_BARE}x bare job, {turns:,} turns", f"{ratio:.2f}x",
                           ratio <= MAX_RATIO_TO_BARE))
        checks.append((f"peak memory < 8 GiB, {turns:,} turns", f"{_gib(pipeline['peak_rss_bytes'])} GiB",
                       pipeline["peak_rss_bytes"] < MAX_PEAK_BYTES))
        checks.append((f"each distinct text embedded at most once, {turns:,} turns",
                       f"{pipeline['embedded_texts']:,} embedded of {pipeline['distinct_texts']:,} distinct",
                       pipeline["embedded_texts"] <= pipeline["distinct_texts"]))
    if 1_000_000 in sizes:
        wall = sizes[1_000_000]["pipeline"]["wall_s"]
        checks.append(("1M turns end to end ≤ 3 min", f"{wall:.0f} s", wall <= MAX_SECONDS_AT_1M))
    if 1_000_000 in sizes and 10_000_000 in sizes:
        ratio = sizes[10_000_000]["pipeline"]["wall_s"] / sizes[1_000_000]["pipeline"]["wall_s"]
        checks.append((f"10M/1M wall-time ratio ≤ {MAX_SCALE_RATIO:g}", f"{ratio:.2f}", ratio <= MAX_SCALE_RATIO))
    return checks


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_bytes'] / GIB:.0f} GiB, "
        f"Python {machine['python']}, {machine['java']}; Spark `{results['master']}`, "
        f"{results['shuffle_partitions']} shuffle partitions. Started {results['started_at'][:16]} UTC, "
        f"code {results.get('code_version', 'unrecorded')}.",
        "",
        "| turns | system | wall s | turns/s | peak GiB | shuffle MiB | vs bare job |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for turns, entry in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        pipeline, bare = entry["pipeline"], entry.get("bare_job")
        rows_in = pipeline["rows_in"]

        def row(system: str, measured: dict | None, shuffle: int | None = None) -> None:
            if not measured:
                return
            if "skipped" in measured:
                lines.append(f"| {int(turns):,} | {system} | not run: {measured['skipped']} | | | | |")
                return
            ratio = f"{measured['wall_s'] / bare['wall_s']:.2f}x" if bare else "—"
            lines.append(
                f"| {int(turns):,} | {system} | {_seconds(measured['wall_s'])} | "
                f"{rows_in / measured['wall_s']:,.0f} | {_gib(measured['peak_rss_bytes'])} | {_mib(shuffle)} | {ratio} |"
            )

        row("**pipeline** (`rephrase-miner run`)", pipeline, pipeline["shuffle_bytes"])
        row("(0) bare Spark job", bare, bare["shuffle_bytes"] if bare else None)
        row("(a) baseline a, pandas, 1 process", entry.get("baseline_a"))
        row("(b) `paraphrase_mining`, 1 process", entry.get("paraphrase_mining"))
        row("pipeline, one process per stage (as the DAG submits them)", entry.get("stage_submits"))
        if "next_day_cached" in entry:
            row("pipeline, next day, warm embedding cache", entry["next_day_cached"], entry["next_day_cached"]["shuffle_bytes"])
    lines += ["", "Per stage (pipeline):", "",
              "| turns | stage | wall s | turns/s | peak GiB | shuffle MiB |", "|---:|---|---:|---:|---:|---:|"]
    for turns, entry in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        stages = entry["pipeline"]["stages"]
        for name in [n for n in STAGE_ORDER if n in stages]:
            stage = stages[name]
            lines.append(
                f"| {int(turns):,} | {name} | {stage['wall_s']:.1f} | {stage['turns_per_s']:,} | "
                f"{_gib(stage['peak_rss_bytes'])} | {_mib(stage['shuffle_bytes'])} |"
            )
    cached = [(t, e["next_day_cached"]) for t, e in results["sizes"].items() if "next_day_cached" in e]
    for turns, run in cached:
        hits, texts = run.get("cache_hits") or 0, run["distinct_texts"]
        lines += ["", f"Embedding cache, next day at {int(turns):,} turns: {hits:,} of {texts:,} distinct texts "
                      f"found in the cache ({hits / max(texts, 1):.1%} hit rate); {run['embedded_texts']:,} embedded."]
    for turns, entry in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        shuffle = entry["pipeline"]["shuffle_bytes"]
        lines.append(f"Shuffle per million turns at {int(turns):,}: "
                     f"{shuffle / MIB / (entry['pipeline']['rows_in'] / 1e6):,.0f} MiB.")
    lines += ["", "| target | measured | |", "|---|---:|---|"]
    lines += [f"| {target} | {measured} | {_verdict(holds)} |" for target, measured, holds in targets(results)]
    return "\n".join(lines) + "\n"


def write_report(results: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (folder / "bench.md").write_text(markdown(results), encoding="utf-8")
