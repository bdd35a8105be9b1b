"""Metrics for sentence encoders (pure numpy): translation retrieval and paraphrase scoring."""

from __future__ import annotations

import numpy as np

BLOCK_ROWS = 1024  # rows of the similarity matrix held at once: memory stays linear in the corpus


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def retrieval_ranks(queries: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Rank (0 = nearest) of candidate i among all candidates for query i, by cosine; ties count against."""
    if len(queries) != len(candidates):
        raise ValueError(f"{len(queries)} queries for {len(candidates)} candidates: rows must be parallel")
    queries, candidates = unit_rows(queries), unit_rows(candidates)
    ranks = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), BLOCK_ROWS):
        block = queries[start : start + BLOCK_ROWS] @ candidates.T
        own = block[np.arange(len(block)), np.arange(start, start + len(block))]
        # A candidate that is an exact duplicate of the right one ties with it and counts as better.
        ranks[start : start + len(block)] = (block >= own[:, None]).sum(axis=1) - 1
    return ranks


def translation_retrieval(left: np.ndarray, right: np.ndarray, ks: tuple[int, ...] = (1, 5)) -> dict[str, float]:
    """Top-k accuracy of finding each sentence's translation among all translations, as the mean of both
    directions (left -> right and right -> left), as in Pires et al. (2019)."""
    forward, backward = retrieval_ranks(left, right), retrieval_ranks(right, left)
    return {f"top{k}": float(((forward < k).mean() + (backward < k).mean()) / 2) for k in ks}


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied scores sharing ranks); NaN with one class."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    positives, negatives = labels.sum(), (~labels).sum()
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    # average ranks over ties
    unique, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first[counts > 1], counts[counts > 1]):
        ranks[order[start : start + count]] = start + (count + 1) / 2
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold (predict paraphrase when score >= it) with the highest accuracy."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    candidates = np.unique(scores)
    accuracies = [((scores >= threshold) == labels).mean() for threshold in candidates]
    return float(candidates[int(np.argmax(accuracies))])


def accuracy_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    return float(((np.asarray(scores) >= threshold) == np.asarray(labels).astype(bool)).mean())


def pair_cosines(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (unit_rows(left) * unit_rows(right)).sum(axis=1)
