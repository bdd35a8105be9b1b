"""Multilingual knowledge distillation into a static sentence encoder (pure: arrays in, model out, no I/O).

The student is a sentence-transformers `StaticEmbedding`: a sentence is the mean of its tokens' vectors, so
encoding costs one table lookup per token. It is fitted to teacher sentence embeddings (Reimers & Gurevych,
2020, "Making monolingual sentence embeddings multilingual using knowledge distillation"):

* every training sentence has a target: the teacher's embedding of its English pivot when it is a
  translation (so that a sentence and its translations share one target), else of itself;
* targets are the teachers' embeddings, each made unit length, PCA-reduced to the student's dimension;
* each token's vector starts as the reduced teacher embedding of the token's own text;
* the loss is the squared distance to the target plus an in-batch contrastive term (InfoNCE over the
  batch's other targets), which is what translation retrieval rewards.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

Encode = Callable[[list[str]], np.ndarray]
Log = Callable[[str], None]
UNKNOWN_TOKEN = "[UNK]"
# Punctuation and symbols carry no meaning for a bag of tokens; removing them in the tokenizer's
# normalizer makes the model give one vector for "Wake me up!" and "wake me up".
PUNCTUATION_PATTERN = r"[\p{P}\p{S}]+"
# Han and kana are written without spaces. With little text in those scripts, pieces learned across
# characters overfit whole phrases; single characters (each a morpheme in Chinese) generalise.
ISOLATED_CHARACTERS = r"[\p{Han}\p{Hiragana}\p{Katakana}]"


@dataclass(frozen=True)
class Example:
    text: str
    pivot: str  # the text whose teacher embedding is the target: the English source, or the text itself
    corpus: str = ""  # where it comes from, for reports


@dataclass(frozen=True)
class DistillConfig:
    vocab_size: int = 32_000  # at most: the trainer stops when the text has no more pieces to give
    dimension: int = 256
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 0.02
    temperature: float = 0.05
    contrastive_weight: float = 1.0
    # Translation retrieval compares two student vectors: an InfoNCE term between each translation and
    # its English source, both encoded by the student, aligns them directly.
    pair_weight: float = 1.0
    parallel_repeats: int = 4  # translated examples are scarce: each is seen this many times per epoch
    seed: int = 13


def build_tokenizer(texts: Sequence[str], vocab_size: int):
    """A Unigram tokenizer trained on `texts`: NFKC, lower case, punctuation removed, SentencePiece-style
    word boundaries, Han and kana characters as single tokens (see ISOLATED_CHARACTERS)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = _normalizer()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Metaspace(), pre_tokenizers.Split(Regex(ISOLATED_CHARACTERS), behavior="isolated")]
    )
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=[UNKNOWN_TOKEN], unk_token=UNKNOWN_TOKEN, show_progress=False,
        max_piece_length=12,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def _normalizer():
    from tokenizers import Regex, normalizers

    return normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Lowercase(), normalizers.Replace(Regex(PUNCTUATION_PATTERN), " "),
         normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()]
    )


def token_texts(tokenizer) -> list[str]:
    """Each vocabulary entry as plain text, by id ("▁alarm" -> "alarm"); special tokens give ""."""
    vocabulary = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    return ["" if token == UNKNOWN_TOKEN else token.replace("▁", " ").strip() for token, _ in vocabulary]


@dataclass(frozen=True)
class Projection:
    """Unit-length teacher vectors -> centred, PCA-reduced, unit-length student targets."""

    mean: np.ndarray
    components: np.ndarray  # (dimension, teacher dimension)

    @classmethod
    def fit(cls, vectors: np.ndarray, dimension: int) -> "Projection":
        vectors = _unit(vectors)
        mean = vectors.mean(axis=0)
        _, _, right = np.linalg.svd(vectors - mean, full_matrices=False)
        return cls(mean.astype(np.float32), right[:dimension].astype(np.float32))

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        return _unit((_unit(vectors) - self.mean) @ self.components.T)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def teacher_targets(teachers: Sequence[Encode], texts: list[str], dimension: int) -> tuple[np.ndarray, list[Projection]]:
    """Targets of `texts`: each teacher's embeddings reduced to dimension / len(teachers), concatenated and
    scaled so that the cosine of two targets is the mean of the teachers' reduced cosines."""
    share = dimension // len(teachers)
    projections, parts = [], []
    for teacher in teachers:
        vectors = teacher(texts)
        projection = Projection.fit(vectors, share)
        projections.append(projection)
        parts.append(projection(vectors))
    return _unit(np.concatenate(parts, axis=1)), projections


def project_all(teachers: Sequence[Encode], projections: Sequence[Projection], texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, sum(p.components.shape[0] for p in projections)), dtype=np.float32)
    return _unit(np.concatenate([p(teacher(texts)) for teacher, p in zip(teachers, projections)], axis=1))


def distill(
    examples: Sequence[Example],
    teachers: Sequence[Encode],
    config: DistillConfig = DistillConfig(),
    log: Log = print,
):
    """Train the student; returns (StaticEmbedding module, training history)."""
    import torch
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    if not examples:
        raise ValueError("no training examples")
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    texts = list(dict.fromkeys(example.text for example in examples))
    tokenizer = build_tokenizer(texts, config.vocab_size)
    log(f"tokenizer: Unigram, {tokenizer.get_vocab_size():,} pieces, from {len(texts):,} distinct texts")

    pivots = list(dict.fromkeys(example.pivot for example in examples))
    log(f"teacher targets for {len(pivots):,} distinct pivots")
    pivot_vectors, projections = teacher_targets(teachers, pivots, config.dimension)
    pivot_index = {pivot: index for index, pivot in enumerate(pivots)}

    pieces = token_texts(tokenizer)
    log(f"teacher-initialised token vectors for {len(pieces):,} pieces")
    known = [index for index, piece in enumerate(pieces) if piece]
    weights = np.zeros((len(pieces), pivot_vectors.shape[1]), dtype=np.float32)
    weights[known] = project_all(teachers, projections, [pieces[index] for index in known])

    ids = [encoding.ids for encoding in tokenizer.encode_batch(texts, add_special_tokens=False)]
    text_ids = {text: token_ids for text, token_ids in zip(texts, ids)}
    schedule = [example for example in examples if example.pivot != example.text] * (config.parallel_repeats - 1)
    schedule += list(examples)

    embedding = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(weights), freeze=False, mode="mean")
    optimizer = torch.optim.Adam(embedding.parameters(), lr=config.learning_rate)
    steps_per_epoch = math.ceil(len(schedule) / config.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.learning_rate, total_steps=steps_per_epoch * config.epochs, pct_start=0.1
    )
    targets = torch.from_numpy(pivot_vectors)
    history = []
    for epoch in range(config.epochs):
        random.shuffle(schedule)
        total = 0.0
        for start in range(0, len(schedule), config.batch_size):
            batch = schedule[start : start + config.batch_size]
            loss = _batch_loss(embedding, batch, text_ids, pivot_index, targets, config)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        history.append(total / len(schedule))
        log(f"epoch {epoch + 1}/{config.epochs}: loss {history[-1]:.4f}")
    module = StaticEmbedding(tokenizer, embedding_weights=embedding.weight.detach().clone())
    return module, history


def _encode(embedding, token_ids: list[list[int]]):
    import torch

    offsets = torch.tensor(np.cumsum([0] + [len(ids) for ids in token_ids[:-1]]), dtype=torch.long)
    return embedding(torch.tensor([token for ids in token_ids for token in ids], dtype=torch.long), offsets)


def _batch_loss(embedding, batch, text_ids, pivot_index, targets, config: DistillConfig):
    import torch
    import torch.nn.functional as functional

    students = _encode(embedding, [text_ids[example.text] for example in batch])
    rows = torch.tensor([pivot_index[example.pivot] for example in batch], dtype=torch.long)
    batch_targets = targets[rows]
    distance = ((students - batch_targets) ** 2).sum(dim=1).mean()
    logits = functional.normalize(students, dim=1) @ batch_targets.T / config.temperature
    # Several translations of one pivot in a batch share a target: none is another's negative.
    same_pivot = rows[:, None] == rows[None, :]
    logits = logits.masked_fill(same_pivot & ~torch.eye(len(batch), dtype=torch.bool), float("-inf"))
    contrastive = functional.cross_entropy(logits, torch.arange(len(batch)))
    loss = distance + config.contrastive_weight * contrastive
    translated = [index for index, example in enumerate(batch) if example.pivot != example.text]
    if config.pair_weight and len(translated) > 1:
        sources = _encode(embedding, [text_ids[batch[index].pivot] for index in translated])
        pair_rows = rows[translated]
        pair_logits = functional.normalize(students[translated], dim=1) @ functional.normalize(sources, dim=1).T
        pair_logits = pair_logits / config.temperature
        same = pair_rows[:, None] == pair_rows[None, :]
        pair_logits = pair_logits.masked_fill(same & ~torch.eye(len(translated), dtype=torch.bool), float("-inf"))
        labels = torch.arange(len(translated))
        loss = loss + config.pair_weight * (
            functional.cross_entropy(pair_logits, labels) + functional.cross_entropy(pair_logits.T, labels)
        ) / 2
    return loss
