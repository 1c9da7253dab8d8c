"""The reference problems' JSON format (shared/optimiser/problems), as optimise_positions arguments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def load_problem(path: Path) -> dict:
    """One problem file as keyword arguments of ``optimise_positions``."""
    raw = json.loads(Path(path).read_text())
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
