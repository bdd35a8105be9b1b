"""A log profile as terminal text and as a page: the verdict first, the logs' own column names, values escaped."""

from reporting.profile_page import format_profile, render_profile, write_profile_page

PROFILE = {
    "logs": "/logs/date=2026-11-30", "log_format": {"format": "jsonl"}, "files": 2, "rows": 1000, "quarantined": 10,
    "valid_rows": 990, "event_ids": 985, "users": 120, "devices": 130, "first_ts": "2026-11-30 00:00:01",
    "last_ts": "2026-11-30 23:59:58", "span_hours": 24.0, "sessions": 400, "friction_turns": 200,
    "rephrased_turns": 90, "recovered_turns": 70, "pairs": 40, "pairs_at_floor": 0, "null_confidence": 0,
    "null_intent": 99, "locales": {"en-US": {"rows": 990, "friction_rows": 200}},
    "statuses": {"success": 790, "error": 200}, "confidence_histogram": [0, 0, 0, 0, 0, 10, 20, 30, 40, 890],
    "quarantine": [{"reason": "unknown_status", "source_column": "outcome", "rows": 10,
                    "examples": ["<script>", None], "hint": "add the logs' outcome codes to `status_values`"}],
    "settings": {"min_users": 3}, "elapsed_s": 4.2,
    "verdict": {"level": "ready with warnings", "blocking": [], "warnings": ["no failing phrasing <b>"]},
}


def test_the_text_leads_with_the_verdict_and_names_the_logs_columns():
    lines = format_profile(PROFILE).splitlines()
    assert lines[:2] == ["/logs/date=2026-11-30: READY WITH WARNINGS", "  warning: no failing phrasing <b>"]
    # labels aligned on the longest one
    assert "Failing turns (status or low confidence): 200 (20.2%)" in lines
    assert "Rephrase pairs:                           40, 0 of them from 3+ users (the k-user floor)" in lines
    assert "en-US          990   20.2%" in lines
    assert "  unknown_status in outcome: 10 rows, e.g. '<script>'" in lines  # a null value is not an example
    assert lines[-1] == "profiled in 4.2 s"


def test_the_page_escapes_what_came_from_the_logs_and_badges_the_verdict(tmp_path):
    html = render_profile(PROFILE)
    assert "<script>" not in html and "&#x27;&lt;script&gt;&#x27;" in html
    assert "Warning: no failing phrasing &lt;b&gt;" in html
    assert '<span class="badge warn">ready with warnings</span>' in html
    path = write_profile_page(PROFILE, str(tmp_path / "profile" / "day.html"))
    assert open(path, encoding="utf-8").read() == html
