"""The rebalancing planner: one portfolio, one day.

Given what each asset is worth now and the policy mix, say how far the book has
drifted, whether that is enough to act on, and which trades bring it back.
The same planner answers the CLI (``tradesim rebalance``) and an allocator's
question in Python; replays reach the same decision through the configured
trigger and the optimiser, which then picks whole shares.

Rules (all amounts in the portfolio's currency):
- weight_i = value_i / total value; drift_i = weight_i - target_i;
- a rebalance is needed when max |drift| exceeds ``threshold`` (strictly), or
  when ``force`` is set (a calendar review trades whatever the drift);
- each trade moves an asset to target_i x total value: amount = |target value -
  value|, BUY when the target is above the value; a trade of ``min_trade`` or
  less is skipped (not worth a ticket), so the kept trades need not net to zero;
- ``mode = "band"`` is the partial rebalance: only assets outside the band
  (|drift| > threshold) trade, each to the band's nearer edge (target +- threshold),
  and the cash those trades free or need is spread over the other assets in
  proportion to their targets (over all assets if none is inside the band);
- each trade costs amount x ``cost_rate`` + ``fixed_cost`` (the course's "$10 + 0.1%");
  the estimated cost is their sum. The plan does not shrink the targets to pay for
  its own costs;
- with ``prices``, each trade also gives its quantity in whole shares (the amount
  over the price, rounded to the nearest share) and that quantity's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

# Targets are entered by hand or read from files: allow for rounding in the last digits.
TARGET_SUM_TOLERANCE = 1e-6
# Weights are ratios of floats: 15,000 / 100,000 - 0.2 is -0.05000000000000002. A drift or
# trade within this fraction of the portfolio is rounding, not a position.
ROUNDING = 1e-12


@dataclass(frozen=True)
class Trade:
    asset: str
    side: Literal["BUY", "SELL"]
    amount: float
    cost: float = 0.0
    quantity: int | None = None  # whole shares, where a price was given
    price: float | None = None


@dataclass(frozen=True)
class RebalancePlan:
    total_value: float
    values: dict[str, float]
    weights: dict[str, float]  # current
    targets: dict[str, float]
    drift: dict[str, float]  # current weight minus target
    max_drift: float  # max |drift|
    threshold: float
    rebalance_needed: bool
    forced: bool
    trades: tuple[Trade, ...]
    turnover: float
    estimated_cost: float
    mode: str = "full"

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(self.values)

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        return {
            "total_value": self.total_value,
            "threshold": self.threshold,
            "max_drift": self.max_drift,
            "rebalance_needed": self.rebalance_needed,
            "forced": self.forced,
            "mode": self.mode,
            "assets": [
                {"asset": a, "value": self.values[a], "weight": self.weights[a], "target": self.targets[a],
                 "drift": self.drift[a]}
                for a in self.assets
            ],
            "trades": [{"asset": t.asset, "side": t.side, "amount": t.amount, "cost": t.cost, "quantity": t.quantity,
                        "price": t.price} for t in self.trades],
            "turnover": self.turnover,
            "estimated_cost": self.estimated_cost,
        }


def _non_negative(name: str, x: float) -> float:
    x = float(x)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a non-negative number, got {x}")
    return x


def _checked(name: str, mapping: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for asset, x in dict(mapping).items():
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"{name} for {asset!r} is not a number: {x}")
        if x < 0:
            raise ValueError(f"{name} for {asset!r} is negative ({x}): the planner is for long-only mixes")
        out[str(asset)] = x
    if not out:
        raise ValueError(f"no {name}s given")
    return out


def plan_rebalance(
    values: Mapping[str, float],
    targets: Mapping[str, float],
    threshold: float = 0.05,
    min_trade: float = 0.0,
    cost_rate: float = 0.0,
    fixed_cost: float = 0.0,
    force: bool = False,
    mode: Literal["full", "band"] = "full",
    prices: Mapping[str, float] | None = None,
) -> RebalancePlan:
    """Drift, the rebalance decision and the trades for one portfolio on one day.

    ``values``: market value per asset (a dict or pandas Series); ``targets``:
    target weight per asset, summing to 1. An asset with a target but no value
    is a new position (value 0); an asset held without a target is an error,
    since selling it all silently is rarely what was meant (give it target 0).
    """
    held = _checked("value", values)
    wanted = _checked("target", targets)
    untargeted = [a for a in held if a not in wanted]
    if untargeted:
        raise ValueError(f"asset {untargeted[0]!r} is held but has no target (give it target 0 to sell it)")
    target_sum = sum(wanted.values())
    if abs(target_sum - 1.0) > TARGET_SUM_TOLERANCE:
        raise ValueError(f"targets sum to {target_sum:.6g}, not 1")
    threshold = _non_negative("threshold", threshold)
    min_trade = _non_negative("min_trade", min_trade)
    cost_rate = _non_negative("cost_rate", cost_rate)
    fixed_cost = _non_negative("fixed_cost", fixed_cost)

    assets = list(held) + [a for a in wanted if a not in held]
    v = np.array([held.get(a, 0.0) for a in assets])
    w_target = np.array([wanted[a] for a in assets])
    total = float(v.sum())
    if total <= 0:
        raise ValueError("the portfolio is worth nothing: total value must be positive")
    w = v / total
    drift = w - w_target
    max_drift = float(np.max(np.abs(drift)))
    needed = bool(force or max_drift > threshold)

    trades: list[Trade] = []
    if mode not in ("full", "band"):
        raise ValueError(f"mode must be 'full' or 'band', not {mode!r}")
    price = _checked("price", prices) if prices is not None else {}
    if needed:
        goal = w_target if mode == "full" else band_edges(w, w_target, threshold)
        delta = goal * total - v
        for asset, d in zip(assets, delta):
            amount = abs(float(d))
            # min_trade >= 0, so a zero amount never trades; nor does rounding noise.
            if amount > max(min_trade, total * ROUNDING):
                p = price.get(asset)
                quantity = None if not p else int(round(amount / p))
                trades.append(Trade(asset, "BUY" if d > 0 else "SELL", amount, amount * cost_rate + fixed_cost,
                                    quantity, p))
    turnover = float(sum(t.amount for t in trades))
    return RebalancePlan(
        total_value=total,
        values=dict(zip(assets, v.tolist())),
        weights=dict(zip(assets, w.tolist())),
        targets=dict(zip(assets, w_target.tolist())),
        drift=dict(zip(assets, drift.tolist())),
        max_drift=max_drift,
        threshold=threshold,
        rebalance_needed=needed,
        forced=bool(force),
        trades=tuple(trades),
        turnover=turnover,
        estimated_cost=turnover * cost_rate + fixed_cost * len(trades),
        mode=mode,
    )


def band_edges(w: np.ndarray, target: np.ndarray, band: float) -> np.ndarray:
    """Weights after a partial rebalance: assets outside the band to its nearer edge, the
    difference spread over the assets inside it in proportion to their targets."""
    outside = np.abs(w - target) > band + ROUNDING
    goal = np.where(outside, np.clip(w, target - band, target + band), w)
    spare = 1.0 - goal.sum()
    takers = ~outside if (~outside).any() and target[~outside].sum() > 0 else np.ones_like(outside)
    share = np.where(takers, target, 0.0)
    return goal + spare * share / share.sum()
