"""A whole suite's unexpected counts in one aggregation over a large dataset.

Great Expectations runs one or more Spark jobs per expectation: on the input-side datasets (millions of turns)
that cost more than mining them. The expectations those suites use are row conditions and counts, so each
becomes one aggregate Column, and a suite becomes one `agg`: one scan of the dataset. `pipeline.gx_results`
turns the counts into Great Expectations results, so the suites, their Data Docs and the publishing gate are
the ones Great Expectations would show.

The counts follow Great Expectations' rules: a null is missing, not unexpected (except for the not-null
expectation), and `mostly` is honoured. One difference: a repeated value counts its copies beyond the first
(Great Expectations counts every copy), because a distinct count is what one aggregation can give.
An expectation this module cannot translate raises `UnsupportedExpectation`: add its translation here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import great_expectations.expectations as gxe
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

_ROWS_QUERY = re.compile(r"^\s*SELECT \* FROM \{batch\} WHERE (?P<condition>.+)$", re.IGNORECASE | re.DOTALL)


class UnsupportedExpectation(ValueError):
    """An expectation with no one-pass translation."""


@dataclass(frozen=True)
class Scanned:
    """What one aggregation measured for one expectation."""

    element_count: int  # rows in the dataset
    missing_count: int  # rows whose checked value is null (not counted as unexpected)
    unexpected_count: int


def _outside(value: Column, low, high, strict_min: bool, strict_max: bool) -> Column:
    below = F.lit(False) if low is None else (value <= F.lit(low) if strict_min else value < F.lit(low))
    above = F.lit(False) if high is None else (value >= F.lit(high) if strict_max else value > F.lit(high))
    return below | above


def _counted(expectation: gxe.Expectation) -> tuple[Column, Column]:
    """(missing count, unexpected count): two aggregate Columns for one expectation."""
    none = F.lit(0).cast("long")
    if isinstance(expectation, gxe.ExpectTableRowCountToBeBetween):
        return none, none  # judged on the row count itself
    if isinstance(expectation, gxe.UnexpectedRowsExpectation):
        found = _ROWS_QUERY.match(expectation.unexpected_rows_query)
        if not found:
            raise UnsupportedExpectation(f"only 'SELECT * FROM {{batch}} WHERE ...' queries: {expectation}")
        return none, F.count_if(F.coalesce(F.expr(found["condition"]), F.lit(False)))
    if isinstance(expectation, gxe.ExpectCompoundColumnsToBeUnique):
        values = [F.col(name) for name in expectation.column_list]
        present = F.greatest(*[value.isNotNull().cast("int") for value in values]) == 1  # all missing: skipped
        missing = F.count_if(~present)
        return missing, F.count_if(present) - F.count_distinct(F.when(present, F.struct(*values)))
    column = F.col(expectation.column)
    missing = F.count_if(column.isNull())
    if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull):
        return none, missing
    if isinstance(expectation, gxe.ExpectColumnValuesToBeUnique):
        return missing, F.count(column) - F.count_distinct(column)
    if isinstance(expectation, gxe.ExpectColumnValuesToBeInSet):
        return missing, F.count_if(column.isNotNull() & ~column.isin(list(expectation.value_set)))
    if isinstance(expectation, (gxe.ExpectColumnValuesToBeBetween, gxe.ExpectColumnValueLengthsToBeBetween)):
        value = F.length(column) if isinstance(expectation, gxe.ExpectColumnValueLengthsToBeBetween) else column
        bad = _outside(value, expectation.min_value, expectation.max_value, expectation.strict_min, expectation.strict_max)
        return missing, F.count_if(column.isNotNull() & bad)
    raise UnsupportedExpectation(f"{type(expectation).__name__} has no one-pass translation")


def scan_suite(df: DataFrame, expectations: list[gxe.Expectation]) -> list[Scanned]:
    """Every expectation's counts, from one aggregation over `df` (one scan)."""
    aggregates = [F.count(F.lit(1)).alias("rows")]
    for index, expectation in enumerate(expectations):
        missing, unexpected = _counted(expectation)
        aggregates += [missing.alias(f"missing_{index}"), unexpected.alias(f"unexpected_{index}")]
    row = df.agg(*aggregates).first()
    return [
        Scanned(int(row["rows"]), int(row[f"missing_{index}"] or 0), int(row[f"unexpected_{index}"] or 0))
        for index in range(len(expectations))
    ]
