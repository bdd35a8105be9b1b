"""An intent prior learnt from the day's own logs: what a locale's reliable phrasings near a phrasing mean.

Users label the logs as they go. A phrasing that served nearly all its users (`RELIABLE_PHRASING`) carries
the intent the NLU confirmed for it; those phrasings, in each locale and on each day, are the training data.
For a failing phrasing, its `PRIOR_NEIGHBOURS` nearest reliable phrasings (cosine of the sentence
embeddings, the phrasing itself left out) vote for their intents, each by its users (capped) and its
closeness. That is a k-nearest-neighbour classifier with no fitted parameters, in any script the encoder
reads, and it is independent of the users' rephrases that vote for a label: where the two agree, the label
stands on two legs; where a confident prior disagrees, a sibling goal the user switched to (volume down
after a failed mute, keeping the slot values) is told apart from a rephrase (`miner.aggregate`).

Work per locale is bounded: the `MAX_REFERENCE_PHRASINGS` most used reliable phrasings are the references,
and the queries are only the phrasings that failed for at least the k-user floor.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from miner.embeddings import vectors_from_binary

# A phrasing is a reference when at most this share of its users met a defect with it.
RELIABLE_PHRASING = 0.9
PRIOR_NEIGHBOURS = 10
# Closeness weight exp(SHARPNESS x cosine): a neighbour 0.1 closer counts e times more.
PRIOR_SHARPNESS = 10.0
MAX_NEIGHBOUR_USERS = 10
MAX_REFERENCE_PHRASINGS = 50_000
# Intents kept per query: the prior's tail beyond them carries no decision.
PRIOR_INTENTS = 5
_QUERY_CHUNK = 1024

PRIOR_SCHEMA = T.StructType(
    [
        T.StructField("locale", T.StringType(), False),
        T.StructField("text", T.StringType(), False),
        T.StructField("intent", T.StringType(), False),
        T.StructField("probability", T.DoubleType(), False),
    ]
)


def reliable_phrasings(reliability_df: DataFrame, goal_phrasings_df: DataFrame) -> DataFrame:
    """(locale, text, intent, users): phrasings that served at least RELIABLE_PHRASING of their users, with the
    intent most of their users confirmed (`miner.variants.goal_phrasings`), the most used first per locale."""
    confirmed = (
        goal_phrasings_df.groupBy("locale", "text", "intent")
        .agg(F.sum("users").alias("intent_users"))
        .groupBy("locale", "text")
        .agg(F.max_by("intent", F.struct("intent_users", F.col("intent"))).alias("intent"))
    )
    most_used = Window.partitionBy("locale").orderBy(F.col("users").desc(), F.col("text").asc()).rowsBetween(
        Window.unboundedPreceding, Window.currentRow
    )
    return (
        reliability_df.where(F.col("reliability") >= RELIABLE_PHRASING)
        .join(confirmed, on=["locale", "text"], how="inner")
        .withColumn("rank", F.row_number().over(most_used))
        .where(F.col("rank") <= MAX_REFERENCE_PHRASINGS)
        .select("locale", "text", "intent", "users")
    )


def knn_prior(
    reference_vectors: np.ndarray, reference_texts: list[str], reference_intents: list[str],
    reference_users: np.ndarray, query_vectors: np.ndarray, query_texts: list[str],
) -> list[tuple[str, str, float]]:
    """(query text, intent, probability) for each query's PRIOR_INTENTS likeliest intents. Pure numpy."""
    if len(reference_texts) == 0 or len(query_texts) == 0:
        return []
    intents, intent_index = np.unique(np.asarray(reference_intents, dtype=object), return_inverse=True)
    weights = np.minimum(np.asarray(reference_users, dtype=np.float64), MAX_NEIGHBOUR_USERS)
    position = {text: i for i, text in enumerate(reference_texts)}
    k = min(PRIOR_NEIGHBOURS, len(reference_texts))
    rows = []
    for start in range(0, len(query_texts), _QUERY_CHUNK):
        texts = query_texts[start:start + _QUERY_CHUNK]
        similarity = query_vectors[start:start + _QUERY_CHUNK] @ reference_vectors.T
        for row, text in enumerate(texts):
            if text in position:  # leave the phrasing itself out
                similarity[row, position[text]] = -np.inf
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        for row, text in enumerate(texts):
            chosen = nearest[row][np.isfinite(similarity[row, nearest[row]])]
            if chosen.size == 0:
                continue
            votes = np.zeros(len(intents))
            np.add.at(votes, intent_index[chosen], weights[chosen] * np.exp(PRIOR_SHARPNESS * similarity[row, chosen]))
            probabilities = votes / votes.sum()
            for index in np.argsort(-probabilities, kind="stable")[:PRIOR_INTENTS]:
                if probabilities[index] > 0:
                    rows.append((text, str(intents[index]), float(probabilities[index])))
    return rows


def _locale_prior(key: tuple, table: pa.Table) -> pa.Table:
    locale = key[0].as_py()
    is_query = table.column("is_query").to_numpy(zero_copy_only=False)
    vectors = vectors_from_binary(table.column("embedding"))
    references = np.flatnonzero(~is_query)
    queries = np.flatnonzero(is_query)
    texts = table.column("text").to_pylist()
    rows = knn_prior(
        vectors[references], [texts[i] for i in references],
        table.column("intent").take(pa.array(references)).to_pylist(),
        table.column("users").take(pa.array(references)).to_numpy(zero_copy_only=False),
        vectors[queries], [texts[i] for i in queries],
    )
    return pa.table(
        {
            "locale": pa.array([locale] * len(rows), pa.string()),
            "text": pa.array([r[0] for r in rows], pa.string()),
            "intent": pa.array([r[1] for r in rows], pa.string()),
            "probability": pa.array([r[2] for r in rows], pa.float64()),
        }
    )


def intent_priors(reliable_df: DataFrame, queries_df: DataFrame, embeddings_df: DataFrame) -> DataFrame:
    """(locale, text, intent, probability): the prior of each query phrasing (locale, text) over intents.

    One task per locale holds its references and queries: at most MAX_REFERENCE_PHRASINGS vectors of a few
    hundred float16 values each. A query or reference without an embedding is left out.
    """
    references = reliable_df.select(
        "locale", "text", "intent", F.col("users").cast("long").alias("users"), F.lit(False).alias("is_query")
    )
    queries = queries_df.select(
        "locale", "text", F.lit(None).cast("string").alias("intent"), F.lit(0).cast("long").alias("users"),
        F.lit(True).alias("is_query"),
    )
    return (
        references.unionByName(queries)
        .join(embeddings_df, on="text", how="inner")
        .groupBy("locale")
        .applyInArrow(_locale_prior, PRIOR_SCHEMA)
    )
