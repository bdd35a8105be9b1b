"""A log profile (pipeline.profile) for people: as terminal text, and as one self-contained HTML page in the
dashboards' style (same CSS, same policy: no script, every value from the logs escaped).
"""

from __future__ import annotations

from pathlib import Path

from reporting.charts import NA, PALETTE, clip, esc, fmt_int, fmt_pct, fmt_rows, hbar_chart, histogram
from reporting.page import page, write_text
from reporting.panels import card

EXAMPLE_CHARS = 60
NUMERIC = ' class="num"'
VERDICT_BADGES = {"ready": "pass", "ready with warnings": "warn", "not ready": "fail"}


def _share(part: int, whole: int) -> str:
    return fmt_pct(part / whole if whole else None)


def _examples(item: dict) -> str:
    return ", ".join(repr(clip(value, EXAMPLE_CHARS)) for value in item["examples"] if value is not None)


def _quarantine_line(item: dict) -> str:
    examples = f", e.g. {_examples(item)}" if _examples(item) else ""
    return f"{item['reason']} in {item['source_column'] or '(whole record)'}: {fmt_rows(item['rows'])}{examples}"


def facts(profile: dict) -> list[tuple[str, str]]:
    """The headline figures, as (label, value): shared by the text and the page."""
    rows, valid = profile["rows"], profile["valid_rows"]
    return [
        ("Rows read", f"{rows:,} from {profile['files']} {profile['log_format']['format']} file(s)"),
        ("Would be quarantined", f"{profile['quarantined']:,} ({_share(profile['quarantined'], rows)})"),
        ("Valid rows", f"{valid:,}; {valid - profile['event_ids']:,} repeat an event_id"),
        ("Time span", f"{profile['first_ts'] or NA} to {profile['last_ts'] or NA} UTC ({profile['span_hours']} h)"),
        ("Users, devices", f"~{profile['users']:,}, ~{profile['devices']:,}"),
        ("Sessions", f"{profile['sessions']:,} ({valid / profile['sessions']:.2f} turns each)"
         if profile["sessions"] else NA),
        ("Failing turns (status or low confidence)",
         f"{profile['friction_turns']:,} ({_share(profile['friction_turns'], valid)})"),
        ("Rephrased in the window", f"{profile['rephrased_turns']:,}, of which {profile['recovered_turns']:,} "
         "then worked"),
        ("Rephrase pairs", f"{profile['pairs']:,}, {profile['pairs_at_floor']:,} of them from "
         f"{profile['settings']['min_users']}+ users (the k-user floor)"),
        ("Without confidence / intent", f"{_share(profile['null_confidence'], valid)} / "
         f"{_share(profile['null_intent'], valid)}"),
    ]


def format_profile(profile: dict) -> str:
    """The profile as terminal text: the verdict first, then the figures, the mix and the quarantine."""
    judged = profile["verdict"]
    lines = [f"{profile['logs']}: {judged['level'].upper()}"]
    lines += [f"  blocking: {reason}" for reason in judged["blocking"]]
    lines += [f"  warning: {reason}" for reason in judged["warnings"]]
    figures = facts(profile)
    width = max(len(label) for label, _ in figures) + 2
    lines += ["", *[f"{label + ':':<{width}}{value}" for label, value in figures]]
    # The per-locale mix comes from the status counts; low-confidence turns are only in the total above.
    lines += ["", "locale        rows   failing status"]
    lines += [f"{locale:<10}{entry['rows']:>8,}   {_share(entry['friction_rows'], entry['rows'])}"
              for locale, entry in profile["locales"].items()]
    lines += ["", "status: " + ", ".join(f"{name} {rows:,}" for name, rows in profile["statuses"].items())]
    if profile["quarantine"]:
        lines += ["", "quarantine (by the logs' own column names):"]
        lines += [f"  {_quarantine_line(item)}\n    fix: {item['hint']}" for item in profile["quarantine"]]
    lines.append(f"\nprofiled in {profile['elapsed_s']} s")
    return "\n".join(lines)


def _header(profile: dict) -> str:
    level = profile["verdict"]["level"]
    meta = [("Logs", profile["logs"]), ("Format", profile["log_format"]["format"]),
            ("Profiled in", f"{profile['elapsed_s']} s")]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    return (
        '<header class="top"><div class="title"><p class="eyebrow">Rephrase miner · log profile</p>'
        f'<h1>Ready to mine?</h1><dl class="meta">{items}</dl></div>'
        f'<div class="status"><span class="badge {VERDICT_BADGES[level]}">{esc(level)}</span></div></header>'
    )


def _alerts(verdict: dict) -> str:
    rows = [("fail", f"Blocking: {r}") for r in verdict["blocking"]] + [("warn", f"Warning: {r}")
                                                                        for r in verdict["warnings"]]
    return '<ul class="alerts">' + "".join(f'<li class="{c}">{esc(line)}</li>' for c, line in rows) + "</ul>"


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    def cells(values: list[str], tag: str) -> str:
        return "".join(f"<{tag}{NUMERIC if i in numeric else ''}>{esc(v)}</{tag}>" for i, v in enumerate(values))

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    return f"<table><thead><tr>{cells(head, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def render_profile(profile: dict) -> str:
    facts_table = _table(["Figure", "Value"], [list(item) for item in facts(profile)], set())
    locales = _table(
        ["Locale", "Rows", "Failing status"],
        [[locale, f"{e['rows']:,}", _share(e["friction_rows"], e["rows"])] for locale, e in profile["locales"].items()],
        {1, 2},
    )
    statuses = hbar_chart(list(profile["statuses"].items()), "Valid rows by status", PALETTE[0])
    buckets = len(profile["confidence_histogram"])
    confidence = histogram(
        profile["confidence_histogram"], [f"{i / buckets:.1f}" for i in range(buckets + 1)],
        [f"{i / buckets:.1f}-{(i + 1) / buckets:.1f}" for i in range(buckets)], "Rows by NLU confidence",
        PALETTE[1],
    )
    quarantine = _table(
        ["Reason", "Column in the logs", "Rows", "Most frequent values", "What to check"],
        [[item["reason"], item["source_column"] or "(whole record)", f"{item['rows']:,}",
          _examples(item), item["hint"]] for item in profile["quarantine"]],
        {2},
    ) if profile["quarantine"] else '<div class="empty">nothing would be quarantined</div>'
    grid = "".join([
        card("The day at a glance", facts_table),
        card("Locales", locales, "valid rows; failing: error, unhandled, interrupted or cancelled"),
        card("Statuses", statuses, "after `status_values`"),
        card("NLU confidence", confidence, f"{fmt_int(profile['null_confidence'])} rows have none"),
        card("Quarantine", quarantine, "what ingest would set aside, by the logs' own column names", wide=True),
    ])
    body = f'{_header(profile)}<main><div class="lift">{_alerts(profile["verdict"])}</div>' \
           f'<div class="grid">{grid}</div><footer>rephrase-miner profile</footer></main>'
    return page(f"Log profile: {profile['logs']}", body)


def write_profile_page(profile: dict, out_html: str) -> str:
    return write_text(Path(out_html), render_profile(profile))
