"""The reference problem set of /work/shared/optimiser, copied into tests/fixtures/optimiser."""

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "optimiser"


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((FIXTURES / "expected.json").read_text())


@pytest.fixture(scope="session")
def load_problem():
    """name -> dict of optimise_positions keyword arguments."""

    def load(name: str) -> dict:
        raw = json.loads((FIXTURES / "problems" / name).read_text())
        previous = raw["previous_positions"]
        return dict(
            optimal=np.array(raw["contracts_optimal"], dtype=float),
            previous=None if previous is None else np.array(previous, dtype=np.int64),
            per_contract_weight=np.array(raw["per_contract_weight"], dtype=float),
            covariance=np.array(raw["covariance"], dtype=float),
            cost_per_contract=np.array(raw["cost_per_contract"], dtype=float),
            cost_multiplier=raw["shadow_cost"],
            tracking_error_buffer=raw["tracking_error_buffer"],
            instruments=raw["instruments"],
        )

    return load
