import numpy as np
import pyarrow as pa

from miner.embeddings import (
    cached_embeddings,
    embed_texts,
    load_encoder,
    load_static_encoder,
    uncached_texts,
    vectors_from_binary,
    vectors_to_binary,
)


def test_vectors_round_trip_through_float16_binary_and_handle_empty_input():
    vectors = np.array([[0.6, 0.8], [1.0, 0.0], [-0.5, 0.25]], dtype=np.float32)
    column = vectors_to_binary(vectors)
    assert column.type == pa.binary() and [len(v) for v in column.to_pylist()] == [4, 4, 4]
    np.testing.assert_allclose(vectors_from_binary(column), vectors, atol=1e-3)
    np.testing.assert_allclose(vectors_from_binary(column.slice(1, 2)), vectors[1:], atol=1e-3)  # an Arrow slice
    assert vectors_to_binary(np.zeros((0, 0), dtype=np.float32)).to_pylist() == []
    assert vectors_from_binary(pa.array([], pa.binary())).shape == (0, 0)


def test_every_float16_value_reads_back_as_numpys_own_float32_cast():
    # One row holding all 65,536 bit patterns: zeros, subnormals, infinities and NaNs included.
    bits = np.arange(1 << 16, dtype=np.uint32).astype("<u2")
    expected = bits.view("<f2").astype(np.float32)
    read = vectors_from_binary(pa.array([bits.tobytes()], pa.binary()))
    assert read.shape == (1, 1 << 16) and read.dtype == np.float32
    np.testing.assert_array_equal(read[0], expected)  # NaN equals NaN here, and -0.0 keeps its sign bit below
    assert np.array_equal(np.signbit(read[0]), np.signbit(expected))


def test_embed_texts_gives_unit_vectors_from_the_offline_model(spark):
    texts = spark.createDataFrame(
        [("wake me up at seven am",), ("set an alarm for seven am",), ("play some jazz",)], "text string"
    )
    rows = embed_texts(texts, "").collect()
    vectors = dict(zip([r["text"] for r in rows], vectors_from_binary(pa.array([r["embedding"] for r in rows]))))
    assert sorted(vectors) == ["play some jazz", "set an alarm for seven am", "wake me up at seven am"]
    assert len({v.shape for v in vectors.values()}) == 1 and all(abs(np.linalg.norm(v) - 1) < 2e-3 for v in vectors.values())
    alarm = vectors["wake me up at seven am"]
    assert alarm @ vectors["set an alarm for seven am"] > alarm @ vectors["play some jazz"] + 0.3


def test_the_cache_splits_a_days_texts_into_hits_and_texts_to_embed(spark):
    texts = spark.createDataFrame([("wake me up",), ("play jazz",), ("",)], "text string")
    # 'wake me up' was cached twice (two runs filled the cache at once); 'stop' is not in today's texts.
    cached = spark.createDataFrame(
        [("wake me up", b"\x01\x02"), ("wake me up", b"\x01\x02"), ("stop", b"\x03\x04")],
        "text string, embedding binary",
    )
    assert sorted(r["text"] for r in texts.transform(uncached_texts, cached).collect()) == ["", "play jazz"]
    assert [tuple(r) for r in texts.transform(cached_embeddings, cached).collect()] == [("wake me up", b"\x01\x02")]
    empty_cache = spark.createDataFrame([], "text string, embedding binary")
    assert texts.transform(uncached_texts, empty_cache).count() == 3
    assert texts.transform(cached_embeddings, empty_cache).count() == 0


def test_the_static_encoder_gives_sentence_transformers_vectors_without_torch():
    texts = ["wake me up at seven am", "weck mich um sieben", "七時に起こして", "", "?!", "zzzz qqqq"]
    fast = load_static_encoder("")
    assert fast is not None and load_static_encoder("minilm") is None  # a transformer goes through torch
    reference = load_encoder("").encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    vectors = fast.encode(texts)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    np.testing.assert_allclose(vectors, reference, atol=1e-6)
    assert not vectors[3].any()  # no tokens: the zero vector, as sentence-transformers gives
