"""The panels of the dashboards, one function per panel, each a <section class="card"> of HTML built from a run's
facts (reporting.facts) with the charts and formatting of reporting.charts: the header, headline numbers and
alerts of a run's dashboard, its charts and tables, and the runs table and trends of the index page. Missing
stages, stats, datasets or fields render as "n/a"; every string from a run folder is escaped.
"""

from __future__ import annotations

import os
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from pipeline.stages import INGEST, STAGE_ORDER, VALIDATE
from reporting.charts import (
    FAIL,
    KIND_COLORS,
    NA,
    PALETTE,
    PASS,
    WARN,
    clip,
    column_chart,
    donut,
    esc,
    fmt_accuracy,
    fmt_int,
    fmt_pct,
    fmt_points,
    fmt_seconds,
    fmt_time,
    hbar_chart,
    histogram,
    line_chart,
    multi_line_chart,
    no_data,
    range_ticks,
    trend_ticks,
)
from reporting.facts import (
    DASHBOARD,
    NLU,
    TOP_REWRITES,
    accuracy_delta,
    chronological,
    counts_of,
    duration_s,
    expectation_results,
    fix_rate,
    load_nlu,
    new_rewrites,
    nlu_accuracy,
    nlu_locales,
    number,
    parse_time,
    stage,
    support_bins,
    training_by_locale,
    weight_bins,
)

WITHDRAWN_COLUMNS = ("locale", "source", "target", "target_intent", "reason", "served_users", "failed_users")
REJECTED_COLUMNS = ("locale", "text", "intent", "served_users", "rejected_users", "accepted_intent")

# ---------------------------------------------------------------------------------------------- building blocks


def card(title: str, body: str, subtitle: str = "", wide: bool = False) -> str:
    sub = f'<p class="sub">{esc(subtitle)}</p>' if subtitle else ""
    return f'<section class="card{" wide" if wide else ""}"><h2>{esc(title)}</h2>{sub}{body}</section>'


def badge(passed: object, labels: tuple[str, str, str] = ("Validation passed", "Validation failed", "Validation n/a")
          ) -> str:
    """A green, red or grey badge for True, False or anything else; labels in that order."""
    good, bad, unknown = labels
    if passed is True:
        return f'<span class="badge pass">{esc(good)}</span>'
    if passed is False:
        return f'<span class="badge fail">{esc(bad)}</span>'
    return f'<span class="badge na">{esc(unknown)}</span>'


# ---------------------------------------------------------------------------------------------- a run's dashboard


def header(manifest: dict, run_dir: str | os.PathLike) -> str:
    meta = [
        ("Code version", manifest.get("code_version") or NA),
        ("Started", fmt_time(manifest.get("started_at"))),
        ("Finished", fmt_time(manifest.get("finished_at"))),
        ("Duration", fmt_seconds(duration_s(manifest))),
    ]
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    run_id = manifest.get("run_id") or Path(run_dir).name
    return (
        '<header class="top"><div class="title"><p class="eyebrow">Rephrase miner · run dashboard</p>'
        f'<h1>{esc(run_id)}</h1><dl class="meta">{items}</dl></div>'
        f'<div class="status">{badge(stage(manifest, VALIDATE.name).get("passed"))}</div></header>'
    )


def alerts(manifest: dict) -> str:
    validate = stage(manifest, VALIDATE.name)
    rows = [("fail", f"Critical: {item}") for item in validate.get("failed_critical") or []]
    rows += [("warn", f"Warning: {item}") for item in validate.get("warnings") or []]
    if not rows:
        return ""
    return '<ul class="alerts">' + "".join(f'<li class="{cls}">{esc(line)}</li>' for cls, line in rows) + "</ul>"


def kpis(manifest: dict, summary: dict) -> str:
    ingest = stage(manifest, INGEST.name)
    results = expectation_results(manifest)
    passed = f"{sum(1 for r in results if r.get('success') is True)} / {len(results)}" if results else NA
    share = f'{fmt_pct(summary["quarantine_share"], 2)} of rows' if summary["quarantine_share"] is not None else ""
    tiles = [
        ("Log rows in", fmt_int(ingest.get("rows_in")), ""),
        ("Turns", fmt_int(ingest.get("turns")), ""),
        ("Quarantined", fmt_int(ingest.get("quarantined")), share),
        ("Duplicates", fmt_int(ingest.get("duplicates")), ""),
        ("Pairs", fmt_int(summary["pairs"]), ""),
        ("Rewrites", fmt_int(summary["rewrites"]), ""),
        ("Training records", fmt_int(summary["training"]), ""),
        ("Expectations", passed, fmt_pct(summary["pass_rate"], 0) if summary["pass_rate"] is not None else ""),
    ]
    cells = "".join(
        f'<div class="kpi"><div class="k">{esc(k)}</div><div class="v{" na" if v == NA else ""}">{esc(v)}</div>'
        f'<div class="n">{esc(n)}</div></div>'
        for k, v, n in tiles
    )
    return f'<div class="kpis">{cells}</div>'


def kind_order(kinds: Iterable[str]) -> list[str]:
    known = [k for k in KIND_COLORS if k in kinds]
    return known + sorted(set(kinds) - set(known))


def panel_pairs(pairs: dict[str, list]) -> str:
    counts = Counter(zip(map(str, pairs["locale"]), map(str, pairs["kind"])))
    locales = sorted({locale for locale, _ in counts})
    kinds = kind_order({kind for _, kind in counts})
    colors = {k: KIND_COLORS.get(k, PALETTE[(i + 2) % len(PALETTE)]) for i, k in enumerate(kinds)}
    series = {kind: [counts[(locale, kind)] for locale in locales] for kind in kinds}
    chart = column_chart(locales, series, colors, "Pairs per locale, by kind")
    return card("Pairs per locale", chart, f"{len(pairs['locale']):,} pairs, stacked by kind")


def panel_training(run_dir: str | os.PathLike, manifest: dict) -> str:
    counts = training_by_locale(run_dir, manifest)
    locales = sorted(counts)
    colors = {"records": PALETTE[5]}
    series = {"records": [counts[locale] for locale in locales]}
    chart = column_chart(locales, series, colors, "Training records per locale")
    subtitle = f"{sum(counts.values()):,} MASSIVE-format records" if counts else "no training records"
    return card("Training records per locale", chart, subtitle)


def panel_weights(pairs: dict[str, list]) -> str:
    counts = weight_bins(pairs["weight"])
    edges = [f"{i / 20:.2f}".rstrip("0").rstrip(".") if i % 20 else str(i // 20) for i in range(21)]
    tips = [f"weight {i / 20:.2f}–{(i + 1) / 20:.2f}" for i in range(20)]
    chart = histogram(counts, edges, tips, "Pair weight distribution", PALETTE[0], tick_every=2)
    return card("Pair weight distribution", chart, "weight in [0, 1], bins of 0.05")


def panel_support(pairs: dict[str, list]) -> str:
    counts, edges = support_bins(pairs["support_users"])
    tips = [f"{lo} users" if hi - lo == 1 else f"{lo}–{hi - 1} users" for lo, hi in zip(edges, edges[1:])]
    chart = histogram(counts, [str(e) for e in edges], tips, "Support users distribution", PALETTE[1])
    return card("Support users per pair", chart, "distinct users behind each pair; bins grow logarithmically")


def chip(intent: object) -> str:
    return f'<span class="chip">{esc(intent)}</span>' if intent is not None else '<span class="muted">—</span>'


def rewrite_table(rows: list[dict]) -> str:
    if not rows:
        return no_data("no new rewrites")
    body = []
    for rank, row in enumerate(rows, 1):
        weight = row["weight"]
        bar = (f'<span class="wbar"><span style="width:{100 * max(0.0, min(1.0, weight)):.0f}%"></span></span>'
               f"{weight:.2f}" if isinstance(weight, float) else NA)
        intent = row["target_intent"]
        body.append(
            f'<tr><td class="rank">{rank}</td><td class="utt">{esc(row["source"])}</td>'
            f'<td class="arrow">→</td><td class="utt tgt">{esc(row["target"])}</td>'
            f'<td>{chip(intent)}</td>'
            f'<td class="num">{fmt_int(row["support_users"])}</td><td class="num w">{bar}</td></tr>'
        )
    head = ('<tr><th>#</th><th>Source (what users said)</th><th></th><th>Rewrite target</th><th>Intent</th>'
            '<th class="num">Users</th><th class="num">Weight</th></tr>')
    return f'<table class="rw"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def panel_rewrites(rewrites: dict[str, list], previous: dict[str, list] | None, locales: Iterable[str],
                   previous_id: str | None) -> str:
    top = new_rewrites(rewrites, previous)
    blocks = []
    for locale in sorted(set(locales) | set(top)):
        found = top.get(locale, [])
        blocks.append(f'<div class="locale"><h3>{esc(locale)} <span class="count">{len(found)} shown</span></h3>'
                      f"{rewrite_table(found)}</div>")
    since = f"not in the previous run {previous_id}" if previous is not None else "all rewrites of this run"
    subtitle = f"Top {TOP_REWRITES} per locale by support users, then weight; new = (locale, source) {since}"
    return card("Top new rewrites", f'<div class="locales">{"".join(blocks)}</div>' if blocks else no_data(), subtitle,
                wide=True)


def panel_withdrawn(withdrawn: dict[str, list]) -> str:
    """The rewrites their live outcomes withdrew at this publish (`miner.feedback`), most served first."""
    title = "Rewrites withdrawn by their outcomes"
    subtitle = ("served rewrites that failed for most of their users (failed), or whose live weight fell below the "
                "minimum (demoted); served and failed users are decayed counts over the days")
    rows = sorted(zip(*(withdrawn[k] for k in WITHDRAWN_COLUMNS)), key=lambda r: (-(number(r[5]) or 0), str(r[1])))
    if not rows:
        return card(title, '<p class="muted">none: every served rewrite held up</p>', subtitle, wide=True)
    body = "".join(
        f'<tr><td class="loc">{esc(locale)}</td><td>{esc(source)}</td><td>{esc(target)}'
        f'<span class="note">{esc(intent or NA)}</span></td><td>{esc(reason)}</td>'
        f'<td class="num">{fmt_int(round(number(failed) or 0))} / {fmt_int(round(number(served) or 0))}</td></tr>'
        for locale, source, target, intent, reason, served, failed in rows[:TOP_REWRITES * 2]
    )
    head = ('<tr><th>Locale</th><th>Source</th><th>Target</th><th>Reason</th>'
            '<th class="num">Failed / served users</th></tr>')
    return card(title, f'<table class="nlu"><thead>{head}</thead><tbody>{body}</tbody></table>',
                f"{len(rows)} withdrawn · {subtitle}", wide=True)


def panel_rejected(rejected: dict[str, list]) -> str:
    """The readings most of their users rejected (`miner.readings`), most rejected first."""
    title = "Readings rejected by their users"
    subtitle = ("a phrasing read as this intent met friction, or was rephrased at once, for most of its users: a "
                "runtime serves the reading its users accepted (shown below the rejected one), or else its next-best "
                "reading; users are decayed counts over the days")
    rows = sorted(zip(*(rejected[k] for k in REJECTED_COLUMNS)), key=lambda r: (-(number(r[4]) or 0), str(r[1])))
    if not rows:
        return card(title, '<p class="muted">none: no reading was rejected by most of its users</p>', subtitle,
                    wide=True)
    body = "".join(
        f'<tr><td class="loc">{esc(locale)}</td><td>{esc(text)}</td><td>{esc(intent)}'
        f'<span class="note">{esc("accepted: " + accepted if accepted else "no accepted reading yet")}</span></td>'
        f'<td class="num">{fmt_int(round(number(rejecting) or 0))} / {fmt_int(round(number(served) or 0))}</td></tr>'
        for locale, text, intent, served, rejecting, accepted in rows[:TOP_REWRITES * 2]
    )
    head = ('<tr><th>Locale</th><th>Phrasing</th><th>Rejected reading</th>'
            '<th class="num">Rejecting / served users</th></tr>')
    return card(title, f'<table class="nlu"><thead>{head}</thead><tbody>{body}</tbody></table>',
                f"{len(rows)} rejected · {subtitle}", wide=True)


def regressed_chip(found: object) -> str:
    """A regressed intent as a red chip, its losses and gains on the test set in the chip and its tooltip."""
    if not isinstance(found, dict):
        return chip(found)
    lost, gained, p_value = found.get("lost"), found.get("gained"), number(found.get("p_value"))
    counted = all(isinstance(v, int) and not isinstance(v, bool) for v in (lost, gained))
    name = str(found.get("intent") if found.get("intent") is not None else NA)
    shown = f"{name} −{lost}/+{gained}" if counted else name
    tip = (f"{name}: lost {fmt_int(lost)}, gained {fmt_int(gained)} of {fmt_int(found.get('test_utterances'))} "
           f"test utterances; p = {NA if p_value is None else f'{p_value:.3g}'}")
    return f'<span class="chip bad" title="{esc(tip)}">{esc(shown)}</span>'


def regressed_intents(found: object) -> str:
    if not isinstance(found, list):
        return f'<span class="muted">{NA}</span>'
    return " ".join(regressed_chip(item) for item in found) or '<span class="muted">none</span>'


def verdict(regression: object) -> str:
    """The loop's verdict on the retrained model: regression true is red, false green."""
    return badge(not regression if isinstance(regression, bool) else None, ("no regression", "regression", NA))


def nlu_row(locale: str, entry: dict) -> str:
    accuracy = nlu_accuracy(entry)
    before, after = number(accuracy.get("before")), number(accuracy.get("after"))
    low, high, level = number(accuracy.get("low")), number(accuracy.get("high")), number(accuracy.get("level"))
    ci = f" [{fmt_points(low, True)}, {fmt_points(high, True)}]" if low is not None and high is not None else ""
    level_tip = f"{fmt_pct(level, 0)} " if level is not None else ""
    baseline = (f"day 0: {fmt_accuracy(number(entry.get('baseline_accuracy')))} · "
                f"{fmt_int(entry.get('test_utterances'))} test utterances")
    failing = entry.get("failing_phrasings")
    fixed = f"{fmt_int(entry.get('fixed'))} / {fmt_int(failing)} fixed" if failing != 0 else "no failing phrasings"
    if number(entry.get("learnable_phrasings")):  # those whose rephrase worked: the ones the logs can teach
        fixed += f"; learnable {fmt_int(entry.get('learnable_fixed'))} / {fmt_int(entry.get('learnable_phrasings'))}"
    return (
        f'<tr><td class="loc">{esc(locale)}</td>{defect_cell(entry.get("defect_rate"))}'
        f'<td class="num"><b>{fmt_pct(fix_rate(entry), 0)}</b><span class="note">{esc(fixed)}</span></td>'
        f'<td class="num">{esc(fmt_accuracy(before))} → {esc(fmt_accuracy(after))}'
        f'<span class="note">{esc(baseline)}</span></td>'
        f'<td class="num" title="{esc(level_tip)}paired-bootstrap confidence interval">'
        f"{esc(fmt_points(accuracy_delta(accuracy), True) + ci)}</td>"
        f'<td class="num">{fmt_int(entry.get("records_added"))}</td>'
        f"<td>{regressed_intents(entry.get('regressed_intents'))}</td><td>{verdict(entry.get('regression'))}</td></tr>"
    )


def defect_cell(found: object) -> str:
    """The live defect rate as served (bold), and without the runtime's feedback and without any learning."""
    rates = found if isinstance(found, dict) else {}
    served, alone, unlearned = (number(rates.get(k)) for k in ("served", "without_rewrites", "without_learning"))
    shown = NA if served is None else f"{served:.1f}%"
    note = " · ".join(f"{name} {NA if value is None else f'{value:.1f}%'}"
                      for name, value in (("no rewrites or rejections", alone), ("no learning", unlearned)))
    return f'<td class="num"><b>{esc(shown)}</b><span class="note">{esc(note)}</span></td>'


def nlu_subtitle(nlu: dict) -> str:
    tolerance = number(nlu.get("tolerance_points"))
    parts = [
        f"day {nlu['day']}" if nlu.get("day") is not None else "",
        str(nlu.get("model") or ""),
        "defect rate: the share of the day's goal turns that failed as served (friction or a wrong intent), and "
        "without the runtime's rewrites and rejected readings, or any learning",
        "fix rate: of the misread phrasings users rephrased, the share the retrained model now reads correctly "
        "(learnable: those whose rephrase worked for at least 3 users)",
        "held-out accuracy before → after this run's retraining, Δ in points with its confidence interval",
        f"regression: CI low below −{tolerance:g} points or an intent lost significantly" if tolerance is not None
        else "",
    ]
    return " · ".join(part for part in parts if part)


def panel_nlu(run_dir: str | os.PathLike) -> str:
    """The NLU model retrained in the loop, per locale, from RUN/quality/nlu.json; "" when the run has none."""
    title = "NLU model in the loop"
    if not (Path(run_dir) / NLU).exists():
        return ""
    nlu = load_nlu(run_dir)
    if nlu is None:
        subtitle = f"{NLU.as_posix()} could not be read as a JSON object"
        return card(title, no_data("unreadable nlu.json"), subtitle, wide=True)
    locales = nlu_locales(nlu)
    if not locales:
        return card(title, no_data("no locales in nlu.json"), nlu_subtitle(nlu), wide=True)
    rows = "".join(nlu_row(name, locales[name]) for name in sorted(locales))
    head = ('<tr><th>Locale</th><th class="num">Defect rate</th><th class="num">Fix rate</th><th class="num">Accuracy before → after</th>'
            '<th class="num">Δ points [CI]</th><th class="num">Records added</th><th>Regressed intents</th>'
            "<th>Verdict</th></tr>")
    return card(title, f'<table class="nlu"><thead>{head}</thead><tbody>{rows}</tbody></table>', nlu_subtitle(nlu),
                wide=True)


def panel_quarantine(manifest: dict) -> str:
    ingest = stage(manifest, INGEST.name)
    reasons = ingest.get("quarantined_by_reason")
    if not isinstance(reasons, dict):
        return card("Quarantine reasons", no_data(NA), "no ingest stats in this run")
    items = sorted(counts_of(reasons).items(), key=lambda kv: (-kv[1], kv[0]))
    chart = hbar_chart(items, "Quarantined rows by reason", PALETTE[3])
    subtitle = f"{fmt_int(ingest.get('quarantined'))} rows quarantined of {fmt_int(ingest.get('rows_in'))}"
    return card("Quarantine reasons", chart, subtitle)


def stage_order(names: Iterable[str]) -> list[str]:
    names = list(names)
    return [n for n in STAGE_ORDER if n in names] + sorted(n for n in names if n not in STAGE_ORDER)


def panel_timings(manifest: dict) -> str:
    stages = manifest.get("stages") if isinstance(manifest.get("stages"), dict) else {}
    items = [(name, float(stage(manifest, name)["elapsed_s"])) for name in stage_order(stages)
             if isinstance(stage(manifest, name).get("elapsed_s"), (int, float))]
    chart = hbar_chart(items, "Stage timings", PALETTE[4], fmt_seconds)
    subtitle = f"elapsed seconds per stage, {fmt_seconds(sum(v for _, v in items))} in all" if items else "no timings"
    return card("Stage timings", chart, subtitle)


def dataset_color(results: list[dict]) -> str:
    failed = [r for r in results if r.get("success") is not True]
    if any(r.get("severity") == "critical" for r in failed):
        return FAIL
    return WARN if failed else PASS



def expectation_item(result: dict) -> str:
    ok = result.get("success") is True
    severity = str(result.get("severity") or NA)
    unexpected = result.get("unexpected_count")
    counted = isinstance(unexpected, int) and unexpected > 0
    extra = f'<span class="unexp">{fmt_int(unexpected)} unexpected</span>' if counted else ""
    return (
        f'<li><span class="pill {"ok" if ok else "bad"}">{"pass" if ok else "fail"}</span>'
        f'<span class="desc">{esc(result.get("description") or result.get("expectation") or NA)}'
        f'<span class="mono muted" title="{esc(result.get("expectation", ""))}">{esc(result.get("expectation", ""))}'
        f"</span>{extra}</span>"
        f'<span class="pill {"crit" if severity == "critical" else "warnsev"}">{esc(severity)}</span></li>'
    )


def dataset_block(name: str, results: list[dict]) -> str:
    passed = sum(1 for r in results if r.get("success") is True)
    rate = passed / len(results)
    ring = donut(rate, dataset_color(results), f"{name}: {passed} of {len(results)} expectations passed")
    items = "".join(expectation_item(r) for r in results)
    return (f'<div class="ds"><div class="dshead">{ring}<div><h3>{esc(name)}</h3>'
            f'<div class="muted">{passed} of {len(results)} passed</div></div></div>'
            f'<ul class="exps">{items}</ul></div>')


def panel_validation(manifest: dict) -> str:
    results = expectation_results(manifest)
    if not results:
        return card("Expectations", no_data(NA), "no validate stats in this run", wide=True)
    by_dataset: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_dataset[str(r.get("dataset", NA))].append(r)
    blocks = "".join(dataset_block(name, found) for name, found in by_dataset.items())
    subtitle = f"{len(results)} expectations over {len(by_dataset)} datasets; pass rate per dataset"
    return card("Expectations", f'<div class="datasets">{blocks}</div><p class="legendnote">{legend_html()}</p>',
                subtitle, wide=True)


def legend_html() -> str:
    items = (("all passed", PASS), ("a warning failed", WARN), ("a critical expectation failed", FAIL))
    return "".join(f'<span class="sw" style="background:{c}"></span>{esc(t)} ' for t, c in items)



# ---------------------------------------------------------------------------------------------- the runs index


def short_label(summary: dict) -> str:
    moment = parse_time(summary["started_at"])
    return moment.strftime("%m-%d %H:%M") if moment else clip(summary["run_id"], 12)


def dashboard_href(run_dir: str, link_base: str | None) -> str:
    target = Path(run_dir) / DASHBOARD
    path = os.path.relpath(target, link_base) if link_base is not None else str(target)
    return urllib.parse.quote(Path(path).as_posix())


def runs_table(summaries: list[dict], link_base: str | None) -> str:
    rows = []
    for s in reversed(chronological(summaries)):
        rows.append(
            f'<tr><td><a href="{esc(dashboard_href(s["run_dir"], link_base))}">{esc(s["run_id"])}</a></td>'
            f'<td>{esc(fmt_time(s["started_at"]))}</td><td class="mono">{esc(s["code_version"] or NA)}</td>'
            f'<td class="num">{fmt_int(s["pairs"])}</td><td class="num">{fmt_int(s["rewrites"])}</td>'
            f'<td class="num">{fmt_int(s["training"])}</td><td class="num">{fmt_pct(s["quarantine_share"], 2)}</td>'
            f'<td class="num">{fmt_pct(s["pass_rate"], 0)}</td><td>{badge(s["passed"])}</td></tr>'
        )
    head = ("<tr><th>Run</th><th>Started</th><th>Code version</th><th class='num'>Pairs</th>"
            "<th class='num'>Rewrites</th>"
            "<th class='num'>Training records</th><th class='num'>Quarantine share</th>"
            "<th class='num'>Expectations passed</th><th>Validation</th></tr>")
    return f'<table class="runs"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


TRENDS = (  # title, run_summary key, colour, formatter, whether the value is a share
    ("Pairs", "pairs", PALETTE[0], fmt_int, False),
    ("Training records", "training", PALETTE[5], fmt_int, False),
    ("Rewrites", "rewrites", PALETTE[1], fmt_int, False),
    ("Quarantine share", "quarantine_share", PALETTE[3], lambda v: fmt_pct(v, 2), True),
    ("Expectation pass rate", "pass_rate", PASS, lambda v: fmt_pct(v, 0), True),
    ("Run duration (s)", "duration_s", PALETTE[4], fmt_seconds, False),
)


NLU_TRENDS = (  # title, subtitle, one locale's value in an nlu.json, formatter, y ticks for the values shown
    ("NLU fix rate", "failing phrasings the retrained model reads correctly, per locale", fix_rate,
     lambda v: fmt_pct(v, 0), lambda values: trend_ticks(max(values), True)),
    ("Held-out accuracy", "after the run's retraining, per locale", lambda e: number(nlu_accuracy(e).get("after")),
     fmt_accuracy, lambda values: range_ticks(min(values), max(values), "%")),
)


def nlu_trend_panels(ordered: list[dict], labels: list[str]) -> list[str]:
    """One line per locale over the runs; runs without nlu.json (or without that locale) are gaps."""
    per_run = [nlu_locales(s["nlu"]) for s in ordered]
    names = sorted({name for found in per_run for name in found})
    panels = []
    for title, subtitle, value, fmt, ticks_for in NLU_TRENDS:
        series = {name: [value(found[name]) if name in found else None for found in per_run] for name in names}
        chart = multi_line_chart(labels, series, f"{title} over runs", fmt, ticks_for)
        panels.append(card(title, chart, f"{subtitle}, oldest left"))
    return panels


def trend_panels(summaries: list[dict]) -> list[str]:
    ordered = chronological(summaries)
    labels = [short_label(s) for s in ordered]
    panels = []
    for title, key, color, fmt, percent in TRENDS:
        chart = line_chart(labels, [s[key] for s in ordered], f"{title} over runs", color, fmt, percent)
        panels.append(card(title, chart, "per run, oldest left"))
    if any(s["nlu"] is not None for s in ordered):
        panels += nlu_trend_panels(ordered, labels)
    return panels
