"""A run's summary, as `rephrase-miner run` and `rephrase-miner summary` print it, from its manifest."""

from __future__ import annotations

import posixpath

from pipeline.stages import AGGREGATE, EMIT, INGEST, REPHRASES, SESSIONIZE, VALIDATE


def format_summary(manifest: dict) -> str:
    ingest, sessions = manifest["stages"][INGEST.name], manifest["stages"][SESSIONIZE.name]

    def line(label: str, count: int, note: str = "") -> str:
        return f"  {label:<28}{count:>10,}{'  ' + note if note else ''}"

    lines = [f"run {manifest['run_id']} ({manifest['code_version']})"]
    lines.append(line("rows in", ingest["rows_in"], f"from {ingest['files']} file(s)"))
    lines.append(line("quarantined", ingest["quarantined"]))
    lines += [line(f"  {reason}", count) for reason, count in ingest["quarantined_by_reason"].items()]
    lines.append(line("duplicates", ingest["duplicates"]))
    lines.append(line("turns used", ingest["turns"]))
    lines.append(
        line(
            "sessions", sessions["sessions"],
            f"{sessions['runaway_sessions']} runaway ({sessions['runaway_turns']:,} turns, "
            f"cut into parts of at most {manifest['config']['max_session_turns']})",
        )
    )
    rephrases, emitted = manifest["stages"][REPHRASES.name], manifest["stages"][EMIT.name]
    pairs = manifest["stages"][AGGREGATE.name]["pairs_by_kind"]
    lines.append(line("rephrase candidates", rephrases["candidates"], f"{rephrases['likely_rephrases']:,} likely"))
    lines.append(line("pairs", sum(pairs.values()), ", ".join(f"{n:,} {kind}" for kind, n in sorted(pairs.items()))))
    lines.append(line("rewrites", emitted["rewrites"], _per_locale(emitted["rewrites_by_locale"])))
    if "rejected_readings" in emitted:  # manifests from before negative feedback have none
        lines.append(
            line("rejected readings", emitted["rejected_readings"], _per_locale(emitted["rejected_readings_by_locale"]))
        )
    lines.append(
        line("training records", emitted["training_records"], _per_locale(emitted["training_records_by_locale"]))
    )
    validation = manifest["stages"][VALIDATE.name]
    verdict = "passed" if validation["passed"] else "FAILED: " + "; ".join(validation["failed_critical"])
    warnings = len(validation["warnings"])
    lines.append(line("expectations", validation["expectations"], f"{verdict}, {warnings} warning(s)"))
    lines.append("  outputs:")
    lines += [f"    {name:<17} {path}" for name, path in manifest["outputs"].items()]
    lines.append(f"    {'manifest':<17} {posixpath.join(manifest['out'], 'manifest.json')}")
    return "\n".join(lines)


def _per_locale(counts: dict[str, int]) -> str:
    return ", ".join(f"{locale} {n:,}" for locale, n in counts.items())
