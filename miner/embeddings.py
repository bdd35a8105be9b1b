"""Sentence embeddings of distinct texts, computed once per run inside Spark's Python workers."""

from __future__ import annotations

import functools
import os
from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame

from miner.models import resolve_model_path
from schemas.texts import EMBEDDINGS

ENCODE_BATCH_SIZE = 256


@functools.lru_cache(maxsize=2)
def load_encoder(model: str):
    """One model per Python worker process and name; later batches reuse it.

    A name (`multilingual`, the default "", or `minilm`) is resolved here, in the worker: on a cluster the
    executors' environment (a shipped archive, say) sits at another path than the driver's.
    """
    model_path = resolve_model_path(model)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch
    from sentence_transformers import SentenceTransformer

    # Spark already runs one Python worker per core; more threads per worker only contend.
    torch.set_num_threads(1)
    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


def encode(texts: list[str], model_path: str) -> np.ndarray:
    """Unit-length float32 vectors, so that a dot product is the cosine."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = load_encoder(model_path).encode(
        texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def vectors_to_arrow(vectors: np.ndarray) -> pa.ListArray:
    """A (rows x dimension) matrix as an Arrow list<float> column, without a Python loop."""
    rows, dimension = vectors.shape if vectors.size else (len(vectors), 0)
    offsets = pa.array(np.arange(0, rows * dimension + 1, max(dimension, 1))[: rows + 1], pa.int32())
    return pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1), pa.float32()))


def _embed_batches(batches: Iterator[pa.RecordBatch], model_path: str) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts = batch.column("text")
        vectors = encode(texts.to_pylist(), model_path)
        yield pa.RecordBatch.from_arrays([texts, vectors_to_arrow(vectors)], schema=EMBEDDINGS.arrow_schema)


def embed_texts(texts_df: DataFrame, model_path: str = "") -> DataFrame:
    """Distinct `text` -> (text, embedding). The caller makes texts distinct, so each is embedded once.

    `model_path` is a name of `miner.models` ("" = the packaged multilingual encoder, "minilm") or a
    SentenceTransformer folder that exists where the executors run.
    """
    return texts_df.select("text").mapInArrow(
        lambda batches: _embed_batches(batches, model_path), EMBEDDINGS.spark_schema
    )
