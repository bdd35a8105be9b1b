"""Great Expectations suites as code: what must hold in each dataset a run publishes.

A `critical` expectation that fails blocks publishing; a `warning` is reported and does not. The suites are
plain declarations: `jobs/validate.py` runs them on the run's Spark DataFrames.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

CRITICAL, WARNING = "critical", "warning"

# MASSIVE marks a slot as `[name : value]`; dropping the marks must give back `utt` exactly.
_SLOT_MARK = r"'\\[[^\\[\\]:]+ : ([^\\[\\]]*)\\]'"
ANNOT_STRIPPED = f"regexp_replace(annot_utt, {_SLOT_MARK}, '$1')"


def _rows_where(condition: str, description: str, severity: str = CRITICAL) -> gxe.UnexpectedRowsExpectation:
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=f"SELECT * FROM {{batch}} WHERE {condition}", description=description,
        severity=severity,
    )


def _weight_in_unit_interval() -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column="weight", min_value=0.0, max_value=1.0, severity=CRITICAL, description="weight in [0, 1]"
    )


def _k_users(min_users: int) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column="support_users", min_value=min_users, severity=CRITICAL,
        description=f"at least {min_users} users behind every row (k-anonymity)",
    )


def _unique(*columns: str) -> gxe.Expectation:
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=list(columns), severity=CRITICAL, description=f"({', '.join(columns)}) unique"
    )


def pairs_suite(min_users: int) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="pairs",
        expectations=[
            _weight_in_unit_interval(),
            _k_users(min_users),
            _unique("locale", "source", "target"),
            _rows_where("source = target", "no self-pairs"),
            gxe.ExpectColumnValuesToBeInSet(
                column="kind", value_set=["rephrase", "variant"], severity=CRITICAL,
                description="kind is rephrase or variant",
            ),
        ],
    )


def labels_suite(min_users: int) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="labels",
        expectations=[
            _weight_in_unit_interval(),
            _k_users(min_users),
            _unique("locale", "source"),
        ],
    )


def rewrites_suite(min_users: int) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="rewrites",
        expectations=[
            _weight_in_unit_interval(),
            _k_users(min_users),
            _unique("locale", "source"),
            _rows_where("source = target", "no rewrite to itself"),
        ],
    )


def training_suite(min_users: int) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="training",
        expectations=[
            _weight_in_unit_interval(),
            _k_users(min_users),
            gxe.ExpectColumnValuesToBeUnique(column="id", severity=CRITICAL, description="record ids unique"),
            _unique("locale", "utt"),
            _rows_where(f"{ANNOT_STRIPPED} <> utt", "annot_utt strips back to utt"),
            gxe.ExpectColumnValuesToNotBeNull(
                column="intent", severity=CRITICAL, description="every record has an intent"
            ),
        ],
    )


SUITES = {
    "pairs": pairs_suite,
    "labels": labels_suite,
    "rewrites": rewrites_suite,
    "training": training_suite,
}
