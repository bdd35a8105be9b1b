"""The looping bot."""

from __future__ import annotations


def test_the_bot_repeats_one_utterance_every_one_to_three_seconds(rows):
    log_rows, truth = rows
    bot = sorted((r for r in log_rows if truth[r["event_id"]]["role"] == "bot"), key=lambda r: r["ts"])
    gaps = [(b["ts"] - a["ts"]).total_seconds() for a, b in zip(bot, bot[1:])]

    assert len(bot) == 90
    assert len({(r["user_id"], r["device_id"], r["utterance"]) for r in bot}) == 1
    assert all(1 <= g <= 3 for g in gaps)
    assert bot[0]["locale"] == "en-US"  # the first locale gets the bot
