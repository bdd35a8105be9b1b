"""Static HTML dashboards for pipeline runs: one page per run, and an index page across runs.

A dashboard is one self-contained HTML file: inline CSS and inline SVG charts drawn here, no JavaScript, no
external resources (a Content-Security-Policy forbids scripts even if some markup slipped through). Every
string that comes from the logs or from a run folder (utterances, intents, reasons, descriptions, run ids) is
HTML-escaped, in table cells as in SVG <text> and <title>.

A run folder RUN holds manifest.json (run id, times, code version, per-stage stats), pairs/ and rewrites/
(Parquet, partitioned by locale) and training/<locale>.jsonl; a run the loop retrained the NLU model with
(`rephrase-miner loop`) also holds quality/nlu.json (per locale: fix rate, held-out accuracy before and after with
its confidence interval, regressed intents, the regression verdict), shown in a panel of its own and as trends in
the index. Missing stages, stats, datasets or fields render as "n/a" (a run without quality/nlu.json has no such
panel, an unreadable one says so); a scheduled run folder (accumulate, emit, validate; no ingest) renders too.

This module assembles the pages and writes them: the facts come from reporting.facts, the charts from
reporting.charts, the panels from reporting.panels.

Usage:
    rephrase-miner report --run RUN [--previous PREV]
        writes RUN/quality/dashboard.html; with PREV, "new" rewrites are those whose (locale, source) is not
        among PREV's rewrites (without PREV every rewrite is new).
    rephrase-miner report --index OUT.html --runs RUN [RUN ...]
        writes each RUN/quality/dashboard.html (each against the run before it, in time) and OUT.html, one
        row per run, newest first, linking to the dashboards by paths relative to OUT.html, with trends.

From Python: render_run(run_dir, previous_dir=None) and render_index(run_dirs, link_base=None) return HTML;
write_dashboard(run_dir, previous_dir=None) and write_index(run_dirs, out_html) write it and return the path.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.stages import EMIT
from reporting.charts import NA, esc, no_data
from reporting.facts import (
    DASHBOARD,
    chronological,
    load_manifest,
    read_columns,
    run_summary,
    stage,
    training_by_locale,
)
from reporting.panels import (
    REJECTED_COLUMNS,
    WITHDRAWN_COLUMNS,
    alerts,
    card,
    header,
    kpis,
    panel_nlu,
    panel_pairs,
    panel_quarantine,
    panel_rejected,
    panel_rewrites,
    panel_support,
    panel_timings,
    panel_training,
    panel_validation,
    panel_weights,
    panel_withdrawn,
    runs_table,
    trend_panels,
)

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:#1e293b;font:14px/1.45 Inter,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Liberation Sans","DejaVu Sans",sans-serif}
main{max-width:1360px;margin:0 auto;padding:0 24px 40px}
.top{background:linear-gradient(120deg,#0f172a 0%,#1e1b4b 55%,#312e81 100%);color:#fff;padding:28px 40px 64px;
display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
.top .title{min-width:0}
.eyebrow{margin:0 0 4px;text-transform:uppercase;letter-spacing:.12em;font-size:12px;color:#a5b4fc;font-weight:600}
h1{margin:0 0 14px;font-size:28px;font-weight:700;letter-spacing:-.01em;word-break:break-all}
.meta{display:flex;flex-wrap:wrap;gap:8px 36px;margin:0}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#94a3b8}
.meta dd{margin:2px 0 0;font-size:14px;color:#e2e8f0;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:9px 18px;border-radius:999px;font-weight:700;font-size:13px;letter-spacing:.04em;
text-transform:uppercase;white-space:nowrap}
.badge.pass{background:#dcfce7;color:#166534;box-shadow:0 0 0 3px rgba(34,197,94,.35)}
.badge.fail{background:#fee2e2;color:#991b1b;box-shadow:0 0 0 3px rgba(239,68,68,.45)}
.badge.na{background:#e2e8f0;color:#475569}
.badge.warn{background:#fef3c7;color:#92400e;box-shadow:0 0 0 3px rgba(245,158,11,.4)}
.kpis{display:grid;grid-template-columns:repeat(8,1fr);gap:12px;margin:-40px 0 20px}
.kpi{background:#fff;border-radius:12px;padding:14px 14px;
box-shadow:0 1px 3px rgba(15,23,42,.08),0 4px 14px rgba(15,23,42,.05)}
.kpi .k{font-size:10.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;text-transform:uppercase;
letter-spacing:.04em;color:#64748b;font-weight:600}
.kpi .v{font-size:24px;font-weight:700;margin-top:4px;font-variant-numeric:tabular-nums;color:#0f172a}
.kpi .v.na{color:#94a3b8}
.kpi .n{font-size:12px;color:#64748b;min-height:17px}
.alerts{list-style:none;margin:0 0 20px;padding:0}
.alerts li{padding:10px 14px;border-radius:8px;margin-bottom:8px;font-weight:600}
.alerts li.fail{background:#fee2e2;color:#991b1b}
.alerts li.warn{background:#fef3c7;color:#92400e}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px}
.card{background:#fff;border-radius:14px;padding:20px 22px 16px;min-width:0;
box-shadow:0 1px 3px rgba(15,23,42,.08),0 4px 14px rgba(15,23,42,.05)}
.card.wide{grid-column:1/-1}
.lift{margin-top:-40px}
.trends{grid-template-columns:repeat(3,minmax(0,1fr));margin-top:20px}
h2{margin:0;font-size:16px;font-weight:700;color:#0f172a}
.sub{margin:2px 0 12px;color:#64748b;font-size:12.5px;overflow-wrap:anywhere}
h3{margin:0 0 8px;font-size:14px;color:#312e81}
h3 .count{font-weight:500;color:#94a3b8;font-size:12px;margin-left:6px}
svg.chart{width:100%;height:auto;display:block}
svg text{font-family:inherit;fill:#334155}
svg .tick{font-size:11px;fill:#64748b}
svg .cat{font-size:12.5px;fill:#1e293b;font-weight:600}
svg .value{font-size:12px;fill:#0f172a;font-weight:700}
svg .small{font-size:10.5px;font-weight:600;fill:#475569}
svg .legend{font-size:12px;fill:#334155}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .axis{stroke:#94a3b8;stroke-width:1}
svg .track{fill:#f1f5f9}
.empty{padding:36px 0;text-align:center;color:#94a3b8;font-style:italic;background:#f8fafc;border-radius:10px}
.locales{display:grid;grid-template-columns:1fr;gap:22px}
table{width:100%;border-collapse:collapse;font-size:12.5px}
th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#64748b;font-weight:600;
padding:6px 8px;border-bottom:1px solid #e2e8f0}
td{padding:6px 8px;border-bottom:1px solid #f1f5f9;vertical-align:top}
tbody tr:nth-child(even) td{background:#fafbfd}
td.utt{overflow-wrap:anywhere;color:#0f172a;width:36%}
.chip{display:inline-block;padding:1px 8px;border-radius:6px;background:#f1f5f9;color:#475569;font-size:11.5px;
white-space:nowrap}
td.tgt{color:#3730a3;font-weight:600}
td.arrow{color:#a5b4fc;padding:6px 0}
td.rank{color:#94a3b8;width:22px}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.w{width:92px}
.wbar{display:inline-block;width:38px;height:6px;background:#e0e7ff;border-radius:3px;margin-right:6px;
vertical-align:middle;overflow:hidden}
.wbar span{display:block;height:100%;background:#4f46e5;border-radius:3px}
.muted{color:#94a3b8}
.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:11px}
.pill{display:inline-block;padding:2px 9px;border-radius:999px;font-size:11px;font-weight:700;
text-transform:uppercase;letter-spacing:.04em}
.pill.ok{background:#dcfce7;color:#166534}.pill.bad{background:#fee2e2;color:#991b1b}
.pill.crit{background:#ede9fe;color:#5b21b6}.pill.warnsev{background:#fef3c7;color:#92400e}
.datasets{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:18px}
.ds{border:1px solid #e2e8f0;border-radius:12px;padding:14px 16px}
.dshead{display:flex;align-items:center;gap:14px;margin-bottom:8px}
.dshead h3{font-size:16px;margin:0;color:#0f172a}
svg.donut{width:76px;height:76px;flex:none}
svg .donut{font-size:22px;font-weight:700;fill:#0f172a}
.exps{list-style:none;margin:0;padding:0}
.exps li{display:flex;gap:8px;align-items:flex-start;padding:7px 0;border-top:1px solid #f1f5f9;font-size:12.5px}
.exps .desc{flex:1;min-width:0;overflow-wrap:anywhere}
.exps .desc .mono{display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:10.5px}
.unexp{display:block;color:#b91c1c;font-weight:600;font-size:11.5px}
.legendnote{font-size:12px;color:#64748b;margin:10px 0 0}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 10px;vertical-align:-1px}
.runs a{color:#4338ca;font-weight:600;text-decoration:none}
.runs td{vertical-align:middle}
.runs .badge,.nlu .badge{padding:3px 10px;font-size:10.5px;box-shadow:none}
.nlu td{vertical-align:middle}
td.loc{font-weight:600;color:#0f172a;overflow-wrap:anywhere}
.note{display:block;color:#94a3b8;font-size:11px}
.chip.bad{background:#fee2e2;color:#991b1b;margin:1px 0}
footer{color:#94a3b8;font-size:12px;text-align:center;margin-top:28px}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def page(title: str, body: str) -> str:
    """A complete HTML document: inline CSS, no script, and a policy that forbids scripts anyway."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def render_run(run_dir: str, previous_dir: str | None = None) -> str:
    """The HTML dashboard of one run; with previous_dir, "new" rewrites are those not in that run's rewrites."""
    manifest = load_manifest(run_dir)
    summary = run_summary(run_dir)
    pairs = read_columns(Path(run_dir) / "pairs", ("locale", "kind", "weight", "support_users"))
    rewrite_columns = ("locale", "source", "target", "weight", "target_intent", "support_users")
    rewrites = read_columns(Path(run_dir) / "rewrites", rewrite_columns)
    previous = read_columns(Path(previous_dir) / "rewrites", ("locale", "source")) if previous_dir else None
    previous_id = (load_manifest(previous_dir).get("run_id") or Path(previous_dir).name) if previous_dir else None
    emit = stage(manifest, EMIT.name)
    locales = ({str(x) for x in pairs["locale"]} | set(training_by_locale(run_dir, manifest))
               | set(emit.get("rewrites_by_locale") or {}))
    panels = [
        panel_pairs(pairs),
        panel_training(run_dir, manifest),
        panel_weights(pairs),
        panel_support(pairs),
        panel_rewrites(rewrites, previous, locales, previous_id),
        panel_nlu(run_dir),
        panel_withdrawn(read_columns(Path(run_dir) / "withdrawn_rewrites", WITHDRAWN_COLUMNS)),
        panel_rejected(read_columns(Path(run_dir) / "rejected_readings", REJECTED_COLUMNS)),
        panel_quarantine(manifest),
        panel_timings(manifest),
        panel_validation(manifest),
    ]
    body = (
        header(manifest, run_dir)
        + f'<main>{kpis(manifest, summary)}{alerts(manifest)}<div class="grid">{"".join(panels)}</div>'
        + f"<footer>Generated by reporting.page from {esc(Path(run_dir).name)}/manifest.json and its datasets</footer>"
        + "</main>"
    )
    return page(f"Run {summary['run_id']} · rephrase miner", body)


def render_index(run_dirs: list[str], link_base: str | None = None) -> str:
    """One row per run, newest first, linking to RUN/quality/dashboard.html, and trends over runs.

    Links are relative to link_base (the folder the index is written to); without it, RUN/quality/dashboard.html
    as RUN was given.
    """
    summaries = [run_summary(run_dir) for run_dir in run_dirs]
    passed = sum(1 for s in summaries if s["passed"] is True)
    top = (
        '<header class="top"><div class="title"><p class="eyebrow">Rephrase miner · runs</p>'
        f'<h1>{len(summaries)} run{"" if len(summaries) == 1 else "s"}</h1><dl class="meta">'
        f"<div><dt>Validation passed</dt><dd>{passed} of {len(summaries)}</dd></div>"
        f'<div><dt>Newest</dt><dd>{esc(chronological(summaries)[-1]["run_id"] if summaries else NA)}</dd></div>'
        "</dl></div></header>"
    )
    rows = runs_table(summaries, link_base) if summaries else no_data("no runs")
    table = card("Runs", rows, "newest first", wide=True)
    trends = f'<div class="grid trends">{"".join(trend_panels(summaries))}</div>'
    body = f'{top}<main><div class="grid lift">{table}</div>{trends}</main>'
    return page("Rephrase miner runs", body)


# ---------------------------------------------------------------------------------------------- writing


def write_text(path: Path, content: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return str(path)


def write_dashboard(run_dir: str, previous_dir: str | None = None) -> str:
    """Writes RUN/quality/dashboard.html and returns its path."""
    return write_text(Path(run_dir) / DASHBOARD, render_run(run_dir, previous_dir))


def write_index(run_dirs: list[str], out_html: str) -> str:
    """Writes the index to out_html, links relative to its folder, and returns its path."""
    out = Path(out_html)
    return write_text(out, render_index(run_dirs, link_base=str(out.parent)))


def write_published_dashboards(root: str, published: dict, log=print) -> None:
    """After `pipeline.warehouse.publish`: the run's dashboard (new rewrites: those not in the run it replaced as
    the latest) and the index of all published days. Remote roots get none: the dashboards are local files."""
    if "://" in root:
        return
    from pipeline.warehouse import published_days, published_path

    log(f"[publish] dashboard: {write_dashboard(published['path'], published['replaced'])}")
    days = [published_path(root, day) for day in published_days(root)]
    log(f"[publish] index: {write_index(days, os.path.join(root, 'published', 'index.html'))}")


def write_index_and_dashboards(run_dirs: list[str], out_html: str, written: str | None = None, log=print) -> str:
    """Writes each run's dashboard, each against the run before it in time (but written, a run whose dashboard is
    already written), then the index to out_html; logs each dashboard's path and returns the index's."""
    ordered = [s["run_dir"] for s in chronological([run_summary(r) for r in run_dirs])]
    for previous, run_dir in zip([None, *ordered], ordered):
        if run_dir != written:
            log(write_dashboard(run_dir, previous))
    return write_index(run_dirs, out_html)
