from pathlib import Path

from schemas.__main__ import BEGIN, END, contracts_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_contracts_section_is_generated_from_the_schemas():
    text = README.read_text(encoding="utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section == "\n" + contracts_markdown(), "run: python -m schemas --write README.md"
