"""The README and docs/*.md name only what exists: files, folders, modules and make targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_FOLDERS = ("schemas", "miner", "pipeline", "jobs", "reporting", "simulation", "evaluation", "nlu", "cli", "dags",
               "tests", "bench", "docs", "tools")
PACKAGES = tuple(folder for folder in TOP_FOLDERS if (ROOT / folder / "__init__.py").exists())
README_LINES = 300


def _code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def _paths(text: str) -> set[str]:
    """Repository paths in code spans and links: a first segment that is one of the project's folders."""
    found = set()
    candidates = [word for span in _code_spans(text) for word in span.split()]
    candidates += re.findall(r"\]\((?:\.\./)?([^)#\s]+)", text)
    for word in candidates:
        word = word.strip("(),;:'\"").removeprefix("../")
        if "/" in word and word.split("/")[0] in TOP_FOLDERS and not re.search(r"[<>*{}$\[]|\.\.\.", word):
            found.add(word.rstrip("/").split("::")[0])
    return found


def _modules(text: str) -> set[str]:
    """Dotted names of our packages in code spans: `pipeline.stages` or `pipeline.stages.STAGE_ORDER`."""
    return {
        match for span in _code_spans(text)
        for match in re.findall(r"\b(?:%s)(?:\.\w+)+" % "|".join(PACKAGES), span)
        if not re.search(r"\.(py|md|json|sh|toml|parquet|html|svg|png)$", match)
    }


def _is_module(dotted: str) -> bool:
    """The name, or its longest module prefix with the rest an attribute of it (checked in the source)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        source = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
        if source.exists():
            rest = parts[end:]
            return not rest or re.search(r"\b%s\b" % re.escape(rest[0]), source.read_text(encoding="utf-8")) is not None
    return False


def _exists(path: str) -> bool:
    """A file or folder, or `folder/module.name`: a name defined in folder/module.py."""
    if (ROOT / path).exists():
        return True
    module, _, name = path.rpartition(".")
    source = ROOT / f"{module}.py"
    return source.exists() and re.search(r"\b%s\b" % re.escape(name), source.read_text(encoding="utf-8")) is not None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_path_a_document_names_exists(document):
    missing = sorted(path for path in _paths(document.read_text(encoding="utf-8")) if not _exists(path))
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_module_a_document_names_exists(document):
    missing = sorted(name for name in _modules(document.read_text(encoding="utf-8")) if not _is_module(name))
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_make_target_a_document_names_exists(document):
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M))
    named = set(re.findall(r"`make ([\w-]+)", document.read_text(encoding="utf-8")))
    assert sorted(named - targets) == []


def test_the_readme_is_short_and_links_every_document():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_LINES
    unlinked = [doc.name for doc in DOCUMENTS[1:] if f"](docs/{doc.name})" not in readme]
    assert unlinked == []
