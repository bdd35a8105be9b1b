"""Pool multiturn evidence across users into rephrase pairs, labels for failing phrasings, and rewrites.

Three things tell a rephrase from a switch to another goal, and all three are used here:
- semantic and lexical similarity, inside each candidate's rephrase probability;
- silent-failure detection: a "success" the user corrects at once is a defect, and a target that is itself
  corrected is not a confirmed success;
- one vote per user: every user counts once per phrasing, however often they said it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from miner.candidates import is_friction
from miner.chain import reach_probabilities, success_probabilities
from miner.defaults import MIN_USERS
from miner.posterior import with_beta_lower_bound
from schemas.pairs import PAIRS

# A label needs this many users voting for it (the phrasing itself always needs MIN_USERS).
MIN_LABEL_VOTERS = 2
# A user's vote counts only if their best confirmed rephrase carries at least this much evidence.
MIN_VOTE_EVIDENCE = 0.3
# A phrasing is failing when at least this share of its users met a defect (silent failures go unnoticed).
MIN_DEFECT_SHARE = 0.2
# A label's voters must be at least this share of the users the phrasing failed for, with an agreeing prior
# or without: when most users give up, a handful who went on to one other intent may be switching topic.
# Votes that stand alone also need a lower credible share of at least MIN_LABEL_WEIGHT.
MIN_VOTER_SHARE = 0.1
MIN_LABEL_WEIGHT = 0.25
# The prior (miner.prior) picks among voted intents: each intent's vote share times (its prior + this), so
# that a prior of 0 scales votes down without silencing them.
PRIOR_SMOOTHING = 0.1
# A prior this sure of another intent, giving the voted one less than IMPLAUSIBLE_PRIOR, contradicts it; the
# votes then stand only if their support among all the users it failed for (those who gave up count against
# it) reaches the prior's agreement rate with decisive votes that day.
CONFIDENT_PRIOR = 0.8
IMPLAUSIBLE_PRIOR = 0.05
# With an agreeing prior, the winner must still hold this share of the vote evidence: the prior can confirm a
# majority or break a tie between siblings, never elect a minority of scattered votes.
AGREED_MIN_SHARE = 0.5
# Decisive votes, on which the prior's agreement is measured: this many voters, this share of all voters.
DECISIVE_VOTERS = 5
DECISIVE_SHARE = 0.8
# A locale's prior is a witness only while it may agree with at least this share of the day's other decisive
# votes (the 95th percentile of its agreement's Beta posterior): a prior learnt from an NLU whose errors are
# correlated agrees less, and then confirms and holds back wrong labels. Without decisive votes, it is one.
MIN_PRIOR_TRUST = 0.85
TRUST_QUANTILE = 0.95
MIN_REWRITE_WEIGHT = 0.3
# A rewrite target must serve its users: its chain success probability, and for a goal head the 5th
# percentile of its success rate (Beta posterior over its users with and without a defect), at least this.
MIN_TARGET_SUCCESS = 0.5


def turn_outcomes(turns_df: DataFrame, candidates_df: DataFrame, silent_df: DataFrame) -> DataFrame:
    """Per turn (non-runaway, with `text`): whether it was defective and, if so, what came next.

    A turn is defective when it met friction, when its user corrected it at once (a silent failure), or when
    it is a reported success of a phrasing misread silently for many users (`silent_df`, from
    `miner.candidates.silent_phrasings`): its users who did not react were not served either.
    """
    next_turn = candidates_df.where(F.col("hop") == 1).select(
        F.col("source_event_id").alias("event_id"),
        F.col("target").alias("next_text"),
        F.col("rephrase_probability").cast("double").alias("next_probability"),
        "is_silent_failure",
    )
    silent = silent_df.select("locale", "text", F.lit(True).alias("is_silent_phrasing"))
    return (
        turns_df.where(~F.col("is_runaway"))
        .join(next_turn, on="event_id", how="left")
        .join(F.broadcast(silent), on=["locale", "text"], how="left")
        .withColumn(
            "is_defective",
            is_friction(F.col("status"), F.col("nlu_confidence"))
            | F.coalesce(F.col("is_silent_failure"), F.lit(False))
            | ((F.col("status") == "success") & F.coalesce(F.col("is_silent_phrasing"), F.lit(False))),
        )
        .select(
            "locale", "user_key", "session_id", "event_id", "text", "utterance", "intent", "slots",
            "nlu_confidence", "status", "is_defective", "served_text", "next_text", "next_probability",
        )
    )


def phrasing_reliability(outcomes_df: DataFrame) -> DataFrame:
    """(locale, text, users, defective_users, reliability, surface): how often a phrasing served its users.

    `surface` is the commonest way the phrasing was written when it failed (ties: the smallest), for the
    training record. Plain hash aggregations, one level per key: distinct counts through an Expand of every
    turn, or a mode over all of them, would cost several times more.
    """
    per_user = outcomes_df.groupBy("locale", "text", "user_key").agg(F.max("is_defective").alias("defective"))
    counts = per_user.groupBy("locale", "text").agg(
        F.count(F.lit(1)).alias("users"), F.count_if("defective").alias("defective_users")
    )
    surfaces = (
        outcomes_df.where(F.col("is_defective"))
        .groupBy("locale", "text", "utterance")
        .agg(F.count(F.lit(1)).alias("times"))
        .groupBy("locale", "text")
        .agg(F.min_by("utterance", F.struct(-F.col("times"), F.col("utterance"))).alias("surface"))
    )
    return (
        counts.join(surfaces, on=["locale", "text"], how="left")
        .withColumn("reliability", 1.0 - F.col("defective_users") / F.col("users"))
        .select("locale", "text", "users", "defective_users", "reliability", "surface")
    )


def confirmed_candidates(candidates_df: DataFrame, outcomes_df: DataFrame, reliability_df: DataFrame) -> DataFrame:
    """Candidates from a defective turn to another phrasing, with their `evidence`.

    evidence = rephrase probability x (this target turn confirmed) x (the target phrasing's reliability).
    A target turn is confirmed when it succeeded and was not itself a defect; a phrasing that often fails
    for its other users (a systematic silent failure, say) is weak evidence even when it seemed to work.
    """
    # Only defective turns: a third of the turns, so the join moves a third of the rows.
    target_defective = outcomes_df.where(F.col("is_defective")).select(
        F.col("event_id").alias("target_event_id"), F.lit(True).alias("target_defective")
    )
    target_reliability = reliability_df.select("locale", F.col("text").alias("target"), "reliability")
    confirmed = F.col("target_succeeded") & ~F.coalesce(F.col("target_defective"), F.lit(False))
    return (
        candidates_df.where((F.col("is_friction") | F.col("is_silent_failure")) & (F.col("source") != F.col("target")))
        .join(target_defective, on="target_event_id", how="left")
        .join(target_reliability, on=["locale", "target"], how="left")
        .withColumn("target_confirmed", confirmed)
        .withColumn(
            "evidence",
            F.col("rephrase_probability").cast("double")
            * F.col("target_confirmed").cast("double")
            * F.coalesce(F.col("reliability"), F.lit(0.0)),
        )
    )


def rephrase_evidence(confirmed_df: DataFrame) -> DataFrame:
    """Per (locale, source, target): alpha/beta from one vote per user, supports and mean features."""
    per_user = confirmed_df.groupBy("locale", "source", "target", "user_key").agg(
        F.max("evidence").alias("user_evidence"),
    )
    pooled_users = per_user.groupBy("locale", "source", "target").agg(
        F.sum("user_evidence").alias("alpha"),
        F.sum(1.0 - F.col("user_evidence")).alias("beta"),
        F.count("*").alias("support_users"),
    )
    pooled_candidates = confirmed_df.groupBy("locale", "source", "target").agg(
        F.count_distinct("session_id").alias("support_sessions"),
        F.avg("rephrase_probability").alias("mean_rephrase_probability"),
        F.avg("semantic_similarity").alias("semantic_similarity"),
        F.avg("lexical_similarity").alias("lexical_similarity"),
        F.mode(F.when(F.col("target_confirmed"), F.col("target_intent"))).alias("target_intent"),
    )
    return pooled_users.join(pooled_candidates, on=["locale", "source", "target"], how="inner")


def rephrase_pairs(
    evidence_df: DataFrame, transitions_df: DataFrame, labels_df: DataFrame, min_users: int = MIN_USERS
) -> DataFrame:
    """Rephrase pairs that pass the k-user floor, scored by the chain: reach(u, v) x success(v).

    A pair is kept only when its target reads as the intent the source's users voted for: a phrasing many
    users reached after a failure, but for another intent, is a popular topic switch, not a synonym.
    """
    success = success_probabilities(transitions_df).select(
        "locale", F.col("state").alias("target"), "success_probability"
    )
    reach = reach_probabilities(transitions_df)
    label_intents = labels_df.select("locale", "source", F.col("intent").alias("target_intent"))
    return (
        evidence_df.where(F.col("support_users") >= min_users)
        .join(label_intents, on=["locale", "source", "target_intent"], how="inner")
        .join(success, on=["locale", "target"], how="left")
        .join(reach, on=["locale", "source", "target"], how="left")
        .withColumn(
            "score",
            F.coalesce(F.col("reach_probability"), F.lit(0.0)) * F.coalesce(F.col("success_probability"), F.lit(0.0)),
        )
        .withColumn("kind", F.lit("rephrase"))
        .transform(with_beta_lower_bound, "alpha", "beta", "weight")
        .select(*[F.col(c.name).cast(c.type.spark) for c in PAIRS.columns])
    )


def failing_phrasings(reliability_df: DataFrame, min_users: int = MIN_USERS) -> DataFrame:
    """(locale, source, users, defective_users) for phrasings that failed for enough of their users."""
    return (
        reliability_df.withColumnRenamed("text", "source")
        .where(
            (F.col("defective_users") >= min_users)
            & (F.col("defective_users") >= MIN_DEFECT_SHARE * F.col("users"))
        )
        .select("locale", "source", "users", "defective_users", "surface")
    )


def intent_votes(confirmed_df: DataFrame) -> DataFrame:
    """(locale, source, intent, votes, voters, slots): each user votes once, for the intent of their
    best-evidenced confirmed rephrase; a turn read as the very intent the user just rejected is no vote."""
    best_of_user = Window.partitionBy("locale", "source", "user_key").orderBy(
        F.col("evidence").desc(), F.col("target_intent").asc()
    ).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    return (
        confirmed_df.where(
            F.col("target_confirmed")
            & F.col("target_intent").isNotNull()
            & ~F.col("target_intent").eqNullSafe(F.col("source_intent"))
        )
        .withColumn("rank", F.row_number().over(best_of_user))
        .where((F.col("rank") == 1) & (F.col("evidence") >= MIN_VOTE_EVIDENCE))
        .groupBy("locale", "source", F.col("target_intent").alias("intent"))
        .agg(
            F.sum("evidence").alias("votes"),
            F.count("*").alias("voters"),
            F.max_by("target_slots", "evidence").alias("slots"),
        )
    )


def _prior_of_votes(votes_df: DataFrame, prior_df: DataFrame) -> DataFrame:
    """Votes with `prior` (the intent's prior; 0 when the source has a prior without it, null without any) and
    the source's `prior_intent` and `prior_probability` (its likeliest intent)."""
    prior = prior_df.select("locale", F.col("text").alias("source"), "intent", F.col("probability").alias("prior"))
    top = prior.groupBy("locale", "source").agg(
        F.max_by("intent", F.struct("prior", F.col("intent"))).alias("prior_intent"),
        F.max("prior").alias("prior_probability"),
    )
    return (
        votes_df.join(prior, on=["locale", "source", "intent"], how="left")
        .join(top, on=["locale", "source"], how="left")
        .withColumn("prior", F.when(F.col("prior_intent").isNotNull(), F.coalesce(F.col("prior"), F.lit(0.0))))
    )


def prior_trust(scored_df: DataFrame) -> DataFrame:
    """(locale, source, prior_agreement, trust_bound) for every voted source: how often the prior's likeliest
    intent is the one the day's decisive votes in the locale chose (at least DECISIVE_VOTERS voters and
    DECISIVE_SHARE of them), the source's own vote left out (a witness is judged on the other cases), as
    (agree + 1) / (decisive + 2), and the TRUST_QUANTILE of its Beta posterior. `scored_df`: votes with
    their prior and the source's all_voters."""
    most_voted = Window.partitionBy("locale", "source").orderBy(F.col("voters").desc(), F.col("intent").asc())
    per_locale = Window.partitionBy("locale").orderBy(F.col("source").asc()).rowsBetween(
        Window.unboundedPreceding, Window.unboundedFollowing
    )
    decisive = (
        (F.col("voters") >= DECISIVE_VOTERS)
        & (F.col("voters") >= DECISIVE_SHARE * F.col("all_voters"))
        & F.col("prior_intent").isNotNull()
    )
    own_agrees = (decisive & (F.col("prior_intent") == F.col("intent"))).cast("double")
    own_disagrees = (decisive & (F.col("prior_intent") != F.col("intent"))).cast("double")
    return (
        scored_df.withColumn("rank", F.row_number().over(most_voted.rowsBetween(Window.unboundedPreceding, 0)))
        .where(F.col("rank") == 1)
        .withColumns(
            {
                "agreeing": F.sum(own_agrees).over(per_locale) - own_agrees,
                "disagreeing": F.sum(own_disagrees).over(per_locale) - own_disagrees,
            }
        )
        .withColumn("prior_agreement", (F.col("agreeing") + 1) / (F.col("agreeing") + F.col("disagreeing") + 2))
        .transform(with_beta_lower_bound, "agreeing", "disagreeing", "trust_bound", TRUST_QUANTILE)
        .select("locale", "source", "prior_agreement", "trust_bound")
    )


def intent_labels(
    confirmed_df: DataFrame, failing_df: DataFrame, prior_df: DataFrame, min_voters: int = MIN_LABEL_VOTERS
) -> DataFrame:
    """One label per failing phrasing, from two independent witnesses: its users' rephrases and the intent prior.

    * Votes (`intent_votes`): switches to other goals scatter over many intents while rephrases agree.
    * The prior (`miner.prior.intent_priors`): what the day's reliable phrasings near this one mean.

    The winner is the voted intent with the largest vote share x (prior + PRIOR_SMOOTHING): among siblings
    that users went on to (show the alarms, cancel them), the prior picks the one the words mean. It becomes
    the label when at least `min_voters` users, and MIN_VOTER_SHARE of the users it failed for, voted for it
    and either the prior's likeliest intent is the same and the winner holds a majority of the vote
    evidence, or the votes stand on their own (a lower credible share of at least MIN_LABEL_WEIGHT) and,
    against a prior that contradicts them, their support among all the users it failed for (a lower credible
    share, those who gave up counting against it) reaches that prior's agreement rate with the day's
    decisive votes in the locale. A prior that inherits the NLU's own errors agrees less, and so holds less
    back; in a locale where it is unlikely to agree with MIN_PRIOR_TRUST of them (`prior_trust`), the votes
    decide alone.
    """
    per_source = Window.partitionBy("locale", "source").orderBy(F.col("intent").asc()).rowsBetween(
        Window.unboundedPreceding, Window.unboundedFollowing
    )
    scored = _prior_of_votes(intent_votes(confirmed_df), prior_df).withColumns(
        {"all_votes": F.sum("votes").over(per_source), "all_voters": F.sum("voters").over(per_source)}
    )
    trust = prior_trust(scored)
    trusted = F.coalesce(F.col("trust_bound") >= MIN_PRIOR_TRUST, F.lit(True))
    scored = (
        scored.join(trust, on=["locale", "source"], how="left")
        .withColumns({name: F.when(trusted, F.col(name)) for name in ("prior", "prior_intent", "prior_probability")})
        .withColumn("combined", F.col("votes") * (F.coalesce(F.col("prior"), F.lit(1.0)) + F.lit(PRIOR_SMOOTHING)))
    )
    best_first = Window.partitionBy("locale", "source").orderBy(
        F.col("combined").desc(), F.col("votes").desc(), F.col("intent").asc()
    ).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    winners = (
        scored.withColumn("rank", F.row_number().over(best_first))
        .where(F.col("rank") == 1)
        .withColumns({"alpha": F.col("votes"), "beta": F.col("all_votes") - F.col("votes")})
        .transform(with_beta_lower_bound, "alpha", "beta", "weight")
        .join(failing_df, on=["locale", "source"], how="inner")
        .withColumn(
            "against_all",
            F.col("beta") + F.greatest(F.col("defective_users") - F.col("all_voters"), F.lit(0)).cast("double"),
        )
        .transform(with_beta_lower_bound, "alpha", "against_all", "support")
    )
    enough_voters = (F.col("voters") >= min_voters) & (F.col("voters") >= MIN_VOTER_SHARE * F.col("defective_users"))
    agreed = F.coalesce(F.col("prior_intent") == F.col("intent"), F.lit(False)) & (
        F.col("votes") >= AGREED_MIN_SHARE * F.col("all_votes")
    )
    contradicted = F.coalesce(
        (F.col("prior_probability") >= CONFIDENT_PRIOR) & (F.col("prior") < IMPLAUSIBLE_PRIOR), F.lit(False)
    )
    standing_alone = F.col("weight") >= MIN_LABEL_WEIGHT
    outweighs = ~contradicted | (F.col("support") >= F.coalesce(F.col("prior_agreement"), F.lit(0.5)))
    return (
        winners.where(enough_voters & (agreed | (standing_alone & outweighs)))
        .select(
            "locale", "source", "intent", "weight", F.col("defective_users").alias("support_users"), "voters",
            "surface", "slots",
        )
    )


def best_rewrites(pairs_df: DataFrame, labels_df: DataFrame) -> DataFrame:
    """For each labelled failing phrasing, its best rephrase (pairs already agree with the label).

    A rewrite must lead to a phrasing that serves its users: a target whose absorbing-chain success
    probability is below MIN_TARGET_SUCCESS fails too, and rewriting to it fixes nothing. Where no rephrase
    target qualifies, the label's `goal_head` (the phrasing most users succeed with for the same intent and
    slot values, itself checked by `serves_its_users`) stands in, with the label's weight and support.
    """
    best_first = Window.partitionBy("locale", "source").orderBy(
        F.col("score").desc(), F.col("weight").desc(), F.col("target").asc()
    ).rowsBetween(Window.unboundedPreceding, Window.currentRow)
    # A rewrite acts on every later turn of its phrasing: only labels of at least MIN_REWRITE_WEIGHT get one.
    confident = labels_df.where(F.col("weight") >= MIN_REWRITE_WEIGHT)
    from_pairs = (
        pairs_df.where(
            (F.col("kind") == "rephrase")
            & (F.col("weight") >= MIN_REWRITE_WEIGHT)
            & (F.coalesce(F.col("success_probability"), F.lit(0.0)) >= MIN_TARGET_SUCCESS)
        )
        .join(confident.select("locale", "source"), on=["locale", "source"], how="inner")
        .withColumn("rank", F.row_number().over(best_first))
        .where(F.col("rank") == 1)
        .select("locale", "source", "target", "weight", "target_intent", "support_users")
    )
    from_goal_heads = (
        confident.where(F.col("goal_head").isNotNull())
        .join(from_pairs.select("locale", "source"), on=["locale", "source"], how="left_anti")
        .select(
            "locale", "source", F.col("goal_head").alias("target"), "weight",
            F.col("intent").alias("target_intent"), "support_users",
        )
    )
    return from_pairs.unionByName(from_goal_heads)


def serves_its_users(reliability_df: DataFrame) -> DataFrame:
    """(locale, text): phrasings whose success rate over their users is at least MIN_TARGET_SUCCESS, as the
    5th percentile of its Beta posterior (a phrasing three users succeeded with is not yet proven)."""
    return (
        reliability_df.withColumns(
            {
                "served": (F.col("users") - F.col("defective_users")).cast("double"),
                "not_served": F.col("defective_users").cast("double"),
            }
        )
        .transform(with_beta_lower_bound, "served", "not_served", "success_bound")
        .where(F.col("success_bound") >= MIN_TARGET_SUCCESS)
        .select("locale", "text")
    )


def serving_heads(heads_df: DataFrame, reliability_df: DataFrame) -> DataFrame:
    """The goal heads (`miner.variants.goal_heads`) that serve their users: only they may stand in as rewrites."""
    serving = serves_its_users(reliability_df).select("locale", F.col("text").alias("head"))
    return heads_df.join(serving, on=["locale", "head"], how="left_semi")
