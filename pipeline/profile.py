"""`rephrase-miner profile`: read a day of logs through its log format, as ingest would, and say whether mining
it will work, before anything is mined.

The profile is a dict (written as JSON, printed by reporting.profile_page.format_profile, drawn by its
render_profile): what was read, what the quarantine would take and why (by the logs' own column names, with
examples), sessions and rephrase evidence, and a verdict with the reasons behind it. Nothing is written under
the logs.
"""

from __future__ import annotations

import time

from miner.ingest import offending_source, reason_examples, with_quarantine_reason
from miner.log_profile import (
    CONFIDENCE_BUCKETS,
    confidence_histogram,
    locale_status_mix,
    profile_totals,
    rephrase_evidence,
)
from pipeline.config import RunConfig
from pipeline.log_format import REASON_HINTS
from pipeline.log_input import check_logs, read_logs
from reporting.charts import fmt_rows
from schemas.interactions import FRICTION_STATUSES, INTERACTIONS

READY, WARNINGS, NOT_READY = "ready", "ready with warnings", "not ready"
QUARANTINE_EXAMPLES = 3
# Thresholds of the warnings: signs of a wrong mapping, far from what a working assistant's logs show.
MIN_TURNS_PER_SESSION = 1.2
MAX_FRICTION_SHARE = 0.6
MAX_DUPLICATE_SHARE = 0.1
MAX_SPAN_HOURS = 36
MAX_OUTSIDE_FOLDER_DAY_SHARE = 0.01
MAX_NULL_INTENT_SHARE = 0.5


def profile_logs(spark, logs: str, config: RunConfig, log=print) -> dict:
    """The profile of the logs under `logs` read with `config.log_format`; raises InputContractError as ingest
    would when the files cannot be read that way at all."""
    from pyspark import StorageLevel

    clock = time.monotonic()
    log_input = check_logs(logs, config.log_format)
    log(f"[profile] {len(log_input.files)} {config.log_format.format} file(s) under {logs}")
    checked_df = (
        read_logs(spark, log_input)
        .transform(with_quarantine_reason, config.max_utterance_chars)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    totals = profile_totals(checked_df).first().asDict()
    log(f"[profile] {totals['rows']:,} rows read, {totals['quarantined']:,} would be quarantined")
    mix = [row.asDict() for row in locale_status_mix(checked_df).collect()]
    histogram = {row["bucket"]: row["rows"] for row in confidence_histogram(checked_df).collect()}
    evidence = rephrase_evidence(
        checked_df, config.session_gap_seconds, config.rephrase_window_seconds, config.min_users
    ).first().asDict()
    log("[profile] sessions and rephrases counted")
    source_column, source_value = offending_source(
        config.log_format.source_names(INTERACTIONS.column_names), config.scrub_pii
    )
    quarantine = [
        {**row.asDict(), "hint": REASON_HINTS.get(row["reason"], "see docs/contracts.md")}
        for row in checked_df.where("reason IS NOT NULL")
        .withColumns({"source_column": source_column, "source_value": source_value})
        .transform(reason_examples, QUARANTINE_EXAMPLES)
        .collect()
    ]
    checked_df.unpersist()
    profile = {
        "logs": logs,
        "log_format": config.log_format.as_dict(),
        "files": len(log_input.files),
        "reader_warnings": list(log_input.warnings),
        **{key: value for key, value in totals.items() if key not in ("first_ts", "last_ts")},
        **{key: _iso_seconds(totals[key]) for key in ("first_ts", "last_ts")},
        "span_hours": _span_hours(totals),
        "locales": _per_locale(mix),
        "statuses": _per_status(mix),
        "confidence_histogram": [histogram.get(bucket, 0) for bucket in range(CONFIDENCE_BUCKETS)],
        "quarantine": quarantine,
        **evidence,
        "settings": {
            name: getattr(config, name)
            for name in ("min_users", "session_gap_seconds", "rephrase_window_seconds", "max_quarantine_share",
                         "stop_quarantine_share", "max_utterance_chars")
        }
        | {"locales": list(config.locales)},
    }
    profile["verdict"] = verdict(profile)
    profile["elapsed_s"] = round(time.monotonic() - clock, 1)
    return profile


def _iso_seconds(moment) -> str | None:
    return moment.isoformat(sep=" ", timespec="seconds") if moment else None


def _span_hours(totals: dict) -> float | None:
    if totals["first_ts"] is None:
        return None
    return round((totals["last_ts"] - totals["first_ts"]).total_seconds() / 3600, 2)


def _per_locale(mix: list[dict]) -> dict[str, dict]:
    locales: dict[str, dict] = {}
    for row in mix:
        entry = locales.setdefault(row["locale"], {"rows": 0, "friction_rows": 0})
        entry["rows"] += row["rows"]
        entry["friction_rows"] += row["rows"] if row["status"] in FRICTION_STATUSES else 0
    return dict(sorted(locales.items(), key=lambda item: (-item[1]["rows"], item[0])))


def _per_status(mix: list[dict]) -> dict[str, int]:
    statuses: dict[str, int] = {}
    for row in mix:
        statuses[row["status"]] = statuses.get(row["status"], 0) + row["rows"]
    return dict(sorted(statuses.items(), key=lambda item: (-item[1], item[0])))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def verdict(profile: dict) -> dict:
    """READY, WARNINGS or NOT_READY, with the blocking reasons and the warnings, each a sentence saying what to
    check. Blocking: ingest would stop or validation would not publish, or there is nothing to learn from."""
    settings, rows, valid = profile["settings"], profile["rows"], profile["valid_rows"]
    blocking, warnings = [], list(profile["reader_warnings"])
    quarantined_share = _share(profile["quarantined"], rows)
    by_rows = sorted(profile["quarantine"], key=lambda item: -item["rows"])
    top_reasons = ", ".join(
        f"{item['reason']} in {item['source_column'] or 'the whole record'} ({fmt_rows(item['rows'])})"
        for item in by_rows[:3]
    ) + (f"; first check: {by_rows[0]['hint']}" if by_rows else "")
    if rows == 0:
        blocking.append("the files hold no rows")
    elif valid == 0:
        blocking.append(f"every row would be quarantined: {top_reasons}")
    elif quarantined_share > settings["max_quarantine_share"]:
        if quarantined_share > settings["stop_quarantine_share"]:
            consequence = f"ingest stops above {settings['stop_quarantine_share']:.0%}"
        else:
            consequence = f"validation does not publish a day above {settings['max_quarantine_share']:.0%}"
        blocking.append(f"{quarantined_share:.1%} of rows would be quarantined ({consequence}): {top_reasons}")
    elif profile["quarantined"]:
        warnings.append(
            f"{fmt_rows(profile['quarantined'])} ({quarantined_share:.2%}) would be quarantined: {top_reasons}"
        )
    if valid and profile["friction_turns"] == 0:
        blocking.append(
            "no turn failed (no error, unhandled, interrupted or cancelled status, no low confidence): nothing "
            "to learn from; check that `status_values` maps the logs' failure outcomes"
        )
    if valid:
        warnings += _shape_warnings(profile, settings)
    level = NOT_READY if blocking else WARNINGS if warnings else READY
    return {"level": level, "blocking": blocking, "warnings": warnings}


def _shape_warnings(profile: dict, settings: dict) -> list[str]:
    valid, found = profile["valid_rows"], []
    if profile["sessions"] and valid / profile["sessions"] < MIN_TURNS_PER_SESSION:
        found.append(
            f"sessions average {valid / profile['sessions']:.2f} turns: is user_id or device_id a per-request id? "
            "Rephrases are found within a user's session"
        )
    friction_share = _share(profile["friction_turns"], valid)
    if friction_share > MAX_FRICTION_SHARE:
        found.append(f"{friction_share:.0%} of turns failed: is `status_values` inverted?")
    if profile["friction_turns"] and profile["pairs_at_floor"] == 0:
        found.append(
            f"no failing phrasing was rephrased into a working one by {settings['min_users']} or more users "
            "(the k-user floor, `min_users`): expect few or no rewrites from this day"
        )
    locale_shares = {locale: _share(e["friction_rows"], e["rows"]) for locale, e in profile["locales"].items()}
    failing_locales = [
        f"{locale} ({share:.0%})" for locale, share in locale_shares.items() if share > MAX_FRICTION_SHARE
    ]
    if failing_locales and friction_share <= MAX_FRICTION_SHARE:  # else the day-wide warning above says it
        found.append(
            f"most turns of {', '.join(failing_locales)} have a failing status: an outage, or outcome codes that "
            "differ by locale? Such a locale's rephrases rarely end in a turn that worked"
        )
    duplicate_share = _share(valid - profile["event_ids"], valid)
    if duplicate_share > MAX_DUPLICATE_SHARE:
        found.append(f"{duplicate_share:.0%} of rows repeat an event_id: is event_id mapped to a unique id?")
    if (profile["span_hours"] or 0) > MAX_SPAN_HOURS:
        found.append(f"the timestamps span {profile['span_hours']:.0f} hours: a date= folder should hold one day")
    outside_share = _share(profile["outside_folder_day"], valid)
    if outside_share > MAX_OUTSIDE_FOLDER_DAY_SHARE:
        found.append(
            f"{outside_share:.1%} of rows are timestamped outside their date= folder's day (UTC): a local time "
            "read as UTC, or the wrong `timestamp` unit?"
        )
    if profile["null_confidence"] == valid:
        found.append("no row has nlu_confidence: only the statuses mark a failing turn")
    if _share(profile["null_intent"], valid) > MAX_NULL_INTENT_SHARE:
        found.append(
            f"{_share(profile['null_intent'], valid):.0%} of turns have no intent: training records take the "
            "intent of the turn that worked"
        )
    unexpected = sorted(set(profile["locales"]) - set(settings["locales"])) if settings["locales"] else []
    if unexpected:
        found.append(f"locales outside the configured set: {', '.join(unexpected)}")
    return found
