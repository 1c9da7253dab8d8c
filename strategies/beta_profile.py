"""Beta profiles with migration (Alexakis, Balios and Stavraki, "A dynamic approach for the
evaluation of portfolio performance under risk conditions").

Stocks fall into K beta categories, each with expected return r_k, beta b_k
and volatility s_k, correlated by rho. The manager chooses an allocation x
over the categories now (x >= 0, sum 1); over the period stocks migrate
between categories, P[i, j] being the probability that a stock in category j
ends in category i, so the weights actually held at the end are w = P x.
The profile is the allocation that

    maximises r . w   subject to   beta_low <= b . w <= beta_high,  w = P x,  x >= 0,  sum x = 1,

a linear programme (scipy's HiGHS). Its volatility is sqrt(w' S w) with
S[i, j] = rho[i, j] s_i s_j. Without migration P is the identity and w = x.

As a replay strategy (``BetaProfile``): each quarter end, estimate every
stock's beta against the index, cut the stocks into low/medium/high beta
thirds, estimate P from the migrations seen so far and r, s, rho from the
categories' history (``strategies.beta_categories``), solve for x, and hold
x_k split equally among category k's stocks until the next quarter end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from strategies.base import StrategyContext, VectorStrategy
from strategies.beta_categories import QuarterInputs, quarterly_inputs

log = logging.getLogger(__name__)

MIGRATION_TOLERANCE = 1e-8  # columns of P are probabilities: they must sum to 1 to this precision
BAND_TOLERANCE = 1e-9  # the LP solver's feasibility slack, when checking the result


@dataclass(frozen=True)
class ProfileResult:
    weights: np.ndarray  # w = P x: category weights after migration
    allocation: np.ndarray  # x: what the manager buys now
    expected_return: float  # r . w
    beta: float  # b . w
    volatility: float | None  # sqrt(w' S w); None without vols
    # The LP's dual values (shadow prices), the Lagrangian's multipliers: how much the maximum
    # return r . w moves per unit of each constraint's bound. Zero where a bound does not bind.
    shadow_beta_high: float = 0.0  # d(max return) / d(beta_high) >= 0
    shadow_beta_low: float = 0.0  # d(max return) / d(beta_low) <= 0
    shadow_budget: float = 0.0  # d(max return) / d(sum x), the value of one more unit invested


def _vector(x, name: str, k: int | None = None) -> np.ndarray:  # noqa: ANN001
    v = np.asarray(x, dtype=float)
    if v.ndim != 1 or len(v) == 0:
        raise ValueError(f"{name} must be a non-empty list of numbers")
    if k is not None and len(v) != k:
        raise ValueError(f"{name} has {len(v)} values for {k} categories")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} contains a NaN or infinity")
    return v


def _matrix(x, name: str, k: int) -> np.ndarray:  # noqa: ANN001
    m = np.asarray(x, dtype=float)
    if m.shape != (k, k):
        raise ValueError(f"{name} must be {k} x {k}, got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name} contains a NaN or infinity")
    return m


def check_migration(migration, k: int) -> np.ndarray:  # noqa: ANN001
    P = _matrix(migration, "migration", k)
    if (P < 0).any():
        raise ValueError("migration probabilities must be non-negative")
    sums = P.sum(axis=0)
    bad = np.flatnonzero(np.abs(sums - 1) > MIGRATION_TOLERANCE)
    if len(bad):
        raise ValueError(f"migration column {bad[0]} sums to {sums[bad[0]]:.6g}, not 1 "
                         "(P[i, j] is the probability of moving from j to i)")
    return P


def covariance(vols, correlations, k: int) -> np.ndarray:  # noqa: ANN001
    """S[i, j] = rho[i, j] s_i s_j; no correlations given means uncorrelated categories."""
    s = _vector(vols, "vols", k)
    if (s < 0).any():
        raise ValueError("vols must be non-negative")
    rho = np.eye(k) if correlations is None else _matrix(correlations, "correlations", k)
    if not np.allclose(rho, rho.T) or not np.allclose(np.diag(rho), 1) or (np.abs(rho) > 1 + 1e-12).any():
        raise ValueError("correlations must be symmetric with ones on the diagonal and values in [-1, 1]")
    return rho * np.outer(s, s)


def reachable_betas(betas, migration=None) -> tuple[float, float]:  # noqa: ANN001
    """The lowest and highest beta b . (P x) any allocation x >= 0, sum 1, reaches: min and max of P'b."""
    b = np.asarray(betas, dtype=float)
    b_x = b if migration is None else np.asarray(migration, dtype=float).T @ b
    return float(b_x.min()), float(b_x.max())


def optimise_profile(returns, betas, beta_low: float, beta_high: float, migration=None, vols=None,  # noqa: ANN001
                     correlations=None) -> ProfileResult:  # noqa: ANN001
    """The maximum-return allocation whose beta after migration lies in [beta_low, beta_high].

    An infeasible band (no allocation reaches a beta inside it) is a ValueError
    that says which betas are reachable.
    """
    r = _vector(returns, "returns")
    k = len(r)
    b = _vector(betas, "betas", k)
    if not (np.isfinite(beta_low) and np.isfinite(beta_high)) or beta_low > beta_high:
        raise ValueError(f"beta band [{beta_low}, {beta_high}] must be two numbers, low <= high")
    P = np.eye(k) if migration is None else check_migration(migration, k)
    if vols is None and correlations is not None:
        raise ValueError("correlations need vols")
    S = None if vols is None else covariance(vols, correlations, k)

    # In terms of x: return (P'r).x, beta (P'b).x.
    r_x, b_x = P.T @ r, P.T @ b
    lo, hi = reachable_betas(b, P)
    if beta_high < lo or beta_low > hi:
        after = " after migration" if migration is not None else ""
        raise ValueError(f"beta band [{beta_low:g}, {beta_high:g}] is infeasible: allocations reach betas "
                         f"from {lo:.4g} to {hi:.4g}{after}")
    lp = dict(A_ub=np.vstack([b_x, -b_x]), b_ub=[beta_high, -beta_low], A_eq=np.ones((1, k)), b_eq=[1.0],
              bounds=[(0, None)] * k, method="highs")
    res = linprog(-r_x, **lp)
    if res.status == 2:
        # The band meets the reachable range (checked above), so the problem is feasible: HiGHS's
        # presolve can still call a band a hair wide at the range's edge infeasible (seen with
        # [0.75, 0.75 + 6e-8] where only one category has beta 0.75). Solve it without presolve.
        res = linprog(-r_x, **lp, options={"presolve": False})
    if res.status != 0:
        raise ArithmeticError(f"beta profile: the LP solver failed: {res.message}")
    x = np.clip(res.x, 0.0, None)
    x /= x.sum()
    w = P @ x
    # HiGHS reports d(min -r.x) / d(bound); the problem maximises, so the signs turn. The lower
    # band is written -b.x <= -beta_low, so raising beta_low lowers that bound.
    upper, lower = res.ineqlin.marginals
    return ProfileResult(w, x, float(r @ w), float(b @ w), None if S is None else float(np.sqrt(max(w @ S @ w, 0.0))),
                         float(-upper), float(lower), float(-res.eqlin.marginals[0]))


@dataclass(frozen=True)
class QuarterAllocation:
    date: object  # pd.Timestamp
    inputs: QuarterInputs
    result: ProfileResult


class BetaProfile(VectorStrategy):
    def __init__(self, index: str, beta_low: float = 0.9, beta_high: float = 1.1, categories: int = 3,
                 migration: bool = True, window: int = 252, min_obs: int = 200, min_days: int = 120) -> None:
        if categories < 2:
            raise ValueError(f"categories must be at least 2, got {categories}")
        if not beta_low <= beta_high:
            raise ValueError(f"beta_low {beta_low} is above beta_high {beta_high}")
        if not 2 <= min_obs <= window:
            raise ValueError(f"min_obs must be between 2 and window ({window}), got {min_obs}")
        if min_days < 2:
            raise ValueError(f"min_days must be at least 2, got {min_days}")
        self.index, self.beta_low, self.beta_high = index, float(beta_low), float(beta_high)
        self.k, self.use_migration = int(categories), bool(migration)
        self.window, self.min_obs, self.min_days = int(window), int(min_obs), int(min_days)

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        m = ctx.market
        if self.index not in m.symbols:
            raise ValueError(f"beta_profile: index {self.index!r} is not one of the config's instruments")
        j_index = m.symbols.index(self.index)
        stocks = np.array([s != self.index for s in m.symbols])
        stock_returns = ctx.returns[:, stocks]
        quarters = quarterly_inputs(m.dates, stock_returns, ctx.returns[:, j_index], self.k, self.window,
                                    self.min_obs, self.min_days)
        self.quarters: list[QuarterAllocation] = []
        weights = np.full((m.n_days, m.n_instruments), np.nan)  # no view until the first allocation
        ends = [q.t for q in quarters] + [m.n_days]
        for q, stop in zip(quarters, ends[1:]):
            try:
                result = optimise_profile(q.returns, q.category_betas, self.beta_low, self.beta_high,
                                          q.migration if self.use_migration else None, q.vols, q.correlations)
            except ValueError as exc:
                raise ValueError(f"beta_profile on {m.dates[q.t].date()}: {exc}") from None
            self.quarters.append(QuarterAllocation(m.dates[q.t], q, result))
            log.info("beta profile %s: x=%s w=%s r.w=%.4f b.w=%.3f", m.dates[q.t].date(),
                     np.round(result.allocation, 4), np.round(result.weights, 4), result.expected_return,
                     result.beta, extra={"beta_profile": self.quarters[-1]})
            row = np.zeros(m.n_instruments)
            held = np.zeros(int(stocks.sum()))
            for c in range(self.k):
                members = q.categories == c
                held[members] = result.allocation[c] / members.sum()
            row[stocks] = held
            weights[q.t:stop] = row
        return weights
