"""The reference problem set of /work/shared/optimiser, copied into tests/fixtures/optimiser."""

import json
from pathlib import Path

import pytest

from tradesim.optimiser.problem_file import load_problem as read_problem

FIXTURES = Path(__file__).parent.parent / "fixtures" / "optimiser"


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((FIXTURES / "expected.json").read_text())


@pytest.fixture(scope="session")
def load_problem():
    """name -> dict of optimise_positions keyword arguments."""

    def load(name: str) -> dict:
        return read_problem(FIXTURES / "problems" / name)

    return load
