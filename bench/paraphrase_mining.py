"""Reference (b): sentence-transformers' `util.paraphrase_mining` over all distinct utterances.

    python -m bench.paraphrase_mining --logs LOGS_DIR --out FILE.parquet [--embedding-model NAME]
        [--max-texts N]

The cross-user part done the textbook way: embed every distinct utterance of the logs (with the miner's own
encoder, so the comparison is about the method) and score all pairs in chunks, keeping each text's top
pairs. Its cost is quadratic in the distinct texts; above --max-texts it is not attempted and says so.
"""

from __future__ import annotations

import argparse
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from miner.embeddings import load_encoder
from schemas.interactions import INTERACTIONS

DEFAULT_MAX_TEXTS = 200_000
TOP_K = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="paraphrase_mining", description=__doc__.splitlines()[0])
    parser.add_argument("--logs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--embedding-model", default="")
    parser.add_argument("--max-texts", type=int, default=DEFAULT_MAX_TEXTS)
    return parser.parse_args(argv)


def distinct_utterances(logs: str) -> list[str]:
    schema = pa.schema([INTERACTIONS.arrow_schema.field("utterance")])
    table = ds.dataset(logs, format="parquet", schema=schema, partitioning=None).to_table(columns=["utterance"])
    return pc.unique(table.column("utterance").drop_null()).to_pylist()


def run(args: argparse.Namespace) -> dict:
    import torch
    from sentence_transformers import util

    texts = distinct_utterances(args.logs)
    if len(texts) > args.max_texts:
        return {"texts": len(texts), "skipped": f"{len(texts):,} distinct texts > --max-texts {args.max_texts:,}"}
    model = load_encoder(args.embedding_model)
    torch.set_num_threads(2)  # the same two cores Spark gets
    pairs = util.paraphrase_mining(model, texts, top_k=TOP_K, show_progress_bar=False, batch_size=256)
    table = pa.table(
        {
            "score": pa.array([score for score, _, _ in pairs], pa.float32()),
            "left": pa.array([texts[i] for _, i, _ in pairs]),
            "right": pa.array([texts[j] for _, _, j in pairs]),
        }
    )
    pq.write_table(table, args.out)
    return {"texts": len(texts), "pairs": len(pairs)}


if __name__ == "__main__":
    print(json.dumps(run(parse_args())))
