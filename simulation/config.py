"""Every rate of the simulated world, in one frozen dataclass (``SimulationConfig``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulationConfig:
    """Every rate of the simulated world. Defaults follow the project brief; tests shrink the bot."""

    zipf_exponent: float = 1.1
    own_phrasing_share: float = 0.65
    misread_share: float = 0.20
    # friction, silent, barge-in, cancel shares among misread phrasings
    misread_kind_weights: tuple[tuple[str, float], ...] = (
        ("friction", 0.40), ("silent", 0.30), ("bargein", 0.15), ("cancel", 0.15),
    )
    same_scenario_misread_share: float = 0.65
    low_confidence_success_share: float = 0.05
    noise_interrupt_share: float = 0.02
    silent_noticed_share: float = 0.75
    rephrase_share: float = 0.60
    repeat_share: float = 0.05
    switch_share: float = 0.25  # the rest (0.10) give up
    hostile_rephrase_share: float = 0.90
    same_values_switch_share: float = 0.40
    stop_word_share: float = 0.50  # of those giving up
    max_attempts: int = 3
    same_scenario_followup_share: float = 0.50
    continue_session_share: float = 0.60  # chance of one more goal after each finished one
    max_goals_per_session: int = 6
    session_count_weights: tuple[float, ...] = (0.30, 0.35, 0.20, 0.15)  # 1..4 sessions a day
    noisy_surface_share: float = 0.15
    embedded_hostile_share: float = 0.003
    duplicate_share: float = 0.01
    malformed_share: float = 0.005
    standalone_hostile_share: float = 0.001
    null_device_user_share: float = 0.03
    two_device_user_share: float = 0.35
    hostile_user_every: int = 25  # every 25th user opens with one of the fixed hostile phrasings
    midnight_user_every: int = 97  # every 97th user's session starts at 23:59 and runs past midnight
    bot_hours: float = 2.5
    users_per_batch: int = 10_000  # ~60k rows: big enough to amortize numpy calls, small enough for memory
    max_cached_phrasings: int = 300_000  # per locale; beyond it the cache starts afresh (bounded memory)
