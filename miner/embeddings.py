"""Sentence embeddings of distinct texts, computed once per run inside Spark's Python workers.

Vectors travel as one little-endian float16 binary value per text (see `schemas.types.FLOAT16_VECTOR`).
A persistent cache keyed by (model, text) lets a day's run embed only the texts no earlier run embedded:
`uncached_texts` picks those, `cached_embeddings` looks the rest up.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Iterator

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from miner.models import resolve_model_path
from schemas.texts import EMBEDDINGS

ENCODE_BATCH_SIZE = 256
VECTOR_DTYPE = np.dtype("<f2")


_STATIC_MODULES = ("StaticEmbedding", "Normalize")


class StaticEncoder:
    """A sentence-transformers `StaticEmbedding` + `Normalize` model evaluated with numpy.

    The same vectors sentence-transformers computes (the mean of the token vectors, then unit length; a
    text without tokens stays all zeros), from the same tokenizer.json and model.safetensors, without
    importing torch: that import alone costs each Spark Python worker about 11 s, more than embedding a
    day's distinct texts takes.
    """

    def __init__(self, model_path: str):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(os.path.join(model_path, "tokenizer.json"))
        self.tokenizer.no_padding()
        self.weights = load_file(os.path.join(model_path, "model.safetensors"))["embedding.weight"]

    @staticmethod
    def handles(model_path: str) -> bool:
        try:
            with open(os.path.join(model_path, "modules.json"), encoding="utf-8") as handle:
                modules = json.load(handle)
        except (OSError, ValueError):
            return False
        names = tuple(module.get("type", "").rsplit(".", 1)[-1] for module in modules)
        return names == _STATIC_MODULES and os.path.exists(os.path.join(model_path, "model.safetensors"))

    def encode(self, texts: list[str]) -> np.ndarray:
        from scipy.sparse import csr_matrix

        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.array([len(encoding.ids) for encoding in encodings], dtype=np.int64)
        ids = np.fromiter((i for encoding in encodings for i in encoding.ids), dtype=np.int64, count=lengths.sum())
        # Row i of the bag-of-tokens matrix counts text i's tokens; times the vectors, it sums them.
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        bags = csr_matrix((np.ones(len(ids), dtype=np.float32), ids, indptr), shape=(len(texts), len(self.weights)))
        sums = np.asarray(bags @ self.weights, dtype=np.float32)
        means = sums / np.maximum(lengths, 1)[:, None]
        norms = np.linalg.norm(means, axis=1, keepdims=True)
        return (means / np.maximum(norms, 1e-12)).astype(np.float32)


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


@functools.lru_cache(maxsize=2)
def load_static_encoder(model: str) -> StaticEncoder | None:
    """The numpy evaluation of a static model, or None for any other kind (sentence-transformers runs it)."""
    model_path = resolve_model_path(model)
    return StaticEncoder(model_path) if StaticEncoder.handles(model_path) else None


def encode(texts: list[str], model_path: str) -> np.ndarray:
    """Unit-length float32 vectors, so that a dot product is the cosine."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    static = load_static_encoder(model_path)
    if static is not None:
        return static.encode(texts)
    vectors = load_encoder(model_path).encode(
        texts, batch_size=ENCODE_BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def vectors_to_binary(vectors: np.ndarray) -> pa.BinaryArray:
    """A (rows x dimension) matrix as one float16 binary value per row, without a Python loop."""
    rows = len(vectors)
    data = np.ascontiguousarray(vectors, dtype=VECTOR_DTYPE).reshape(rows, -1 if rows else 0)
    row_bytes = data.shape[1] * VECTOR_DTYPE.itemsize
    offsets = pa.array(np.arange(rows + 1, dtype=np.int32) * row_bytes, pa.int32())
    return pa.BinaryArray.from_buffers(pa.binary(), rows, [None, offsets.buffers()[1], pa.py_buffer(data.tobytes())])


# Every float16 bit pattern's exact float32 value: numpy's own half-to-float cast is about five times slower
# than this table lookup, and the pair features convert two vectors per pair.
_VECTOR_BITS_DTYPE = np.dtype("<u2")  # VECTOR_DTYPE's bit patterns, in its byte order
_FLOAT32_OF_FLOAT16_BITS = (
    np.arange(1 << 16, dtype=np.uint32).astype(_VECTOR_BITS_DTYPE).view(VECTOR_DTYPE).astype(np.float32)
)
_FLOAT32_OF_FLOAT16_BITS.flags.writeable = False


def vectors_from_binary(column: pa.Array) -> np.ndarray:
    """The float32 (rows x dimension) matrix of a column `vectors_to_binary` wrote; no nulls allowed."""
    rows = len(column)
    if rows == 0:
        return np.zeros((0, 0), dtype=np.float32)
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset : column.offset + rows + 1]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return _FLOAT32_OF_FLOAT16_BITS[data.view(_VECTOR_BITS_DTYPE)].reshape(rows, -1)


def _embed_batches(batches: Iterator[pa.RecordBatch], model_path: str) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        texts = batch.column("text")
        vectors = encode(texts.to_pylist(), model_path)
        yield pa.RecordBatch.from_arrays([texts, vectors_to_binary(vectors)], schema=EMBEDDINGS.arrow_schema)


def embed_texts(texts_df: DataFrame, model_path: str = "") -> DataFrame:
    """Distinct `text` -> (text, embedding). The caller makes texts distinct, so each is embedded once.

    `model_path` is a name of `miner.models` ("" = the packaged multilingual encoder, "minilm") or a
    SentenceTransformer folder that exists where the executors run.
    """
    return texts_df.select("text").mapInArrow(
        lambda batches: _embed_batches(batches, model_path), EMBEDDINGS.spark_schema
    )


def uncached_texts(texts_df: DataFrame, cached_df: DataFrame) -> DataFrame:
    """The distinct `text`s the cache (text, embedding) does not hold yet: the only ones to embed."""
    return texts_df.select("text").join(cached_df.select("text"), on="text", how="left_anti").select("text")


def cached_embeddings(texts_df: DataFrame, cached_df: DataFrame) -> DataFrame:
    """(text, embedding) for each distinct `text` found in the cache.

    Two runs that filled the cache at once may both have added a text; any one of its copies serves
    (they are the same model's vector for the same text).
    """
    one_per_text = cached_df.groupBy("text").agg(F.first("embedding").alias("embedding"))
    return texts_df.select("text").join(one_per_text, on="text", how="inner").select(*EMBEDDINGS.column_names)
