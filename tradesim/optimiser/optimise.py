"""`optimise_positions`: the whole of Carver's dynamic optimisation for one day."""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.buffering import buffer_trade
from tradesim.optimiser.dynamic import compiled_driver, dynamic_search, optimise_compiled
from tradesim.optimiser.objective import tracking_error, trade_cost
from tradesim.optimiser.problem import Problem, prepare_problem
from tradesim.optimiser.result import (
    BUFFER_NO_TRADE,
    GREEDY_NO_PRIOR,
    GREEDY_THEN_BUFFER_NO_TRADE,
    GREEDY_THEN_PARTIAL_TRADE,
    NONE,
    ROUND,
    OptimiserResult,
)
from tradesim.optimiser.search import run_search
from tradesim.optimiser.validation import OptimiserInputError

# kernels_dynamic's path numbers.
PATHS = (BUFFER_NO_TRADE, GREEDY_NO_PRIOR, GREEDY_THEN_BUFFER_NO_TRADE, GREEDY_THEN_PARTIAL_TRADE)

METHODS = ("dynamic", "greedy", "greedy+polish", "rounded+polish", "round", "none")


def optimise_positions(
    optimal,
    previous,
    per_contract_weight,
    covariance,
    cost_per_contract,
    cost_multiplier: float = 50.0,
    tracking_error_buffer: float = 0.01,
    min_positions=None,
    max_positions=None,
    method: str = "dynamic",
    instruments=None,
    *,
    validate: bool = True,
    backend: str = "auto",
) -> OptimiserResult:
    """Whole-contract positions tracking `optimal` at low cost (Carver, AFTS ch. 25).

    optimal              (N,) unrounded optimal positions x*, contracts
    previous             (N,) whole positions held x0, or None on the first day
    per_contract_weight  (N,) v > 0: notional of one contract / capital
    covariance           (N, N) Sigma of instrument returns, symmetric PSD
    cost_per_contract    (N,) c >= 0: cost of trading one contract / capital
    cost_multiplier      lambda, the shadow cost (50)
    tracking_error_buffer  B: no trade while TE(x0, target) stays under it (0.01)
    min_positions, max_positions  (N,) or scalar whole-contract bounds, +-inf or None
                         for none (see reduce_only_bounds, no_trade_bounds); a
                         fractional bound is moved inwards to a whole number.
    method               "dynamic" (default): several starts (rint(x*), x0, greedy, the
                         rounded continuous optimum, Babai's nearest plane), each improved
                         by +-1 and paired moves until none lowers f, the best kept, with
                         bounded work, then
                         Carver's buffering (see optimiser/dynamic.py);
                         "greedy": the SPEC's algorithm, pysystemtrade's results
                         (Carver's reference);
                         "greedy+polish": greedy, then +-1 moves on any instrument while
                         one lowers f (never a worse f than greedy before buffering);
                         "rounded+polish": the same +-1 moves starting from rint(x*)
                         instead of the greedy walk from zero (fast where positions are
                         thousands of shares), then the same buffering;
                         "round": rint(x*) clipped into the bounds, no buffering;
                         "none": x* clipped into the bounds, fractional (float64).
    instruments          names for error messages (default "instrument <index>")
    validate             True: also check the covariance (finite, symmetric, PSD;
                         ~0.15 ms at N=100, mostly a Cholesky). False: the caller
                         has checked it with check_covariance; all O(N) checks still run.
    backend              "auto" (numba, else numpy with a logged warning), "numba",
                         "numpy"; all give identical results.

    Returns an OptimiserResult; the positions always lie within the bounds.
    Raises OptimiserInputError (a ValueError) naming the instrument and the problem.
    """
    if method not in METHODS:
        raise OptimiserInputError(f"method {method!r}: expected one of {', '.join(METHODS)}")
    p = prepare_problem(
        optimal,
        previous,
        per_contract_weight,
        covariance,
        cost_per_contract,
        cost_multiplier,
        tracking_error_buffer,
        min_positions,
        max_positions,
        instruments,
        validate,
    )
    if method == "dynamic":
        driver = compiled_driver(backend)
        found = None if driver is None else optimise_compiled(p, driver)
        if found is not None:
            positions, te, cost, alpha, path, passes, moves = found
            positions.flags.writeable = False
            return OptimiserResult(positions, te, cost, float(alpha), PATHS[path], int(passes), int(moves))
    if method == "round":
        return _result(p, np.rint(p.x_star).astype(np.int64), 1.0, ROUND, 0, 0)
    if method == "none":
        return _result(p, p.x_star, 1.0, NONE, 0, 0)
    # SPEC step 1: close enough already, keep x0 without searching.
    if p.x0 is not None and tracking_error(p.x0, p.x_star, p.v, p.Sigma) < p.B:
        return _result(p, p.x0, 0.0, BUFFER_NO_TRADE, 0, 0)
    if method == "dynamic":
        found = dynamic_search(p, backend=backend)
    else:
        found = run_search(p, polish=(method == "greedy+polish"), backend=backend,
                           start="rounded" if method == "rounded+polish" else "zero")
    x, alpha, path = buffer_trade(p, found.x, zero_means_none=(method != "dynamic"))
    return _result(p, x, alpha, path, found.passes, found.polish_moves)


def _result(p: Problem, x, alpha: float, path: str, passes: int, moves: int) -> OptimiserResult:
    # Every path ends clipped into the bounds: x0 or the buffered trade may lie outside
    # them (pysystemtrade's issue #1656 is this clip missing).
    if p.bounded:
        x = np.clip(x, p.lo, p.hi)
    # A copy: x may be the caller's own array (previous, optimal), which must stay writeable.
    positions = np.array(x, dtype=np.float64 if path == NONE else np.int64)
    positions.flags.writeable = False
    return OptimiserResult(
        positions=positions,
        tracking_error=tracking_error(positions, p.x_star, p.v, p.Sigma),
        cost=trade_cost(positions, p.x0, p.c),
        adjustment_factor=float(alpha),
        path=path,
        passes=passes,
        polish_moves=moves,
    )
