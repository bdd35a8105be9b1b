from pathlib import Path

from schemas.__main__ import BEGIN, END, contracts_markdown

CONTRACTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def test_the_contracts_document_is_generated_from_the_schemas():
    text = CONTRACTS_DOC.read_text(encoding="utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section == "\n" + contracts_markdown(), "run: python -m schemas --write docs/contracts.md"
