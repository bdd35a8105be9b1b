"""Great Expectations suites as code: what must hold in each dataset of a run.

A `critical` expectation that fails blocks publishing; a `warning` is reported and does not. The suites are
plain declarations over `Checks` (the run's thresholds and reference values); `jobs/validate.py` runs them
on the run's Spark DataFrames and builds the Data Docs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import great_expectations.expectations as gxe

from miner.privacy import PLACEHOLDER_PATTERN
from schemas.interactions import STATUSES

CRITICAL, WARNING = "critical", "warning"

# MASSIVE marks a slot as `[name : value]`; dropping the marks must give back `utt` exactly.
_SLOT_MARK = r"'\\[[^\\[\\]:]+ : ([^\\[\\]]*)\\]'"
ANNOT_STRIPPED = f"regexp_replace(annot_utt, {_SLOT_MARK}, '$1')"


@dataclass(frozen=True)
class Checks:
    """The values the suites check against, from the run's configuration and its inputs."""

    min_users: int
    locales: tuple[str, ...] = ()  # empty: any canonical locale
    known_intents: tuple[str, ...] = ()  # the intents the NLU produced in the logs; empty: not checked
    max_utterance_chars: int = 512
    session_gap_seconds: float = 300.0
    max_session_turns: int = 200
    rephrase_window_seconds: float = 60.0
    max_following_turns: int = 3
    rows_in: int | None = None  # input rows, for the quarantine share
    max_quarantine_share: float = 0.05
    baseline_counts: dict[str, int] = field(default_factory=dict)  # the previous run's rows per dataset
    count_change: tuple[float, float] = (0.5, 2.0)  # allowed ratio to the previous run's count


def _rows_where(condition: str, description: str, severity: str = CRITICAL) -> gxe.UnexpectedRowsExpectation:
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"SELECT * FROM {{batch}} WHERE {condition}", description=description,
        severity=severity,
    )


def _between(column: str, low, high, description: str, severity: str = CRITICAL) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, severity=severity, description=description
    )


def _unique(*columns: str) -> gxe.Expectation:
    description = f"({', '.join(columns)}) unique"
    if len(columns) == 1:
        return gxe.ExpectColumnValuesToBeUnique(column=columns[0], severity=CRITICAL, description=description)
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(columns), severity=CRITICAL, description=description)


def _in_set(column: str, values, description: str, severity: str = CRITICAL) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=sorted(values), severity=severity, description=description
    )


def _locales(checks: Checks, severity: str = CRITICAL) -> list[gxe.Expectation]:
    if not checks.locales:
        return []
    return [_in_set("locale", checks.locales, "locales in the configured set", severity)]


def _output_rows(name: str, checks: Checks) -> list[gxe.Expectation]:
    """Common to published datasets: weights, the k-user floor, locales, and the size against the last run."""
    expectations = [
        _between("weight", 0.0, 1.0, "weight in [0, 1]"),
        _between("support_users", checks.min_users, None, f"at least {checks.min_users} users behind every row"),
        *_locales(checks),
    ]
    previous = checks.baseline_counts.get(name)
    if previous:
        low, high = checks.count_change
        expectations.append(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=math.floor(low * previous), max_value=math.ceil(high * previous), severity=WARNING,
                description=f"{name} count within {low:g}x-{high:g}x of the previous run's {previous}",
            )
        )
    return expectations


def turns_suite(checks: Checks) -> list[gxe.Expectation]:
    """The input logs after quarantine and deduplication."""
    return [
        _unique("event_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="user_key", severity=CRITICAL, description="every turn has a user"),
        _between("nlu_confidence", 0.0, 1.0, "NLU confidence in [0, 1]"),
        _in_set("status", STATUSES, "status is a known status"),
        gxe.ExpectColumnValueLengthsToBeBetween(
            column="utterance", min_value=1, max_value=checks.max_utterance_chars, severity=CRITICAL,
            description=f"utterances of 1 to {checks.max_utterance_chars} characters",
        ),
        *_locales(checks, severity=WARNING),
    ]


def quarantine_suite(checks: Checks) -> list[gxe.Expectation]:
    if checks.rows_in is None:
        return []
    limit = math.floor(checks.max_quarantine_share * checks.rows_in)
    return [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=0, max_value=limit, severity=CRITICAL,
            description=f"quarantined rows at most {checks.max_quarantine_share:.0%} of the {checks.rows_in} in",
        )
    ]


def sessions_suite(checks: Checks) -> list[gxe.Expectation]:
    return [
        _unique("session_id", "turn_index"),
        _between("turn_index", 0, checks.max_session_turns - 1, f"at most {checks.max_session_turns} turns a session"),
        _between("gap_s", 0.0, checks.session_gap_seconds, f"gaps of at most {checks.session_gap_seconds:g} s"),
    ]


def candidates_suite(checks: Checks) -> list[gxe.Expectation]:
    return [
        _between("rephrase_probability", 0.0, 1.0, "rephrase probability in [0, 1]"),
        _between("hop", 1, checks.max_following_turns, f"targets at most {checks.max_following_turns} turns ahead"),
        _between("gap_s", 0.0, checks.rephrase_window_seconds, f"targets within {checks.rephrase_window_seconds:g} s"),
        _rows_where("source_event_id = target_event_id", "no turn paired with itself"),
    ]


def pairs_suite(checks: Checks) -> list[gxe.Expectation]:
    return [
        *_output_rows("pairs", checks),
        _unique("locale", "source", "target"),
        _rows_where("source = target", "no self-pairs"),
        _in_set("kind", ("rephrase", "variant"), "kind is rephrase or variant"),
    ]


def labels_suite(checks: Checks) -> list[gxe.Expectation]:
    return [*_output_rows("labels", checks), _unique("locale", "source")]


def rewrites_suite(checks: Checks) -> list[gxe.Expectation]:
    return [
        *_output_rows("rewrites", checks),
        _unique("locale", "source"),
        _rows_where("source = target", "no rewrite to itself"),
        _between("served_users", 0.0, None, "served users never negative"),
        _between("live_success_rate", 0.0, 1.0, "live success rate in [0, 1]"),
    ]


def rejected_readings_suite(checks: Checks) -> list[gxe.Expectation]:
    return [
        _unique("locale", "text", "intent"),
        _between("rejected_users", checks.min_users, None, f"at least {checks.min_users} users rejected every reading"),
        _rows_where("2 * rejected_users <= served_users", "rejected by most of the users it was served to"),
        _between("rejection_rate", 0.0, 1.0, "rejection rate in [0, 1]"),
        _rows_where("accepted_intent = intent", "no reading both rejected and accepted"),
        *_locales(checks),
    ]


def training_suite(checks: Checks) -> list[gxe.Expectation]:
    expectations = [
        *_output_rows("training", checks),
        _unique("id"),
        _unique("locale", "utt"),  # no utterance under two intents
        _rows_where(f"{ANNOT_STRIPPED} <> utt", "annot_utt strips back to utt"),
        _rows_where("scenario <> split_part(intent, '_', 1)", "scenario is the intent's prefix"),
        _rows_where(f"utt RLIKE '{PLACEHOLDER_PATTERN}' OR annot_utt RLIKE '{PLACEHOLDER_PATTERN}'", "no scrubbed PII"),
        gxe.ExpectColumnValuesToNotBeNull(column="intent", severity=CRITICAL, description="every record has an intent"),
    ]
    if checks.known_intents:
        expectations.append(_in_set("intent", checks.known_intents, "intents the NLU knows"))
    return expectations


SUITES = {
    "turns": turns_suite,
    "quarantine": quarantine_suite,
    "sessions": sessions_suite,
    "candidates": candidates_suite,
    "pairs": pairs_suite,
    "labels": labels_suite,
    "rewrites": rewrites_suite,
    "rejected_readings": rejected_readings_suite,
    "training": training_suite,
}

