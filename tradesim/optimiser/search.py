"""The search from zero to the greedy (optionally polished) positions, before buffering.

Sets up the incremental state once with numpy (Sigma e, TE^2, cost: the only
reductions, so both backends start from the very same numbers) and runs the loops of
the chosen backend:

    "numba"  compiled loops (kernels_numba); numba is imported on first use.
    "numpy"  vectorised loops (kernels_numpy): a call at N=100 takes ~3.5 ms, not ~0.1 ms.
    "auto"   numba when it can be imported; otherwise numpy, saying so once in the log
             (a WARNING of logger tradesim.optimiser.search) rather than failing: the
             results are identical, only slower.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from tradesim.optimiser.bounds import search_direction, search_start
from tradesim.optimiser.problem import Problem

log = logging.getLogger(__name__)

BACKENDS = ("auto", "numba", "numpy")

# A guard, not a tuning knob. Every step strictly lowers f, but with a (near-)singular
# covariance and no costs the lowest f can lie absurdly far out: an instrument of tiny
# variance perfectly correlated with another "hedges" it with billions of contracts,
# one per step. Real problems take about sum |x*| steps (hundreds at N=100); the limit
# is STEP_LIMIT_FACTOR times the contracts needed to hold all of the optimal gross
# weight in the smallest contract, plus one per instrument, plus STEP_LIMIT_FLOOR.
STEP_LIMIT_FACTOR = 100
STEP_LIMIT_FLOOR = 1000
STEP_LIMIT_CAP = 10**8

# The rounded-start polish stops when no move lowers f by this fraction of f (see
# kernels_numpy.polish_scaled): a stopping rule for numerically flat valleys.
MIN_RELATIVE_GAIN = 1e-6

_kernels: dict[str, ModuleType] = {}


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    x: np.ndarray  # int64 positions found, within the bounds
    passes: int  # accepted greedy steps
    polish_moves: int  # accepted polish moves
    settled: bool = True  # False: a caller's max_steps stopped the greedy walk first


def kernels(backend: str = "auto") -> ModuleType:
    """The module holding greedy() and polish() for a backend name."""
    if backend in _kernels:
        return _kernels[backend]
    if backend == "numpy":
        from tradesim.optimiser import kernels_numpy as module
    elif backend == "numba":
        from tradesim.optimiser.numba_start import import_arraymath_without_blas

        import_arraymath_without_blas()  # ImportError if no numba
        from tradesim.optimiser import kernels_numba as module
    elif backend == "auto":
        try:
            module = kernels("numba")
        except ImportError as error:
            log.warning("numba unavailable (%s): the optimiser runs its numpy loops", error)
            module = kernels("numpy")
    else:
        raise ValueError(f"backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    _kernels[backend] = module
    return module


def run_search(problem: Problem, polish: bool = False, backend: str = "auto", start: str = "zero",
               max_steps: int | None = None) -> SearchOutcome:
    """Greedy search from zero (clipped into the bounds), then the polish if asked.

    ``start="rounded"`` skips the greedy walk and polishes from rint(x*) clipped into
    the bounds, with moves of +-2^j contracts halving down to +-1: the greedy walk
    takes about sum |x*| steps, which is thousands when positions are counted in
    shares rather than futures contracts.

    ``max_steps``: stop the greedy walk there and return where it got to (settled False)
    instead of raising at the step limit (the dynamic search uses it as a start only).
    """
    module = kernels(backend)
    p = problem
    if start == "rounded":
        x = np.rint(p.x_star).astype(np.int64)
        if p.bounded:
            x = np.clip(x, p.lo, p.hi).astype(np.int64)
    else:
        x = search_start(p.lo, p.hi, p.bounded)
    if p.n == 0:
        return SearchOutcome(x, 0, 0)
    s = search_direction(p.x_star, p.lo, p.hi, p.bounded)
    # Without a prior position f has no cost term: zero costs against a zero x0 say so.
    if p.x0 is None:
        x0, c = np.zeros(p.n, dtype=np.int64), np.zeros(p.n)
    else:
        x0, c = p.x0, p.c
    e = (x - p.x_star) * p.v
    Se = p.Sigma @ e
    te2 = float(e @ Se)
    cost = float(np.abs(x - x0) @ c)
    q = p.v * p.v * np.diag(p.Sigma)  # v_i^2 Sigma_ii, the TE^2 of a lone step
    sv = s * p.v
    limit = step_limit(p) if max_steps is None else max_steps
    passes = 0
    if start != "rounded":
        passes, te2, cost, converged = module.greedy(
            x, s, sv, 2.0 * sv, q, p.Sigma, Se, te2, c, x0, p.lam, cost, p.lo, p.hi, limit
        )
        if max_steps is not None:
            return SearchOutcome(x, int(passes), 0, bool(converged))
        _check_converged(converged, "greedy search", limit)
    moves = 0
    if start == "rounded":
        # From the rounded optimum the distance to a cheaper point can be thousands of
        # contracts (shares): start with the largest power-of-two move that fits.
        span = int(np.max(np.abs(x - x0))) if p.n else 0
        step = 1 << max(span.bit_length() - 1, 0)
        moves, te2, cost, converged = module.polish_scaled(
            x, p.v, q, p.Sigma, Se, te2, c, x0, p.lam, cost, p.lo, p.hi, step, MIN_RELATIVE_GAIN, limit
        )
        _check_converged(converged, "polish", limit)
    elif polish:
        moves, te2, cost, converged = module.polish(
            x, p.v, 2.0 * p.v, q, p.Sigma, Se, te2, c, x0, p.lam, cost, p.lo, p.hi, limit
        )
        _check_converged(converged, "polish", limit)
    return SearchOutcome(x, int(passes), int(moves))


def step_limit(p: Problem) -> int:
    contracts = float(np.abs(p.x_star) @ p.v) / float(p.v.min())
    limit = STEP_LIMIT_FLOOR + STEP_LIMIT_FACTOR * (p.n + math.ceil(contracts))
    return int(min(limit, STEP_LIMIT_CAP))


def _check_converged(converged: bool, what: str, limit: int) -> None:
    if not converged:
        raise RuntimeError(
            f"optimiser: the {what} did not settle in {limit} steps; the covariance is "
            "probably (near-)singular and the costs too small to stop the search"
        )
