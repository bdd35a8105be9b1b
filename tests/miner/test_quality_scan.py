"""One aggregation per suite gives the counts, and the verdicts, that Great Expectations gives itself."""

import great_expectations as gx
import great_expectations.expectations as gxe
import pytest
from pyspark.sql import types as T

from miner.quality_scan import Scanned, UnsupportedExpectation, scan_suite
from pipeline.gx_results import store_scanned_result

SCHEMA = T.StructType(
    [
        T.StructField("event_id", T.StringType()),
        T.StructField("session_id", T.StringType()),
        T.StructField("turn_index", T.IntegerType()),
        T.StructField("confidence", T.DoubleType()),
        T.StructField("status", T.StringType()),
        T.StructField("utterance", T.StringType()),
    ]
)
ROWS = [
    ("e1", "s1", 0, 0.5, "success", "play jazz"),
    ("e2", "s1", 1, 1.5, "success", "play"),  # confidence above 1
    ("e2", "s1", 1, None, "weird", ""),  # a repeated id and (session, turn), a null confidence, an empty utterance
    (None, None, None, -0.1, None, None),  # nulls are missing, not unexpected (but for the not-null check)
    ("e4", "s2", 0, 0.0, "error", "x" * 13),  # an edge: exactly at the lower bound; too long an utterance
]


def expectations():
    return [
        gxe.ExpectColumnValuesToBeUnique(column="event_id"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["session_id", "turn_index"]),
        gxe.ExpectColumnValuesToNotBeNull(column="event_id"),
        gxe.ExpectColumnValuesToBeBetween(column="confidence", min_value=0.0, max_value=1.0),
        gxe.ExpectColumnValuesToBeBetween(column="confidence", min_value=0.0, max_value=1.0, mostly=0.5),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["success", "error"]),
        gxe.ExpectColumnValueLengthsToBeBetween(column="utterance", min_value=1, max_value=12),
        gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT * FROM {batch} WHERE turn_index > 0"),
        gxe.ExpectTableRowCountToBeBetween(min_value=0, max_value=4),
    ]


def _key(result) -> str:
    config = result.expectation_config
    checked = ("column", "column_list", "min_value", "max_value", "mostly", "value_set", "unexpected_rows_query")
    return f"{config.type} {[(name, config.kwargs.get(name)) for name in checked]}"


def test_one_scan_counts_every_expectation(spark):
    scanned = scan_suite(spark.createDataFrame(ROWS, SCHEMA), expectations())
    assert scanned == [
        Scanned(5, 1, 1),  # e2 once beyond its first copy
        Scanned(5, 1, 1),
        Scanned(5, 0, 1),
        Scanned(5, 1, 2),  # 1.5 and -0.1; the null is missing
        Scanned(5, 1, 2),
        Scanned(5, 1, 1),
        Scanned(5, 1, 2),  # "" and 13 characters
        Scanned(5, 0, 2),
        Scanned(5, 0, 0),
    ]


def test_the_verdicts_are_great_expectations_own(spark, tmp_path):
    df = spark.createDataFrame(ROWS, SCHEMA)
    context = gx.get_context(mode="ephemeral")
    own = context.suites.add(gx.ExpectationSuite(name="own", expectations=expectations()))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(
            name="own",
            data=context.data_sources.add_spark("s", persist=False).add_dataframe_asset("a")
            .add_batch_definition_whole_dataframe("all"),
            suite=own,
        )
    )
    by_gx = definition.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")

    scanned_suite = context.suites.add(gx.ExpectationSuite(name="scanned", expectations=expectations()))
    by_scan = store_scanned_result(context, "scanned", scanned_suite, scan_suite(df, scanned_suite.expectations))

    # Great Expectations orders its results its own way: match them by expectation.
    own_results = {_key(result): result for result in by_gx.results}
    pairs = [(result, own_results[_key(result)]) for result in by_scan.results]
    assert [scan.success for scan, _ in pairs] == [own.success for _, own in pairs]
    assert [scan.success for scan, _ in pairs] == [False, False, False, False, True, False, False, False, False]
    # The counts agree too, but for uniqueness: Great Expectations counts every copy of a repeated value.
    for scan, own in pairs[2:]:
        key = "unexpected_count" if "unexpected_count" in own.result else "observed_value"
        assert (scan.result[key], scan.result.get("missing_count")) == (own.result[key], own.result.get("missing_count"))
    # stored where the Data Docs builder finds it
    assert len(context.validation_results_store.list_keys()) == 2


def test_an_expectation_without_a_translation_is_refused(spark):
    df = spark.createDataFrame(ROWS, SCHEMA)
    with pytest.raises(UnsupportedExpectation, match="ExpectColumnMeanToBeBetween"):
        scan_suite(df, [gxe.ExpectColumnMeanToBeBetween(column="confidence", min_value=0, max_value=1)])
    with pytest.raises(UnsupportedExpectation, match="WHERE"):
        scan_suite(df, [gxe.UnexpectedRowsExpectation(unexpected_rows_query="SELECT id FROM {batch}")])
