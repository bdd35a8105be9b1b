"""Stats contracts: what each stage writes to OUT/_stats/<stage>.json (`pipeline.stages.stats_path`).

Manifests, dashboards, validation, the warehouse and the benchmark read these files, so their keys are a
contract like the datasets'. Every stage also writes `rows_out`, and the runner adds `elapsed_s`. A stage may
write more keys than its contract declares; a declared key that is missing is an error at write time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatsContract:
    doc: str
    fields: tuple[tuple[str, type | tuple[type, ...], str], ...]  # (key, Python type(s), what it holds)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _, _ in self.fields)

    def problems(self, stats: dict) -> list[str]:
        """Declared keys that are missing or hold the wrong type."""
        found = []
        for key, kind, _ in self.fields:
            if key not in stats:
                found.append(f"'{key}' is missing")
            elif not isinstance(stats[key], kind) or (isinstance(stats[key], bool) and bool not in _kinds(kind)):
                found.append(f"'{key}' is {type(stats[key]).__name__}, not {_kind_name(kind)}")
        return found

    def markdown(self) -> str:
        rows = "\n".join(f"| `{key}` | {_kind_name(kind)} | {doc} |" for key, kind, doc in self.fields)
        return f"{self.doc}\n\n| key | type | holds |\n|---|---|---|\n{rows}\n"


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    return " or ".join("null" if k is type(None) else k.__name__ for k in _kinds(kind))


OPTIONAL_INT = (int, type(None))
ROWS_OUT = ("rows_out", int, "rows the stage wrote to its main output")

INGEST_STATS = StatsContract(
    "Ingest: every input row is counted once, as a turn, a quarantined row or a duplicate.",
    (
        ("files", int, "input data files read"),
        ("input_fingerprint", str, "hash of the input files' paths, sizes and modification times"),
        ("rows_in", int, "rows read"),
        ("quarantined", int, "rows quarantined"),
        ("quarantined_by_reason", dict, "quarantined rows per reason"),
        ("duplicates", int, "duplicate turns dropped"),
        ("turns", int, "turns kept"),
        ("scrubbed_turns", int, "turns with PII scrubbed"),
        ("scrubbed_pii", list, "PII kinds scrubbed"),
        ROWS_OUT,
    ),
)
SESSIONIZE_STATS = StatsContract(
    "Sessionize: sessions and the runaway sessions cut into parts.",
    (
        ("turns", int, "turns sessionized"),
        ("sessions", int, "sessions"),
        ("session_ids", int, "distinct session ids (parts of a runaway session count apart)"),
        ("runaway_sessions", int, "sessions longer than max_session_turns"),
        ("runaway_turns", int, "turns in runaway sessions"),
        ("longest_session_part_turns", int, "turns in the longest session part"),
        ROWS_OUT,
    ),
)
REPHRASES_STATS = StatsContract(
    "Rephrases: rephrase candidates, silent failures and the embedding cache.",
    (
        ("candidates", int, "rephrase candidates"),
        ("friction_sources", int, "candidates whose source met friction"),
        ("silent_failure_sources", int, "candidates whose source is a silent failure"),
        ("likely_rephrases", int, "candidates with rephrase probability >= 0.5"),
        ("texts", int, "distinct normalized texts"),
        ("distinct_texts", int, "texts embedded or found in the cache"),
        ("embedded_texts", int, "texts embedded by this run"),
        ("cache_hits", OPTIONAL_INT, "texts found in the embedding cache; null when the run has no cache"),
        ("embedding_model", str, "the sentence encoder"),
        ("silent_phrasings", int, "phrasings found to fail silently"),
        ROWS_OUT,
    ),
)
VARIANTS_STATS = StatsContract(
    "Variants: cross-user variant pairs.",
    (("variant_pairs", int, "variant pairs"), ROWS_OUT),
)
AGGREGATE_STATS = StatsContract(
    "Aggregate: the day's weighted pairs and labels.",
    (
        ("pairs_by_kind", dict, "pairs per kind (rephrase, variant)"),
        ("labels", int, "labelled failing phrasings"),
        ("min_users", int, "the k-user floor applied"),
        ("intent_prior", bool, "whether labels weighed votes against the intent prior"),
        ("served_rewrites", int, "rewrites a runtime rewriter served that day (rows of feedback)"),
        ("served_readings", int, "readings of phrasings said as is, with their outcomes (rows of reading_feedback)"),
        ROWS_OUT,
    ),
)
ACCUMULATE_STATS = StatsContract(
    "Accumulate: the running aggregate of a scheduled day.",
    (
        ("ds", str, "the logical date"),
        ("days", list, "the mined days merged in"),
        ("day_dirs", dict, "each merged day's folder"),
        ("decay", float, "weight of a day-old evidence"),
        ("min_users", int, "k-anonymity floor on the distinct users across the days"),
        ("pairs_by_kind", dict, "pairs per kind"),
        ("labels", int, "labelled failing phrasings"),
        ("served_rewrites", int, "rewrites with served outcomes on any merged day"),
        ROWS_OUT,
    ),
)
EMIT_STATS = StatsContract(
    "Emit: the rewrite table and the training records.",
    (
        ("rewrites", int, "rewrites"),
        ("rewrites_by_locale", dict, "rewrites per locale"),
        ("withdrawn_rewrites", int, "rewrites their live outcomes withdrew"),
        ("withdrawn_rewrites_by_locale", dict, "withdrawn rewrites per locale"),
        ("rejected_readings", int, "readings most of their users rejected (`miner.readings`)"),
        ("rejected_readings_by_locale", dict, "rejected readings per locale"),
        ("training_records", int, "training records"),
        ("training_records_by_locale", dict, "training records per locale"),
        ROWS_OUT,
    ),
)
VALIDATE_STATS = StatsContract(
    "Validate: every expectation's outcome; `passed` gates publishing.",
    (
        ("passed", bool, "no critical expectation failed"),
        ("expectations", int, "expectations run"),
        ("failed_critical", list, "the critical expectations that failed"),
        ("warnings", list, "the warning expectations that failed"),
        ("results", list, "every expectation's outcome"),
        ("data_docs", str, "the Great Expectations Data Docs index"),
        ROWS_OUT,
    ),
)

# In the order a scheduled run writes them.
ALL_STATS = (
    INGEST_STATS, SESSIONIZE_STATS, REPHRASES_STATS, VARIANTS_STATS, AGGREGATE_STATS, ACCUMULATE_STATS, EMIT_STATS,
    VALIDATE_STATS,
)
