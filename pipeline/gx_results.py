"""Great Expectations results from one-pass counts (`miner.quality_scan`), judged by Great Expectations' rules.

A result built here is stored in the context's validation results store like a Checkpoint's, so the Data Docs
site renders it beside the others, and `jobs/validate.py` reads its outcomes the same way.
"""

from __future__ import annotations

import datetime as dt

import great_expectations.expectations as gxe

from miner.quality_scan import Scanned

# What Great Expectations' own result for the not-null expectation holds.
NOT_NULL_RESULT = ("element_count", "unexpected_count", "unexpected_percent", "partial_unexpected_list")


def _success(expectation: gxe.Expectation, scanned: Scanned) -> tuple[bool, dict]:
    """Great Expectations' verdict and result dict for one expectation's counts."""
    if isinstance(expectation, gxe.ExpectTableRowCountToBeBetween):
        rows = scanned.element_count
        low, high = expectation.min_value, expectation.max_value
        return (low is None or rows >= low) and (high is None or rows <= high), {"observed_value": rows}
    if isinstance(expectation, gxe.UnexpectedRowsExpectation):
        return scanned.unexpected_count == 0, {"observed_value": scanned.unexpected_count}
    # For the not-null expectation nothing is missing (the scan counts its nulls as unexpected).
    counted = scanned.element_count - scanned.missing_count
    share = scanned.unexpected_count / counted if counted else 0.0
    result = {
        "element_count": scanned.element_count,
        "missing_count": scanned.missing_count,
        "missing_percent": 100.0 * scanned.missing_count / scanned.element_count if scanned.element_count else None,
        "unexpected_count": scanned.unexpected_count,
        "unexpected_percent": 100.0 * share,
        "unexpected_percent_nonmissing": 100.0 * share,
        "unexpected_percent_total": (
            100.0 * scanned.unexpected_count / scanned.element_count if scanned.element_count else 0.0
        ),
        "partial_unexpected_list": [],
    }
    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):  # GX reports no missing shares for it
        result = {key: result[key] for key in NOT_NULL_RESULT}
    return 1.0 - share >= getattr(expectation, "mostly", 1.0), result


def store_scanned_result(context, asset_name: str, suite, scanned: list[Scanned]):
    """The suite's validation result from its counts, stored in `context` for the Data Docs; returned."""
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    results = []
    for expectation, counts in zip(suite.expectations, scanned, strict=True):
        success, result = _success(expectation, counts)
        results.append(
            ExpectationValidationResult(success=success, expectation_config=expectation.configuration, result=result)
        )
    passed = sum(result.success for result in results)
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.timezone.utc))
    validation = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
        suite_name=suite.name,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else None,
        },
        meta={
            "run_id": run_id,
            "validation_time": run_id.run_time,
            "active_batch_definition": {"datasource_name": "run", "data_asset_name": asset_name},
            "batch_markers": {},
            "batch_spec": {"data_asset_name": asset_name},
            "checks": "one aggregation over the dataset (miner.quality_scan)",
        },
    )
    suite_id = ExpectationSuiteIdentifier(name=suite.name)
    context.validation_results_store.store_validation_results(
        suite_validation_result=validation,
        suite_validation_result_identifier=ValidationResultIdentifier(
            expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=f"run-{asset_name}"
        ),
        expectation_suite_identifier=suite_id,
    )
    return validation
