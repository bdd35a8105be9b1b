"""User sketches: built from the user keys the daily counts count, merged null-safely, estimated exactly where
the k-user floor decides."""

from pyspark.sql import functions as F

from miner.sketches import distinct_users, label_user_sketches, pair_user_sketches, union_of_sketches, users_sketch
from schemas.sketches import LABEL_USERS, PAIR_USERS

WAKE, ALARM, JAZZ = "wake me at seven", "set an alarm for seven", "play jazz"


def estimates(df, key):
    return sorted(tuple(r) for r in df.select(*key, F.hll_sketch_estimate("users_sketch")).collect())


def test_pair_sketches_hold_the_users_of_each_rephrase_pair_and_none_for_variants(spark):
    confirmed = spark.createDataFrame(
        [
            ("en-US", WAKE, ALARM, "account-1"), ("en-US", WAKE, ALARM, "account-1"),  # one user, twice
            ("en-US", WAKE, ALARM, "account-2"), ("en-US", WAKE, ALARM, "account-3"),
            ("en-US", WAKE, JAZZ, "account-4"),  # below the floor: no pair, no sketch
            ("en-US", JAZZ, ALARM, "account-5"),
        ],
        "locale string, source string, target string, user_key string",
    )
    pairs = spark.createDataFrame(
        [("en-US", WAKE, ALARM, "rephrase"), ("en-US", JAZZ, ALARM, "variant")],
        "locale string, source string, target string, kind string",
    )
    sketches = pair_user_sketches(confirmed, pairs)

    assert sketches.columns == PAIR_USERS.column_names
    assert estimates(sketches, ["locale", "source", "target", "kind"]) == [("en-US", WAKE, ALARM, "rephrase", 3)]


def test_label_sketches_hold_the_users_a_labelled_phrasing_failed_for(spark):
    outcomes = spark.createDataFrame(
        [
            ("en-US", WAKE, "account-1", True), ("en-US", WAKE, "account-1", False),
            ("en-US", WAKE, "account-2", True), ("en-US", WAKE, "account-3", False),  # served: not counted
            ("de-DE", WAKE, "account-4", True),  # the same words in another locale: another phrasing
            ("en-US", JAZZ, "account-5", True),  # not labelled
        ],
        "locale string, text string, user_key string, is_defective boolean",
    )
    labels = spark.createDataFrame([("en-US", WAKE)], "locale string, source string")
    sketches = label_user_sketches(outcomes, labels)

    assert sketches.columns == LABEL_USERS.column_names
    assert estimates(sketches, ["locale", "source"]) == [("en-US", WAKE, 2)]


def test_a_union_skips_null_sketches_and_is_null_without_any_and_the_count_is_never_below_the_largest(spark):
    rows = spark.createDataFrame(
        [
            ("both", 2, "account-1"), ("both", 2, "account-2"), ("both", None, None),  # one sketchless row
            ("none", 6, None),  # state from before sketches: its count alone
            ("few", 5, "account-1"),  # a sketch with fewer users than a count known: the count stands
        ],
        "key string, support_users int, user_key string",
    )
    per_row = rows.groupBy("key", "support_users", F.col("user_key").isNull().alias("unsketched")).agg(
        F.when(F.count("user_key") > 0, users_sketch(F.col("user_key"))).alias("users_sketch")
    )
    merged = (
        per_row.groupBy("key")
        .agg(F.max("support_users").alias("largest"), union_of_sketches(F.col("users_sketch")).alias("users_sketch"))
        .select("key", distinct_users(F.col("largest"), F.col("users_sketch")).alias("users"),
                F.hll_sketch_estimate("users_sketch").alias("sketched"))
    )

    assert sorted(tuple(r) for r in merged.collect()) == [("both", 2, 2), ("few", 5, 1), ("none", 6, None)]


def test_estimates_are_exact_in_the_range_the_floor_decides(spark):
    users = spark.range(1, 385).select(F.col("id"), F.concat(F.lit("account-"), F.col("id").cast("string")).alias("u"))
    estimated = [
        users.where(F.col("id") <= n).agg(F.hll_sketch_estimate(users_sketch(F.col("u")))).first()[0]
        for n in (1, 2, 3, 10, 50, 384)
    ]
    assert estimated == [1, 2, 3, 10, 50, 384]
