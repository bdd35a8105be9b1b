"""The tunable defaults of a run, in one module that imports nothing heavy.

The transforms use them as default arguments, the jobs as argparse defaults, and the Airflow DAG as its
params' defaults: the DAG file must parse without importing Spark, so the numbers live here.
"""

# Ingest: a longer "utterance" is a paste or a bot payload, not speech.
MAX_UTTERANCE_CHARS = 512

# Sessions: a pause this long ends a session.
SESSION_GAP_SECONDS = 300.0
# A human session rarely passes a few dozen turns; beyond this it is a bot or a loop, cut into parts.
MAX_SESSION_TURNS = 200

# Rephrase candidates: how far ahead of a turn, in seconds and in turns, a rephrase may come.
REPHRASE_WINDOW_SECONDS = 60.0
MAX_FOLLOWING_TURNS = 3

# k-anonymity floor: a phrasing, pair or rewrite is emitted only when at least this many users are behind it.
MIN_USERS = 3
# Labels weigh users' votes against an intent prior learnt from the day's reliable phrasings (miner.prior);
# off, the votes decide alone (where a locale's NLU errors are correlated, the prior inherits them).
INTENT_PRIOR = True

# Distinct users across days: each day's pairs and labels keep an HLL sketch of their users' keys (miner.sketches)
# with 2^USERS_SKETCH_LG_K registers, about 1.6% relative error once a row has more than a few hundred users and
# next to exact below that (the range the k-user floor decides in). Not a run setting: sketches of different
# sizes do not merge, so changing it means re-mining the days the state was built from.
USERS_SKETCH_LG_K = 12

# Cross-user variants: the most popular phrasings of a goal that are paired with each other.
TOP_PHRASINGS_PER_GOAL = 10

# Accumulation across days: yesterday's evidence counts this much relative to today's.
DECAY = 0.9
# Late data: logs may still arrive this many days after their date; those days are mined again.
LATE_DAYS = 2

# Validation. Locales a run may emit; empty: any well-formed BCP 47 tag (ingest quarantines malformed ones).
# Self-learning serves languages after their launch, including ones no dataset lists: set a list to restrict.
LOCALES: tuple[str, ...] = ()
# A day with more of its rows quarantined than this has a broken upstream: it is not published.
MAX_QUARANTINE_SHARE = 0.05
# Ingest stops a day with more than this share quarantined: most of a day breaking the contract is a wrong log
# mapping (a status code left out, a timestamp unit) or a broken producer, and mining the rest is wasted.
STOP_QUARANTINE_SHARE = 0.5
# Pairs, labels, rewrites and records outside these ratios to the previous run's counts raise a warning.
MIN_COUNT_RATIO = 0.5
MAX_COUNT_RATIO = 2.0

# Privacy: the kinds of PII miner.privacy can scrub, and those scrubbed from utterances and slot values at ingest.
PII_KINDS = ("email", "phone", "digits")
SCRUB_PII = PII_KINDS
