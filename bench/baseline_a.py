"""Reference (a): the evaluation's baseline (a) as one single-process pyarrow/pandas script.

    python -m bench.baseline_a --logs LOGS_DIR --out FILE.parquet [--min-users N]

Each failed turn is labelled by the next successful turn of its session within 60 s; a phrasing keeps the
intent voted by the most distinct users, when at least `--min-users` users voted (evaluation.metrics documents
the rule). No Spark: this is what one process on one machine does with the same logs.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from miner.defaults import MIN_USERS, SESSION_GAP_SECONDS
from miner.text import normalize
from schemas.interactions import INTERACTIONS

VOTE_WINDOW_SECONDS = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="baseline_a", description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--min-users", type=int, default=MIN_USERS)
    return parser.parse_args(argv)


def read_logs(logs: str) -> pd.DataFrame:
    columns = ["event_id", "user_id", "device_id", "ts", "locale", "utterance", "intent", "status"]
    schema = pa.schema([INTERACTIONS.arrow_schema.field(name) for name in columns])
    table = ds.dataset(logs, format="parquet", schema=schema, partitioning=None).to_table(columns=columns)
    return table.to_pandas()


def votes(turns: pd.DataFrame) -> pd.DataFrame:
    turns = turns.dropna(subset=["event_id", "user_id", "ts", "utterance", "status"])
    turns = turns.drop_duplicates("event_id").copy()
    turns["device_id"] = turns["device_id"].fillna("")
    turns = turns.sort_values(["user_id", "device_id", "ts", "event_id"], kind="stable").reset_index(drop=True)
    same_device = (turns["user_id"].eq(turns["user_id"].shift())) & turns["device_id"].eq(turns["device_id"].shift())
    gap = turns["ts"].diff().dt.total_seconds()
    turns["session"] = (~same_device | (gap > SESSION_GAP_SECONDS)).cumsum()

    distinct = pd.Series(turns["utterance"].unique())
    turns["text"] = turns["utterance"].map(dict(zip(distinct, distinct.map(normalize))))
    is_success = turns["status"].eq("success") & turns["intent"].notna()
    # The next success of the session: fill the success rows' positions backwards, one row ahead.
    position = pd.Series(np.where(is_success, np.arange(len(turns)), np.nan))
    next_position = position.groupby(turns["session"]).shift(-1).groupby(turns["session"]).bfill()
    failed = turns[~is_success.to_numpy() & next_position.notna().to_numpy() & turns["status"].ne("success").to_numpy()]
    target = turns.loc[next_position[failed.index].astype(int).to_numpy()].reset_index(drop=True)
    failed = failed.reset_index(drop=True)
    within = (target["ts"] - failed["ts"]).dt.total_seconds() <= VOTE_WINDOW_SECONDS
    return pd.DataFrame(
        {"locale": failed["locale"], "user_id": failed["user_id"], "text": failed["text"], "intent": target["intent"]}
    )[within.to_numpy() & failed["text"].fillna("").ne("").to_numpy()]


def pooled_labels(votes_df: pd.DataFrame, min_users: int) -> pd.DataFrame:
    by_intent = votes_df.groupby(["locale", "text", "intent"])["user_id"].nunique().rename("users").reset_index()
    best = by_intent.sort_values(["locale", "text", "users", "intent"], ascending=[True, True, False, True])
    best = best.drop_duplicates(["locale", "text"])
    supported = votes_df.groupby(["locale", "text"])["user_id"].nunique()
    supported = supported[supported >= min_users].index
    return best.set_index(["locale", "text"]).loc[lambda df: df.index.isin(supported)].reset_index()[
        ["locale", "text", "intent"]
    ]


def run(args: argparse.Namespace) -> dict:
    labels = pooled_labels(votes(read_logs(args.logs)), args.min_users)
    pq.write_table(pa.Table.from_pandas(labels, preserve_index=False), args.out)
    return {"labels": len(labels)}


if __name__ == "__main__":
    print(json.dumps(run(parse_args())))
