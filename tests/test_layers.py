"""The import graph reads top to bottom: configuration is a schema, not a hub.

Edges are every import in the source, late ones inside functions included (they
run too, only later), but not those under ``TYPE_CHECKING`` (annotations only), nor
those in a module's ``__getattr__`` (PEP 562: the package ``tradesim`` offers
``tradesim.backtest`` that way; what it imports is a dependency of the code asking).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tradesim", "strategies", "db")


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            mods[name] = path
    return mods


def _imported(tree: ast.AST) -> list[str]:
    """Absolute module names imported anywhere in ``tree``, skipping ``if TYPE_CHECKING:`` blocks."""
    names = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and isinstance(tree, ast.Module):
            continue
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            names += [n for child in node.orelse for n in _imported(ast.Module(body=[child], type_ignores=[]))]
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        names += _imported(node)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, packages' ``__init__`` included (Python runs them)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for imported in _imported(ast.parse(path.read_text())):
            parts = imported.split(".")
            deps |= {".".join(parts[:k]) for k in range(1, len(parts) + 1) if ".".join(parts[:k]) in mods}
        graph[name] = deps - {name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for dep in graph[todo.pop()] - seen:
            seen.add(dep)
            todo.append(dep)
    return seen


def test_the_schema_imports_nothing_of_the_engine() -> None:
    below = reachable(import_graph(), "tradesim.schema")
    assert below == {"tradesim", "tradesim.errors", "tradesim.calendar", "tradesim.triggers", "tradesim.triggers.spec"}


def test_nothing_the_config_loader_uses_comes_back_to_it() -> None:
    graph = import_graph()
    for name in ("tradesim.config", "tradesim.resolve", "tradesim.schema"):
        assert name not in reachable(graph, name), f"{name} imports itself through a circle"
    users = sorted(m for m, deps in graph.items() if "tradesim.config" in deps)
    assert all(m.startswith(("tradesim.cli", "tradesim.api")) or m in ("tradesim.schedule", "tradesim") for m in users), users


def test_the_strategies_data_and_market_form_no_circle() -> None:
    graph = import_graph()
    for name in graph:
        if name.startswith(("strategies", "tradesim.data", "tradesim.market")):
            assert name not in reachable(graph, name), f"{name} imports itself through a circle"
