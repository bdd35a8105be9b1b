"""The house rules, checked on the source: the layering, no import cycle, one stage order, small files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipeline.stages import STAGE_ORDER

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("schemas", "miner", "pipeline", "jobs", "reporting", "simulation", "evaluation", "nlu", "cli", "dags", "bench")
MAX_LINES = 600
# What each package may import of ours: schemas nothing, miner the contracts, and so on up to the CLI.
ALLOWED = {
    "schemas": {"schemas"},
    "miner": {"miner", "schemas"},
    "pipeline": {"pipeline", "miner", "schemas", "reporting", "jobs"},
    "jobs": {"jobs", "pipeline", "miner", "schemas"},
    "reporting": {"reporting", "pipeline", "schemas"},
    "simulation": {"simulation", "miner", "schemas", "nlu"},
    "evaluation": {"evaluation", "simulation", "pipeline", "miner", "schemas", "nlu"},
    "nlu": {"nlu", "simulation", "pipeline", "reporting", "miner", "schemas"},
    "cli": set(PACKAGES) - {"dags", "bench"},
    "dags": {"pipeline", "miner", "reporting", "nlu"},  # nlu: the retraining DAG, imported inside its task
    "bench": {"bench", "pipeline", "miner", "schemas"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Our modules a file imports, at module level or inside functions (a lazy import is still a dependency)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in names if name in MODULES}


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


def test_there_is_no_import_cycle_among_the_projects_modules():
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(GRAPH[module]):
            if state.get(imported) == 1:
                cycles.append(" -> ".join(path[path.index(imported):] + [imported]))
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(package):
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in GRAPH.items() if module.split(".")[0] == package
        for imported in imported_modules if imported.split(".")[0] not in ALLOWED[package]
    )
    assert wrong == []


def test_the_stage_names_are_listed_in_one_module_only():
    listings = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                elements = node.keys if isinstance(node, ast.Dict) else node.elts
                named = {e.value for e in elements if isinstance(e, ast.Constant) and e.value in STAGE_ORDER}
                if len(named) >= 2:
                    listings.append(f"{module}:{node.lineno}")
    assert listings == []
    stage_calls = [module for module, path in MODULES.items() if "= Stage(" in path.read_text(encoding="utf-8")]
    assert stage_calls == ["pipeline.stages"]


def test_no_python_file_is_over_600_lines():
    long_files = {
        str(path.relative_to(ROOT)): lines
        for path in [*MODULES.values(), *sorted((ROOT / "tests").rglob("*.py"))]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long_files == {}
