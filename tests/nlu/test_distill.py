"""Distillation on a toy world: a fake teacher that knows what each word means in two languages."""

import zlib

import numpy as np
import pytest

from nlu.distill import DistillConfig, Example, Projection, build_tokenizer, distill, token_texts

# English words and their "German" translations; the teacher gives a word the same vector in both.
LEXICON = {"wake": "weck", "alarm": "wecker", "play": "spiel", "jazz": "jazz", "rain": "regen",
           "today": "heute", "light": "licht", "off": "aus", "music": "musik", "seven": "sieben"}
MEANING = {word: meaning for meaning, pair in enumerate(LEXICON.items()) for word in pair}


def fake_teacher(texts):
    vectors = []
    for text in texts:
        words = [w for w in text.lower().split() if w in MEANING]
        vector = np.zeros(len(LEXICON), dtype=np.float32)
        for word in words:
            vector[MEANING[word]] += 1.0
        if not words:  # an unknown string still gets a stable vector, as a real teacher's would
            vector = np.random.default_rng(zlib.crc32(text.encode())).normal(size=len(LEXICON)).astype(np.float32)
        vectors.append(vector)
    return np.stack(vectors)


def test_tokenizer_normalizes_and_isolates_han_and_kana():
    tokenizer = build_tokenizer(["今日は雨ですか wake me up", "取消我的提醒 play jazz"] * 20, vocab_size=120)
    tokens = tokenizer.encode("取消！Wake me UP, 今日").tokens
    assert "取" in tokens and "消" in tokens and "今" in tokens and "日" in tokens  # one per character
    assert not any(character in "".join(tokens) for character in "！,")  # punctuation gone
    assert tokenizer.encode("WAKE me up").ids == tokenizer.encode("wake me up").ids  # case folded
    assert token_texts(tokenizer)[0] == ""  # the unknown token has no text


def test_projection_gives_unit_vectors_of_the_reduced_dimension():
    vectors = np.random.default_rng(0).normal(size=(50, 8))
    projected = Projection.fit(vectors, 3)(vectors)
    assert projected.shape == (50, 3)
    assert np.allclose(np.linalg.norm(projected, axis=1), 1.0, atol=1e-5)


def test_distilled_student_maps_translations_together():
    english = [f"{a} {b}" for a in list(LEXICON)[:5] for b in list(LEXICON)[5:]]
    examples = [Example(text, text) for text in english]
    examples += [Example(" ".join(LEXICON[w] for w in text.split()), text) for text in english]
    config = DistillConfig(vocab_size=80, dimension=8, epochs=30, batch_size=16, learning_rate=0.05)
    module, history = distill(examples, [fake_teacher], config, log=lambda line: None)
    assert history[-1] < history[0]
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(modules=[module], device="cpu")
    left = model.encode(["wake today", "play music"], normalize_embeddings=True)
    right = model.encode(["weck heute", "spiel musik"], normalize_embeddings=True)
    similarity = left @ right.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]
    assert model.encode([""]).shape == (1, 8)  # an empty text is a zero vector, not an error


def test_distill_needs_examples():
    with pytest.raises(ValueError):
        distill([], [fake_teacher], DistillConfig(vocab_size=10, dimension=2, epochs=1), log=lambda line: None)
