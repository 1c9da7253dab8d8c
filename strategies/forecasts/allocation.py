"""Instrument weights and the instrument diversification multiplier (IDM), AFTS style.

Weights: equal across asset classes, then equal within each class, over the instruments
that are live that day (a forecast and a volatility estimate), so an instrument whose
data starts later joins when it can trade and the others make room.

IDM = 1 / sqrt(w' R+ w), R the weekly-return correlation usable on day t (weeks before
t's week) with negatives floored at zero; capped (2.5 in AFTS).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from strategies.buy_and_hold_risk_parity import diversification_multiplier
from tradesim.estimates import WeeklyCorrelation


def asset_class_weights(live: np.ndarray, asset_class: Sequence[str]) -> np.ndarray:
    """(T, N) weights summing to 1 on each day with a live instrument (else all zero)."""
    classes = np.asarray(asset_class)
    per_class = {c: live[:, classes == c].sum(axis=1) for c in np.unique(classes)}
    n_classes = sum((n > 0).astype(float) for n in per_class.values())
    members = np.column_stack([per_class[c] for c in classes])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(live, 1.0 / (n_classes[:, None] * members), 0.0)


def instrument_diversification(weights: np.ndarray, correlation: WeeklyCorrelation, cap: float) -> np.ndarray:
    """(T,) IDM; recomputed only when the weights or the week's correlation change."""
    out = np.ones(len(weights))
    last_w, last_corr, last = None, None, 1.0
    for t in range(len(weights)):
        corr = correlation.at(t)
        w = weights[t]
        if corr is not last_corr or last_w is None or not np.array_equal(w, last_w):
            last = diversification_multiplier(w, corr, cap) if w.sum() > 0 else 1.0
            last_w, last_corr = w, corr
        out[t] = last
    return out
