"""The shipped multilingual encoder: loads offline, small, and places translations together."""

import numpy as np
import pytest

from miner.models import PACKAGED_ENCODER_DIR, resolve_model_path

MAX_ARTIFACT_BYTES = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def encoder():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(""), device="cpu", local_files_only=True)


def test_the_artifact_is_under_50_mb_and_has_its_model_card():
    size = sum(path.stat().st_size for path in PACKAGED_ENCODER_DIR.rglob("*") if path.is_file())
    assert 0 < size < MAX_ARTIFACT_BYTES
    card = (PACKAGED_ENCODER_DIR / "README.md").read_text(encoding="utf-8")
    assert "## Training data" in card and "## Evaluation" in card and "no test partition was read" in card


@pytest.mark.parametrize("translation", [
    "weck mich um sieben uhr morgens",   # German
    "niamshe saa moja asubuhi",          # Swahili
    "明日の朝七時に起こして",              # Japanese, no spaces
    "أيقظني في الساعة السابعة صباحا",    # Arabic
])
def test_a_translation_is_closer_than_another_request(encoder, translation):
    english, other = "wake me up at seven in the morning", "play some jazz music"
    vectors = encoder.encode([english, translation, other], normalize_embeddings=True)
    assert vectors[0] @ vectors[1] > vectors[1] @ vectors[2] + 0.1


def test_empty_and_punctuation_only_texts_give_zero_vectors_not_errors(encoder):
    vectors = encoder.encode(["", "?!", "wake me up"], normalize_embeddings=True)
    assert vectors.shape[0] == 3 and np.allclose(vectors[0], 0) and np.allclose(vectors[1], 0)
    assert abs(np.linalg.norm(vectors[2]) - 1) < 1e-3
