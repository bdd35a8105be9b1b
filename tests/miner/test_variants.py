from pyspark.sql import Row

from miner.aggregate import phrasing_reliability
from miner.variants import goal_phrasings, one_pair_per_key, variant_pairs
from schemas.outcomes import OUTCOMES
from schemas.pairs import PAIRS


def success(user, text, intent="weather_query", value="Berlin ", defective=False, event=None):
    return ("de-DE", user, f"s-{user}", event or f"{user}-{text}", text, text, intent,
            [Row(name="place_name", value=value)], 0.9, "success", defective, None, None, None)


def test_hot_goal_keeps_top_phrasings_and_pairs_each_with_the_head(spark):
    rows = []
    # phrasing i of the goal "weather in berlin" is used by 20 - i users
    for i in range(12):
        rows += [success(f"u{i}-{n}", f"wetter berlin {i}", value=" berlin" if n % 2 else "BERLIN") for n in range(20 - i)]
    rows += [success("v1", "wetter berlin 0", defective=True, event="v1-d")]  # a defect of the head phrasing
    rows += [success(f"w{n}", "wetter berlin 1", intent="weather_forecast") for n in range(3)]  # another goal
    outcomes = spark.createDataFrame(rows, OUTCOMES.spark_schema)

    phrasings = goal_phrasings(outcomes, salt_buckets=4)
    counts = {(r["intent"], r["text"]): r["users"] for r in phrasings.collect()}
    assert counts[("weather_query", "wetter berlin 0")] == 20  # case and spacing of the value fold into one goal
    assert counts[("weather_query", "wetter berlin 11")] == 9

    pairs = variant_pairs(phrasings, phrasing_reliability(outcomes), min_users=3, top_phrasings=5).collect()
    assert sorted((r["source"], r["target"], r["support_users"], r["target_intent"]) for r in pairs) == [
        ("wetter berlin 1", "wetter berlin 0", 19, "weather_query"),
        ("wetter berlin 2", "wetter berlin 0", 18, "weather_query"),
        ("wetter berlin 3", "wetter berlin 0", 17, "weather_query"),
        ("wetter berlin 4", "wetter berlin 0", 16, "weather_query"),
    ]
    assert {r["kind"] for r in pairs} == {"variant"}


def test_one_pair_per_key_prefers_the_rephrase(spark):
    def pair(kind, weight):
        return ("de-DE", "a", "b", kind, weight, 3, 3, "x", None, None, 0.5, 1.0, 1.0, None, None, None)

    df = spark.createDataFrame([pair("variant", 0.9), pair("rephrase", 0.4)], PAIRS.spark_schema)
    assert [(r["kind"], round(r["weight"], 2)) for r in one_pair_per_key(df).collect()] == [("rephrase", 0.4)]
