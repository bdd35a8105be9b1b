import numpy as np

from miner.embeddings import embed_texts, vectors_to_arrow


def test_vectors_to_arrow_keeps_rows_and_handles_empty_input():
    column = vectors_to_arrow(np.arange(6, dtype=np.float32).reshape(3, 2))
    assert column.to_pylist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    assert vectors_to_arrow(np.zeros((0, 0), dtype=np.float32)).to_pylist() == []


def test_embed_texts_gives_unit_vectors_from_the_offline_model(spark):
    texts = spark.createDataFrame(
        [("wake me up at seven am",), ("set an alarm for seven am",), ("play some jazz",)], "text string"
    )
    vectors = {r["text"]: np.array(r["embedding"]) for r in embed_texts(texts, "").collect()}
    assert sorted(vectors) == ["play some jazz", "set an alarm for seven am", "wake me up at seven am"]
    assert len({v.shape for v in vectors.values()}) == 1 and all(abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors.values())
    alarm = vectors["wake me up at seven am"]
    assert alarm @ vectors["set an alarm for seven am"] > alarm @ vectors["play some jazz"] + 0.3
