"""evaluation.metrics: the systems compared, and the report and tables built from collected counts."""

import inspect

from evaluation import metrics as ev
from miner import defaults


def test_baselines_compare_at_min_users_and_at_two_users():
    assert [b.system for b in ev.baselines(3)] == ["baseline_a@3", "baseline_b@3", "baseline_a@2", "baseline_b@2"]
    assert [b.system for b in ev.baselines(2)] == ["baseline_a@2", "baseline_b@2"]
    assert ev.system_label("baseline_b@3") == "baseline b (≥3 users)"


COUNTS = [
    ("en-US", "*", "goal_turns", 21), ("en-US", "*", "failing_turns", 9), ("en-US", "*", "recurring_failing_turns", 7),
    ("en-US", "*", "failing_phrasings", 2),
    ("en-US", "miner", "records", 4), ("en-US", "miner", "correct_records", 3), ("en-US", "miner", "recalled_phrasings", 1),
    ("en-US", "miner", "pairs:rephrase", 2), ("en-US", "miner", "same_intent_pairs:rephrase", 1),
    ("en-US", "miner", "rewritten", 5), ("en-US", "miner", "wins", 3), ("en-US", "miner", "losses", 2),
    ("en-US", "miner", "recurring_rewritten", 3), ("en-US", "miner", "recurring_wins", 3),
    ("en-US", "miner", "correct_turns_broken", 2),
    ("en-US", "baseline_a@2", "records", 3), ("en-US", "baseline_a@2", "correct_records", 1),
    ("de-DE", "*", "goal_turns", 6), ("de-DE", "*", "failing_turns", 3), ("de-DE", "*", "recurring_failing_turns", 3),
    ("de-DE", "miner", "rewritten", 1), ("de-DE", "miner", "losses", 1), ("de-DE", "miner", "recurring_rewritten", 1),
    ("de-DE", "miner", "recurring_losses", 1),
]


def test_report_derives_ratios_sums_locales_and_leaves_undefined_ones_null():
    report = ev.build_report(COUNTS, min_users=2)
    assert report["systems"] == ["miner", "baseline_a@2", "baseline_b@2"]
    assert list(report["locales"]) == ["de-DE", "en-US", "all"]
    en, de, total = (report["locales"][k] for k in ("en-US", "de-DE", "all"))
    assert en["scope"] == {"goal_turns": 21, "failing_turns": 9, "recurring_failing_turns": 7, "failing_phrasings": 2}
    assert en["systems"]["miner"] == {
        "records": 4, "correct_records": 3, "label_precision": 0.75, "recalled_phrasings": 1, "recall": 0.5,
        "pairs": {
            "rephrase": {"pairs": 2, "same_intent": 1, "precision": 0.5},
            "variant": {"pairs": 0, "same_intent": 0, "precision": None},
            "all": {"pairs": 2, "same_intent": 1, "precision": 0.5},
        },
        "replay": {
            "all": {"failing_turns": 9, "rewritten": 5, "wins": 3, "losses": 2, "unchanged": 4,
                    "win_loss_ratio": 1.5, "defect_reduction": 0.3333},
            "recurring": {"failing_turns": 7, "rewritten": 3, "wins": 3, "losses": 0, "unchanged": 4,
                          "win_loss_ratio": None, "defect_reduction": 0.4286},  # losses == 0: infinite
            "correct_turns_broken": 2,
        },
    }
    assert en["systems"]["baseline_a@2"] == {
        "records": 3, "correct_records": 1, "label_precision": 0.3333, "recalled_phrasings": 0, "recall": 0.0,
        "pairs": None, "replay": None,
    }
    assert en["systems"]["baseline_b@2"]["label_precision"] is None  # no records
    assert de["systems"]["miner"]["recall"] is None  # no failing phrasings
    assert de["systems"]["miner"]["replay"]["all"]["win_loss_ratio"] == 0.0
    assert total["systems"]["miner"]["replay"]["all"] == {
        "failing_turns": 12, "rewritten": 6, "wins": 3, "losses": 3, "unchanged": 6, "win_loss_ratio": 1.0,
        "defect_reduction": 0.25,
    }
    assert total["systems"]["miner"]["replay"]["recurring"]["win_loss_ratio"] == 3.0


def test_markdown_marks_infinite_and_undefined_ratios():
    report = ev.build_report(COUNTS, min_users=2)
    summary = ev.summary_table(report)
    assert summary[0] == (
        "| locale | system | records | label precision | recall | pair precision | wins | losses | win/loss "
        "| defect reduction |"
    )
    assert "| en-US | miner | 4 | 75.0% | 50.0% | 50.0% | 3 | 2 | 1.50 | 33.3% |" in summary
    assert "| en-US | baseline a (≥2 users) | 3 | 33.3% | 0.0% | — | — | — | — | — |" in summary
    assert "| de-DE | miner | 0 | — | — | — | 0 | 1 | 0.00 | 0.0% |" in summary
    replay = ev.replay_table(report)
    assert "| en-US | recurring | 7 | 3 | 3 | 0 | 4 | ∞ | 42.9% | — |" in replay
    empty = ev.replay_table(ev.build_report([("sw-KE", "*", "goal_turns", 1)]))
    assert "| sw-KE | all | 0 | 0 | 0 | 0 | 0 | — | — | 0 |" in empty
    document = ev.markdown_report(report, "runs/x", "sim/truth.parquet")
    assert document.startswith("# Evaluation of `runs/x`")
    assert "- **label precision**:" in document


def test_the_default_floor_is_the_miners():
    for function in (ev.baselines, ev.build_report):
        assert inspect.signature(function).parameters["min_users"].default == defaults.MIN_USERS
