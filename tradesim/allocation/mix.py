"""A policy mix's statistics and its constraint checks.

Expected return E = w . r; volatility sigma = sqrt(w' S w) with S[i, j] = rho[i, j] s_i s_j;
Sharpe (E - rf) / sigma. Each class contributes w_i r_i to the return and
w_i (S w)_i / sigma to the risk (Euler's decomposition: the contributions sum to sigma).

Constraints are named limits over groups of classes ("equity" = the two equity classes):
a maximum or minimum on the group's total weight, or a minimum expected return. Each is
reported satisfied or violated with its figures, so a CIO sees by how much.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class MixStats:
    classes: tuple[str, ...]
    weights: np.ndarray
    expected_return: float
    volatility: float | None  # None without vols
    sharpe: float | None
    risk_free: float
    return_contributions: dict[str, float]  # w_i r_i: they sum to expected_return
    risk_contributions: dict[str, float] | None  # w_i (S w)_i / sigma: they sum to volatility


@dataclass(frozen=True)
class Limit:
    """``kind`` max/min: the total weight of ``classes`` at most / at least ``bound``;
    ``return``: the mix's expected return at least ``bound``."""

    name: str
    kind: Literal["max", "min", "return"]
    bound: float
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    limit: Limit
    value: float  # the group's weight, or the mix's expected return
    satisfied: bool

    @property
    def margin(self) -> float:
        """How far inside (+) or outside (-) the limit the mix is."""
        return self.limit.bound - self.value if self.limit.kind == "max" else self.value - self.limit.bound

    def describe(self) -> str:
        sign = {"max": "<=", "min": ">=", "return": ">="}[self.limit.kind]
        verdict = "satisfied" if self.satisfied else "violated"
        return f"{self.limit.name}: {self.value:.2%} {sign} {self.limit.bound:.2%}: {verdict} (margin {self.margin:+.2%})"


def _aligned(weights: Mapping[str, float], values: Mapping[str, float] | None, what: str) -> np.ndarray | None:
    if values is None:
        return None
    missing = [c for c in weights if c not in values]
    if missing:
        raise ValueError(f"{what}: no value for {', '.join(repr(c) for c in missing)}")
    out = np.array([float(values[c]) for c in weights])
    if not np.isfinite(out).all():
        raise ValueError(f"{what} contain a NaN or infinity")
    return out


def mix_stats(weights: Mapping[str, float], returns: Mapping[str, float], vols: Mapping[str, float] | None = None,
              correlations: Mapping[str, Mapping[str, float]] | Sequence[Sequence[float]] | None = None,
              risk_free: float = 0.0) -> MixStats:
    """Expected return, volatility, Sharpe over ``risk_free`` and each class's contributions.

    ``correlations``: a matrix in the order of ``weights``, or nested mappings
    class -> class -> rho (a missing pair is read from its mirror; the diagonal is 1);
    none means uncorrelated classes.
    """
    classes = tuple(weights)
    if not classes:
        raise ValueError("weights: no asset classes")
    w = _aligned(weights, weights, "weights")
    r = _aligned(weights, returns, "returns")
    s = _aligned(weights, vols, "vols")
    contrib_r = {c: float(w[k] * r[k]) for k, c in enumerate(classes)}
    e = float(w @ r)
    if s is None:
        if correlations is not None:
            raise ValueError("correlations need vols")
        return MixStats(classes, w, e, None, None, risk_free, contrib_r, None)
    if (s < 0).any():
        raise ValueError("vols must be non-negative")
    rho = correlation_matrix(classes, correlations)
    S = rho * np.outer(s, s)
    sigma = float(np.sqrt(max(w @ S @ w, 0.0)))
    marginal = S @ w
    contrib_s = {c: float(w[k] * marginal[k] / sigma) if sigma > 0 else 0.0 for k, c in enumerate(classes)}
    sharpe = (e - risk_free) / sigma if sigma > 0 else None
    return MixStats(classes, w, e, sigma, sharpe, risk_free, contrib_r, contrib_s)


def correlation_matrix(classes: Sequence[str], correlations) -> np.ndarray:  # noqa: ANN001
    k = len(classes)
    if correlations is None:
        return np.eye(k)
    if isinstance(correlations, Mapping):
        rho = np.eye(k)
        for i, a in enumerate(classes):
            for j, b in enumerate(classes):
                if i != j:
                    x = correlations.get(a, {}).get(b, correlations.get(b, {}).get(a))
                    if x is None:
                        raise ValueError(f"correlations: no value for {a!r} and {b!r}")
                    rho[i, j] = float(x)
    else:
        rho = np.asarray(correlations, dtype=float)
        if rho.shape != (k, k):
            raise ValueError(f"correlations must be {k} x {k}, got shape {rho.shape}")
    if not np.allclose(rho, rho.T) or not np.allclose(np.diag(rho), 1) or (np.abs(rho) > 1 + 1e-12).any():
        raise ValueError("correlations must be symmetric with ones on the diagonal and values in [-1, 1]")
    return rho


def check_constraints(weights: Mapping[str, float], limits: Sequence[Limit],
                      returns: Mapping[str, float] | None = None) -> list[Check]:
    """Each limit satisfied or violated, with the figure it was judged on."""
    out = []
    for limit in limits:
        if limit.kind == "return":
            if returns is None:
                raise ValueError(f"limit {limit.name!r} is a return target: give returns")
            value = float(_aligned(weights, weights, "weights") @ _aligned(weights, returns, "returns"))
            ok = value >= limit.bound - 1e-12
        else:
            unknown = [c for c in limit.classes if c not in weights]
            if unknown:
                raise ValueError(f"limit {limit.name!r}: unknown class {unknown[0]!r} "
                                 f"(classes: {', '.join(weights)})")
            if not limit.classes:
                raise ValueError(f"limit {limit.name!r}: name the classes it limits")
            value = float(sum(weights[c] for c in limit.classes))
            ok = value <= limit.bound + 1e-12 if limit.kind == "max" else value >= limit.bound - 1e-12
        out.append(Check(limit, value, ok))
    return out


# The course's endowment constraints. Liquidity is read as fixed income, the endowment's only
# class that is both liquid and defensive (it holds no cash). The return target is 4%
# spending + 2.5% inflation.
COURSE_LIMITS = (
    Limit("max equity", "max", 0.70, ("US Equity", "International Equity")),
    Limit("min liquidity", "min", 0.20, ("Fixed Income",)),
    Limit("max alternatives", "max", 0.30, ("Real Assets", "Private Equity", "Hedge Funds")),
    Limit("return target", "return", 0.04 + 0.025),
)
