"""The NLU loop's report: the progress line of each day, loop.md (the tables), loop.svg (the curves) and the
list of regressions `rephrase-miner loop` exits 3 on. Reads only the report dict `nlu.loop.run` builds."""

from __future__ import annotations

MAX_LISTED_WITHDRAWN = 20  # in loop.md; loop.json has them all


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def format_day(day: dict) -> str:
    lines = [f"[loop] {day['day']}: retrained on the records published in {day['published']}"]
    for locale, r in day["locales"].items():
        a = r["accuracy"]
        regressed = ", ".join(i["intent"] for i in r["regressed_intents"]) or "none"
        lines.append(
            f"  {locale}: fix rate {_fix(r, '')}, learnable {_fix(r, 'learnable_')}; "
            f"test accuracy {a['before']:.2f}% -> {a['after']:.2f}% "
            f"({_interval(a)}); "
            f"{r['records_added']:,} records; regressed intents: {regressed}"
            + ("; REGRESSION" if r["regression"] else "")
        )
    return "\n".join(lines)


def markdown_report(report: dict) -> str:
    k = report["min_rephrasing_users"]
    lines = [
        "# NLU loop",
        "",
        f"Model: {report['model']}. MASSIVE from `{report['massive']}`; {report['users_per_locale']:,} simulated "
        f"users per locale and day, seed {report['seed']}; {report['elapsed_s']:.0f} s in all.",
        "",
        "| locale | baseline trained on | train records | goal records | test utterances | baseline accuracy |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for locale, info in report["locales"].items():
        lines.append(
            f"| {locale} | {info['train_source']} | {info['train_records']:,} | {info['goal_records']:,} | "
            f"{info['test_utterances']:,} | {info['baseline_accuracy']:.2f}% |"
        )
    lines += defect_lines(report)
    lines += [
        "",
        f"Over the {len(report['days'])} days: every phrasing that failed and that >= {k} users rephrased on some day "
        "(counted once), read by the final model; held-out test accuracy of the final model against the baseline. "
        f"Learnable: the failing phrasings whose rephrase worked for >= {k} users (the others left no label in the "
        "logs: every rephrase of them was misread too).",
        "",
        "| locale | fix rate | learnable fix rate | accuracy: baseline | final | change [95% CI] | regressed intents | "
        "verdict |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for locale, r in report["summary"].items():
        a = r["accuracy"]
        lines.append(
            f"| {locale} | {_fix(r, '')} | {_fix(r, 'learnable_')} | {a['before']:.2f}% | {a['after']:.2f}% | "
            f"{_interval(a)} | {_intents(r)} | {_verdict(r)} |"
        )
    lines += [
        "",
        f"Per day: fix rate (phrasings the serving model misread that >= {k} users rephrased, and that the retrained "
        "model reads right); held-out test accuracy of the serving model and of the retrained one, with the "
        "change and its paired bootstrap 95% interval, in points; records: the published training records "
        "added to the baseline's data.",
        "",
        "| day | locale | fix rate | learnable fix rate | accuracy before | after | change [95% CI] | "
        "since baseline [95% CI] | records | regressed intents | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for day in report["days"]:
        for locale, r in day["locales"].items():
            a = r["accuracy"]
            lines.append(
                f"| {day['day']} | {locale} | {_fix(r, '')} | {_fix(r, 'learnable_')} | {a['before']:.2f}% | "
                f"{a['after']:.2f}% | {_interval(a)} | {_interval(r['since_baseline'])} | {r['records_added']:,} | "
                f"{_intents(r)} | {_verdict(r)} |"
            )
    return "\n".join(lines) + "\n"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def defect_lines(report: dict) -> list[str]:
    """The headline: the live defect rate per day and locale, what each lever removed, and the withdrawn rewrites."""
    lines = [
        "",
        "## Live defect rate",
        "",
        "The share of the day's goal turns that failed (friction or a wrong intent) as served; without the "
        "runtime's feedback served that day (rewrites and rejected readings: the serving model alone); and without "
        "any learning (the baseline model). Removed by retraining, by rewrites and by rejected readings: in points. "
        "No working phrasing: the served failures of goals that no turn of the day served right, in any words (the "
        "logs hold no label for them). Rewrites and rejected readings: the tables published the day before, served "
        "in front of the model and in its hypothesis ranking; newly withdrawn: rewrites taken out by their own "
        "outcomes at that day's publish (a withdrawal stays in force while the failures last).",
        "",
        "| locale | first day | last day | relative change |",
        "|---|---:|---:|---:|",
    ]
    for locale, r in report["summary"].items():
        change = r["defect_rate"]["relative_change"]
        lines.append(
            f"| {locale} | {_rate(r['defect_rate']['first_day'])} | {_rate(r['defect_rate']['last_day'])} | "
            + ("n/a" if change is None else f"{change:+.1f}%") + " |"
        )
    lines += [
        "",
        "| day | locale | goal turns | served | without rewrites | without learning | removed by retraining | "
        "removed by rewrites | removed by rejections | no working phrasing | rewritten turns | rewrites served | "
        "published | newly withdrawn | reranked turns | rejections served | rejections published |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for day in report["days"]:
        for locale, r in day["locales"].items():
            d = r["defect_rate"]
            lines.append(
                f"| {day['day']} | {locale} | {d['goal_turns']:,} | {_rate(d['served'])} | "
                f"{_rate(d['without_rewrites'])} | {_rate(d['without_learning'])} | "
                f"{d.get('removed_by_retraining', 0):.2f} | {d.get('removed_by_rewrites', 0):.2f} | "
                f"{d.get('removed_by_rejections', 0):.2f} | {_rate(d.get('no_working_phrasing'))} | "
                f"{d['rewritten_turns']:,} | {r['rewrites_served']:,} | {r['rewrites_published']:,} | "
                f"{len(r['withdrawn']):,} | {d['reranked_turns']:,} | {r['rejections_served']:,} | "
                f"{r['rejections_published']:,} |"
            )
    withdrawn = [(day["day"], locale, w) for day in report["days"] for locale, r in day["locales"].items()
                 for w in r["withdrawn"]]
    lines += ["", f"Rewrites withdrawn by their outcomes: {len(withdrawn)}" + (":" if withdrawn else ".")]
    if withdrawn:
        lines += ["", "| published on | locale | source | target | reason | served users | failed users |",
                  "|---|---|---|---|---|---:|---:|"]
        for day, locale, w in withdrawn[:MAX_LISTED_WITHDRAWN]:
            lines.append(
                f"| {day} | {locale} | {w['source']} | {w['target']} ({w['target_intent'] or 'n/a'}) | {w['reason']} | "
                f"{w['served_users']:.1f} | {w['failed_users']:.1f} |"
            )
        if len(withdrawn) > MAX_LISTED_WITHDRAWN:
            lines.append(f"\n... and {len(withdrawn) - MAX_LISTED_WITHDRAWN} more in loop.json.")
    return lines


def _fix(r: dict, prefix: str) -> str:
    total = r[f"{prefix}phrasings" if prefix else "failing_phrasings"]
    rate, fixed = r[f"{prefix}fix_rate"], r[f"{prefix}fixed"]
    return "n/a" if rate is None else f"{rate:.2f} ({fixed}/{total})"


def _interval(a: dict) -> str:
    return f"{_signed(a['delta'])} [{_signed(a['low'])}, {_signed(a['high'])}]"


def _intents(r: dict) -> str:
    return ", ".join(f"{i['intent']} (-{i['lost']}/+{i['gained']})" for i in r["regressed_intents"]) or "none"


def _verdict(r: dict) -> str:
    return "**regression**" if r["regression"] else "no regression"


def curve_svg(report: dict) -> str:
    """The day-over-day curves as one standalone SVG (for the README): the live defect rate, held-out accuracy
    from the baseline on, and each day's fix rate, one line per locale."""
    from reporting.charts import fmt_accuracy, fmt_pct, multi_line_chart, range_ticks, trend_ticks
    from reporting.page import CSS

    days = report["days"]
    labels = ["baseline", *[day["day"][5:] for day in days]]
    accuracy = {locale: [info["baseline_accuracy"], *[day["locales"][locale]["accuracy"]["after"] for day in days]]
                for locale, info in report["locales"].items()}
    fixes = {locale: [None, *[day["locales"][locale]["fix_rate"] for day in days]] for locale in report["locales"]}
    defects = {locale: [None, *[day["locales"][locale]["defect_rate"]["served"] for day in days]]
               for locale in report["locales"]}
    charts = [
        ("Live defect rate: the day's turns that failed",
         multi_line_chart(labels, defects, "Defect rate", lambda v: f"{v:.1f}%",
                          lambda values: range_ticks(0.0, max(values), "%"))),
        ("Held-out test accuracy after each day's retraining",
         multi_line_chart(labels, accuracy, "Held-out test accuracy", fmt_accuracy,
                          lambda values: range_ticks(min(values), max(values), "%"))),
        ("Fix rate of the day's rephrased failures",
         multi_line_chart(labels, fixes, "Fix rate", lambda v: fmt_pct(v, 0),
                          lambda values: trend_ticks(max(values), True))),
    ]
    parts = []
    for index, (title, chart) in enumerate(charts):
        x = index * 460
        parts.append(f'<text x="{x + 10}" y="18" class="value">{title}</text>')
        placed = f'<svg x="{x}" y="24" width="440" height="240" class="chart"'
        parts.append(chart.replace('<svg class="chart"', placed, 1))
    width = 460 * len(charts) - 20
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="270" viewBox="0 0 {width} 270" '
            f'font-family="DejaVu Sans, sans-serif"><rect width="{width}" height="270" fill="#fff"/>'
            f"<style>{CSS}</style>" + "".join(parts) + "</svg>\n")


def regressions(report: dict) -> list[str]:
    daily = [f"{day['day']} {locale}" for day in report["days"] for locale, r in day["locales"].items()
             if r["regression"]]
    return daily + [f"{locale} over all days" for locale, r in report["summary"].items() if r["regression"]]
