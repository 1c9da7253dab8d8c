"""One optimisation problem, checked and converted once into the arrays the search uses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradesim.optimiser import validation
from tradesim.optimiser.validation import OptimiserInputError


@dataclass(frozen=True, slots=True)
class Problem:
    x_star: np.ndarray  # (N,) float64, unrounded optimal positions
    x0: np.ndarray | None  # (N,) int64 positions held, None on the first day
    v: np.ndarray  # (N,) float64 > 0, weight of one contract
    Sigma: np.ndarray  # (N, N) float64 C-contiguous covariance
    c: np.ndarray  # (N,) float64 >= 0, cost of one contract as a fraction of capital
    lam: float  # cost multiplier (Carver's shadow cost)
    B: float  # tracking error buffer
    lo: np.ndarray  # (N,) float64 whole-contract lower bounds, -inf where none
    hi: np.ndarray  # (N,) float64 whole-contract upper bounds, +inf where none
    bounded: bool  # any finite bound (else clipping can be skipped)
    names: list[str] | None

    @property
    def n(self) -> int:
        return self.x_star.shape[0]


def prepare_problem(
    optimal,
    previous,
    per_contract_weight,
    covariance,
    cost_per_contract,
    cost_multiplier: float = 50.0,
    tracking_error_buffer: float = 0.01,
    min_positions=None,
    max_positions=None,
    instruments=None,
    validate: bool = True,
) -> Problem:
    """Check the inputs (see `validation` for what validate=False skips) and build a Problem."""
    x_star = validation.as_vector(optimal, "optimal", None)
    n = x_star.shape[0]
    names = validation.check_names(instruments, n)
    v = validation.as_vector(per_contract_weight, "per_contract_weight", n)
    c = validation.as_vector(cost_per_contract, "cost_per_contract", n)
    Sigma = np.ascontiguousarray(covariance, dtype=np.float64)
    if Sigma.shape != (n, n):
        raise OptimiserInputError(f"covariance: shape {Sigma.shape}, expected ({n}, {n})")
    if validate:
        validation.check_covariance(Sigma, names)
    validation.check_vectors(x_star, v, c, names)
    x0 = validation.as_previous(previous, n, names)
    lam = validation.check_scalar(cost_multiplier, "cost_multiplier")
    B = validation.check_scalar(tracking_error_buffer, "tracking_error_buffer")
    lo, hi, bounded = validation.integer_bounds(min_positions, max_positions, n, names)
    return Problem(x_star, x0, v, Sigma, c, lam, B, lo, hi, bounded, names)
