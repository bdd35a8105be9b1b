import math

import numpy as np
import pytest

from nlu import retrieval


def test_translation_retrieval_counts_both_directions_and_ties_against():
    english = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # the second translation is far from its source
    translations = np.array([[1.0, 0.1], [-1.0, 0.0], [1.0, 0.1]])
    ranks = retrieval.retrieval_ranks(english, translations)
    assert ranks.tolist() == [1, 2, 1]  # translations 0 and 2 are identical: each ties with the other
    figures = retrieval.translation_retrieval(english, translations, ks=(1, 3))
    backward = retrieval.retrieval_ranks(translations, english)
    assert figures["top1"] == pytest.approx(((ranks < 1).mean() + (backward < 1).mean()) / 2)
    assert figures["top3"] == 1.0


def test_retrieval_ranks_needs_parallel_rows():
    with pytest.raises(ValueError, match="parallel"):
        retrieval.retrieval_ranks(np.ones((2, 3)), np.ones((3, 3)))


def test_a_zero_vector_is_no_error():
    ranks = retrieval.retrieval_ranks(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert ranks.tolist() == [1, 0]


def test_roc_auc_with_ties_and_one_class():
    assert retrieval.roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == pytest.approx(0.75)
    assert retrieval.roc_auc(np.array([0.5, 0.5]), np.array([0, 1])) == pytest.approx(0.5)
    assert math.isnan(retrieval.roc_auc(np.array([0.1, 0.2]), np.array([1, 1])))


def test_best_threshold_and_accuracy():
    scores, labels = np.array([0.1, 0.2, 0.7, 0.9]), np.array([0, 0, 1, 1])
    threshold = retrieval.best_threshold(scores, labels)
    assert threshold == pytest.approx(0.7)
    assert retrieval.accuracy_at(scores, labels, threshold) == 1.0
    assert retrieval.accuracy_at(scores, labels, 0.0) == 0.5
    assert retrieval.pair_cosines(np.array([[3.0, 0.0]]), np.array([[1.0, 1.0]]))[0] == pytest.approx(0.7071, abs=1e-4)
