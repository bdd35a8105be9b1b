"""Whole pages from reporting.page: a run's dashboard and the runs index as written, hostile text escaped, run
folders missing stages or data, and a real render in headless Chromium (no Spark)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reporting.page import render_index, render_run, write_dashboard, write_index, write_published_dashboards
from tests.runs_factory import (
    IFRAME,
    IFRAME_ESCAPED,
    NLU,
    NLU_PANEL,
    SCRIPT,
    SCRIPT_ESCAPED,
    make_run,
    manifest,
    section,
    write_nlu,
)


def test_hostile_text_is_escaped_everywhere(run):
    page = render_run(run)
    assert SCRIPT_ESCAPED in section(page, "Top new rewrites")
    assert IFRAME_ESCAPED in section(page, "Top new rewrites")
    assert SCRIPT_ESCAPED in section(page, "Quarantine reasons")  # a reason, in SVG <text> and <title>
    assert SCRIPT not in page and IFRAME not in page
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    assert "script-src" not in page and "default-src 'none'" in page  # a CSP that forbids any script


def test_missing_stages_render_na(tmp_path):
    scheduled = manifest("sched", "2026-12-02T02:00:00+00:00",
                         accumulate={"elapsed_s": 9.0, "pairs_by_kind": {"rephrase": 5}},
                         emit={"elapsed_s": 1.0, "rewrites_by_locale": {"en-US": 2}})
    page = render_run(make_run(tmp_path, "scheduled", scheduled))
    assert '<div class="k">Log rows in</div><div class="v na">n/a</div>' in page
    assert '<div class="k">Pairs</div><div class="v">5</div>' in page  # from accumulate
    assert '<div class="k">Rewrites</div><div class="v">2</div>' in page
    assert "no ingest stats in this run" in section(page, "Quarantine reasons")
    assert "no validate stats in this run" in section(page, "Expectations")
    assert "Validation n/a" in page
    assert "<title>accumulate: 9.0 s</title>" in section(page, "Stage timings")
    assert "<title>en-US · records: 9</title>" in section(page, "Training records per locale")  # counted lines

    bare = render_run(make_run(tmp_path, "bare", None, pairs=[], rewrites=[]))
    assert "<h1>bare</h1>" in bare and bare.count("n/a") >= 8
    assert "no data" in section(bare, "Pair weight distribution")


def test_index_lists_runs_newest_first_with_relative_links_and_trends(tmp_path, run, previous):
    out = write_index([previous, run], str(tmp_path / "site" / "index.html"))
    page = Path(out).read_text()
    assert page.index(">r2</a>") < page.index(">r1</a>")
    assert 'href="../run-2/quality/dashboard.html"' in page and 'href="../run-1/quality/dashboard.html"' in page
    for title in ("Pairs", "Training records", "Rewrites", "Quarantine share", "Expectation pass rate"):
        section(page, title)
    assert "<title>11-30 02:00: 1.00%</title>" in section(page, "Quarantine share")
    assert "<title>12-01 02:00: 67%</title>" in section(page, "Expectation pass rate")
    assert "<title>12-01 02:00: 7</title>" in section(page, "Pairs")
    assert 'href="run-2/quality/dashboard.html"' in render_index([run, previous], link_base=str(tmp_path))


def test_published_dashboards_draw_the_run_against_the_one_it_replaced_and_the_index(tmp_path, run, previous):
    root = tmp_path / "root"
    published = root / "published" / "2026-12-01" / "v2"
    shutil.copytree(run, published)
    (root / "published" / "2026-12-01" / "CURRENT.json").write_text('{"ds": "2026-12-01", "version": "v2"}')
    (root / "published" / "LATEST.json").write_text('{"ds": "2026-12-01", "version": "v2"}')
    logged = []
    write_published_dashboards(str(root), {"path": str(published), "replaced": previous}, log=logged.append)

    assert [line.split(":")[0] for line in logged] == ["[publish] dashboard", "[publish] index"]
    assert (published / "quality" / "dashboard.html").exists()
    assert 'href="2026-12-01/v2/quality/dashboard.html"' in (root / "published" / "index.html").read_text()
    write_published_dashboards("s3://bucket/root", {"path": "s3://bucket/x", "replaced": None}, log=logged.append)
    assert len(logged) == 2  # remote roots get no local dashboards


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium not found: install Debian's chromium (apt-get install chromium fonts-dejavu-core), "
                    "as .ci/run does")
    return found


def headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=True)


def test_dashboard_in_headless_chromium(tmp_path, run, previous):
    write_nlu(run, NLU)
    write_nlu(previous, {**NLU, "locales": {"en-US": {**NLU["locales"]["en-US"], "fix_rate": 0.5}}})
    url = Path(write_dashboard(run, previous)).resolve().as_uri()
    dom = headless(tmp_path, "--dump-dom", url).stdout
    assert "Top new rewrites" in dom and "Pairs per locale" in dom
    assert NLU_PANEL in dom and "+0.42 [-0.05, +0.88]" in dom
    assert '<span class="badge fail">regression</span>' in dom
    assert '<span class="badge pass">no regression</span>' in dom
    assert SCRIPT_ESCAPED in dom and IFRAME_ESCAPED in dom  # the hostile strings are text, not markup
    assert "<script" not in dom.lower() and "<iframe" not in dom.lower()
    assert '<div class="k">Log rows in</div><div class="v">12,345</div>' in dom
    assert re.search(r'<text [^>]*class="value"[^>]*>9</text>', dom)  # en-US training records, on its bar

    shot = tmp_path / "dashboard.png"
    headless(tmp_path, f"--screenshot={shot}", "--window-size=1400,2000", url)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    index = Path(write_index([previous, run], str(tmp_path / "site" / "index.html"))).resolve().as_uri()
    dom = headless(tmp_path, "--dump-dom", index).stdout
    assert "NLU fix rate" in dom and "Held-out accuracy" in dom
    assert "<title>en-US · 11-30 02:00: 50%</title>" in dom and "<title>de-DE · 12-01 02:00: 83.10%</title>" in dom
    shot = tmp_path / "index.png"
    headless(tmp_path, f"--screenshot={shot}", "--window-size=1400,1600", index)
    assert shot.exists() and shot.stat().st_size > 10_000


# A phrasing of each script the dashboards show, beside as many characters no font has (the private use plane):
# without a font for the script, Chromium draws the same empty boxes for both.
SCRIPT_SAMPLES = {"ja-JP": "すべてのアラーム", "zh-CN": "取消所有的闹钟", "ar-SA": "اضبط المنبه", "kk-KZ": "оятқышты өшір"}


@pytest.mark.parametrize("locale", sorted(SCRIPT_SAMPLES))
def test_chromium_has_a_font_for_every_script_the_dashboards_show(tmp_path, locale):
    text = SCRIPT_SAMPLES[locale]
    unknown = "".join(chr(0x10FFF0 + i % 12) for i in range(len(text)))
    shots = []
    for name, sample in (("script", text), ("unknown", unknown)):
        page = tmp_path / f"{name}.html"
        page.write_text('<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff">'
                        f'<span style="font:48px sans-serif">{sample}</span>', encoding="utf-8")
        shot = tmp_path / f"{name}.png"
        headless(tmp_path, f"--screenshot={shot}", "--window-size=500,80", page.as_uri())
        shots.append(shot.read_bytes())
    assert shots[0] != shots[1], f"{locale} renders as empty boxes: install fonts-noto-cjk (CJK), as .ci/run does"
