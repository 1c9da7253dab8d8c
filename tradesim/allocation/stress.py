"""Stress scenarios: what a mix is worth after a named shock to each group of asset classes.

A scenario maps shock groups (Equity, Fixed Income, Alternatives) to returns. ``groups``
maps each asset class to its group; a class that is not mapped (and is not itself a
group of the scenario) falls into the scenario's remaining group: the one key no mapped
class uses, as the course does with "Alternatives" (everything that is neither equity
nor fixed income).

For a beta profile a scenario may instead be a migration matrix P_s (P_s[i, j]: the
probability a stock in beta category j ends in category i): the categories' weights
become P_s x and the portfolio returns r . (P_s x), the paper's stress test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The course's three scenarios, as returns by shock group.
COURSE_SCENARIOS: dict[str, dict[str, float]] = {
    "2008 Crisis": {"Equity": -0.35, "Fixed Income": 0.05, "Alternatives": -0.20},
    "Tech Bubble": {"Equity": -0.25, "Fixed Income": 0.08, "Alternatives": -0.10},
    "Inflation Spike": {"Equity": -0.15, "Fixed Income": -0.10, "Alternatives": 0.05},
}
SCENARIO_SETS = {"course": COURSE_SCENARIOS}

# The course's endowment: $500m over six classes; equity is the two equity classes, fixed
# income is fixed income, and the rest (real assets, private equity, hedge funds) are alternatives.
COURSE_ENDOWMENT: dict[str, float] = {
    "US Equity": 0.30, "International Equity": 0.20, "Fixed Income": 0.20,
    "Real Assets": 0.15, "Private Equity": 0.10, "Hedge Funds": 0.05,
}
COURSE_ENDOWMENT_VALUE = 500_000_000.0
COURSE_GROUPS: dict[str, str] = {"US Equity": "Equity", "International Equity": "Equity",
                                 "Fixed Income": "Fixed Income"}


@dataclass(frozen=True)
class StressResult:
    scenario: str
    portfolio_return: float  # a fraction: -0.225 is a 22.5% loss
    value_before: float
    value_after: float
    floor: float | None  # the value the portfolio must stay at or above, if a floor was given
    contributions: dict[str, float]  # each class's (or category's) part of the return

    @property
    def loss(self) -> float:
        return self.value_before - self.value_after

    @property
    def passed(self) -> bool | None:
        """Survives at or above the floor; None when no floor was set."""
        return None if self.floor is None else self.value_after >= self.floor


def class_groups(classes: Sequence[str], shocks: Mapping[str, float], groups: Mapping[str, str] | None,
                 scenario: str) -> dict[str, str]:
    """The shock group of each class under one scenario (see the module's docstring)."""
    groups = dict(groups or {})
    for cls, group in groups.items():
        if group not in shocks:
            raise ValueError(f"scenario {scenario!r}: class {cls!r} is mapped to group {group!r}, "
                             f"which the scenario does not shock (it has {', '.join(shocks)})")
    used = {g for g in groups.values()} | {c for c in classes if c in shocks and c not in groups}
    remaining = [g for g in shocks if g not in used]
    out = {}
    for cls in classes:
        if cls in groups:
            out[cls] = groups[cls]
        elif cls in shocks:
            out[cls] = cls
        elif len(remaining) == 1:
            out[cls] = remaining[0]
        else:
            left = ", ".join(remaining) if remaining else "none"
            raise ValueError(f"scenario {scenario!r}: class {cls!r} has no shock group, and the scenario has no "
                             f"single remaining group to put it in (unused groups: {left})")
    return out


def stress_test(weights: Mapping[str, float], scenarios: Mapping[str, Mapping[str, float] | Sequence],
                groups: Mapping[str, str] | None = None, value: float = 1.0, floor: float | None = None,
                category_returns: Sequence[float] | None = None) -> list[StressResult]:
    """Each scenario's portfolio return and value after; ``floor`` a fraction of ``value``
    (0.8: the portfolio must keep 80% of its value to pass).

    ``weights`` maps asset classes to weights; a scenario maps shock groups to returns, or
    is a migration matrix (a list of lists over the beta categories, in the order of
    ``weights``), for which ``category_returns`` gives each category's return.
    """
    if not weights:
        raise ValueError("weights: no asset classes")
    w = {cls: float(x) for cls, x in weights.items()}
    if not all(np.isfinite(x) for x in w.values()):
        raise ValueError("weights contain a NaN or infinity")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"value must be a positive number, got {value}")
    if floor is not None and not 0 <= floor <= 1:
        raise ValueError(f"floor is a fraction of the starting value (0.8 for 80%), got {floor}")
    out = []
    for name, scenario in scenarios.items():
        if isinstance(scenario, Mapping):
            where = class_groups(list(w), scenario, groups, name)
            parts = {cls: x * float(scenario[where[cls]]) for cls, x in w.items()}
        else:
            parts = _migration_parts(name, w, scenario, category_returns)
        r = float(sum(parts.values()))
        out.append(StressResult(name, r, value, value * (1 + r), None if floor is None else floor * value, parts))
    return out


def _migration_parts(name: str, w: dict[str, float], matrix, returns) -> dict[str, float]:  # noqa: ANN001
    from strategies.beta_profile import check_migration

    if returns is None:
        raise ValueError(f"scenario {name!r} is a migration matrix: give category_returns")
    r = np.asarray(returns, dtype=float)
    if r.shape != (len(w),):
        raise ValueError(f"category_returns has {r.size} values for {len(w)} categories")
    try:
        P = check_migration(matrix, len(w))
    except ValueError as exc:
        raise ValueError(f"scenario {name!r}: {exc}") from None
    after = P @ np.array(list(w.values()))  # the categories' weights after the scenario's migration
    return {cls: float(r[k] * after[k]) for k, cls in enumerate(w)}
