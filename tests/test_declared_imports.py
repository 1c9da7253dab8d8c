"""Every module the package imports is declared: the standard library, our own packages, or a
requirement of pyproject.toml (core or an extra).

A test environment also holds what the declared packages pull in (dask brings click, for
one), so an undeclared import can pass every other test and still fail on a user's machine:
Typer 0.29 stopped installing click, and `import click` broke every usage error. This reads
the imports from the source, so it holds whatever happens to be installed.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"tradesim", "strategies", "db"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    names = set()
    for spec in specs:
        m = re.match(r"([A-Za-z0-9_.\-]+)(?:\[([^\]]*)\])?", spec)
        names.add(_normalise(m.group(1)))
        # dask[distributed]: the extra names a distribution the requirement brings in.
        names |= {_normalise(e) for e in (m.group(2) or "").split(",") if e.strip()}
    return names


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_import_is_declared() -> None:
    declared = _declared()
    providers = packages_distributions()
    undeclared = {}
    for package in sorted(FIRST_PARTY):
        for path in sorted((REPO / package).rglob("*.py")):
            for name in _imports(path):
                if name in sys.stdlib_module_names or name in FIRST_PARTY or name == "__future__":
                    continue
                dists = {_normalise(d) for d in providers.get(name, [])} or {_normalise(name)}
                if not dists & declared:
                    undeclared.setdefault(name, []).append(str(path.relative_to(REPO)))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_check_sees_an_undeclared_import(tmp_path: Path) -> None:
    # The guard itself: click is installed here (dask needs it) but tradesim does not declare it.
    module = tmp_path / "m.py"
    module.write_text("import click\nfrom typer import Typer\n")
    assert _imports(module) == {"click", "typer"}
    assert "click" not in _declared()
