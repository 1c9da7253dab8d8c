"""Brinson attribution: why a portfolio beat or lagged its benchmark mix.

Per period t and segment s (an asset class, sector, sleeve), with portfolio
weights wp and segment returns rp, benchmark weights wb and returns rb, and
the benchmark's total return Rb = sum_s wb rb:

    allocation   = (wp - wb) x (rb - Rb)      Brinson-Fachler ("bf", the default)
                 = (wp - wb) x rb             Brinson-Hood-Beebower ("bhb")
    selection    = wb x (rp - rb)
    interaction  = (wp - wb) x (rp - rb)

Summed over segments, allocation + selection + interaction = Rp - Rb in each
period under either rule (BF only moves allocation between segments: it
credits overweighting a segment that beat the whole benchmark, not merely one
with a positive return).

Periods do not add: the total over periods is the compounded active return
prod(1 + Rp) - prod(1 + Rb). The linked totals use Carino's logarithmic
smoothing, which scales each period's effects by k_t / K,
    k_t = (ln(1 + Rp_t) - ln(1 + Rb_t)) / (Rp_t - Rb_t)   (1 / (1 + Rp_t) when equal)
    K   = (ln(1 + Rp) - ln(1 + Rb)) / (Rp - Rb)          over the whole span,
so that the linked effects sum exactly to the compounded active return. The
plain sums over periods are reported too.

A segment the portfolio does not hold (wp = 0) may have rp NaN: its return is
then taken as the benchmark's, so it shows allocation only. NaN anywhere else
is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

WEIGHT_SUM_TOLERANCE = 1e-6
EFFECTS = ("allocation", "selection", "interaction")


@dataclass(frozen=True)
class Attribution:
    allocation: pd.DataFrame  # (period, segment)
    selection: pd.DataFrame
    interaction: pd.DataFrame
    portfolio_return: pd.Series  # per period
    benchmark_return: pd.Series
    linked: pd.DataFrame  # (segment, effect): Carino-linked over all periods
    summed: pd.DataFrame  # (segment, effect): plain sum over periods

    @property
    def active_return(self) -> pd.Series:
        return self.portfolio_return - self.benchmark_return

    def by_period(self) -> pd.DataFrame:
        """Per period: the three effects summed over segments, and the active return."""
        out = pd.DataFrame({e: getattr(self, e).sum(axis=1) for e in EFFECTS})
        out["total"] = out.sum(axis=1)
        out["active_return"] = self.active_return
        return out

    def total(self) -> pd.Series:
        """The linked effects over all periods and segments; ``total`` is the compounded active return."""
        s = self.linked.sum(axis=0)
        s["total"] = s.sum()
        return s

    @property
    def compounded_active_return(self) -> float:
        return float(np.prod(1 + self.portfolio_return) - np.prod(1 + self.benchmark_return))


def _frame(x, name: str, like: pd.DataFrame | None) -> pd.DataFrame:  # noqa: ANN001
    if isinstance(x, pd.Series):
        x = x.to_frame().T
    if isinstance(x, pd.DataFrame):
        frame = x.astype(float)
    else:
        arr = np.asarray(x, dtype=float)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2:
            raise ValueError(f"{name} must be (periods, segments), got {arr.ndim} dimensions")
        if like is not None and arr.shape != like.shape:
            raise ValueError(f"{name} has shape {arr.shape}, the portfolio weights {like.shape}")
        frame = pd.DataFrame(arr) if like is None else pd.DataFrame(arr, index=like.index, columns=like.columns)
    if like is not None:
        if frame.shape != like.shape:
            raise ValueError(f"{name} has shape {frame.shape}, the portfolio weights {like.shape}")
        if not (frame.index.equals(like.index) and frame.columns.equals(like.columns)):
            raise ValueError(f"{name} is not labelled like the portfolio weights (same periods and segments)")
    return frame


def _check_weights(w: pd.DataFrame, name: str) -> None:
    if not np.isfinite(w.to_numpy()).all():
        raise ValueError(f"{name} contain a NaN or infinity")
    sums = w.sum(axis=1)
    bad = (sums - 1.0).abs() > WEIGHT_SUM_TOLERANCE
    if bad.any():
        raise ValueError(f"{name} in period {sums.index[bad.to_numpy()][0]!r} sum to {sums[bad].iloc[0]:.6g}, not 1")


def _carino(rp: np.ndarray | float, rb: np.ndarray | float) -> np.ndarray:
    rp, rb = np.asarray(rp, dtype=float), np.asarray(rb, dtype=float)
    if ((1 + rp) <= 0).any() or ((1 + rb) <= 0).any():
        raise ValueError("a return of -100% or worse cannot be linked")
    diff = rp - rb
    with np.errstate(invalid="ignore", divide="ignore"):
        k = (np.log1p(rp) - np.log1p(rb)) / diff
    # The limit of the ratio as rp -> rb.
    return np.where(np.abs(diff) < 1e-15, 1.0 / (1.0 + rp), k)


def brinson(
    portfolio_weights,  # noqa: ANN001  (period, segment) frame or array
    portfolio_returns,  # noqa: ANN001
    benchmark_weights,  # noqa: ANN001
    benchmark_returns,  # noqa: ANN001
    method: Literal["bf", "bhb"] = "bf",
) -> Attribution:
    """Allocation, selection and interaction per period and segment, and linked over all periods.

    Inputs are DataFrames indexed by period with one column per segment (all
    labelled alike), or arrays of shape (periods, segments); a 1-D input is one
    period. Weights are fractions of each side's value and sum to 1 per period.
    """
    if method not in ("bf", "bhb"):
        raise ValueError(f"method must be 'bf' (Brinson-Fachler) or 'bhb' (Brinson-Hood-Beebower), got {method!r}")
    wp = _frame(portfolio_weights, "portfolio weights", None)
    rp = _frame(portfolio_returns, "portfolio returns", wp)
    wb = _frame(benchmark_weights, "benchmark weights", wp)
    rb = _frame(benchmark_returns, "benchmark returns", wp)
    if wp.empty:
        raise ValueError("no periods to attribute")
    _check_weights(wp, "portfolio weights")
    _check_weights(wb, "benchmark weights")
    if not np.isfinite(rb.to_numpy()).all():
        raise ValueError("benchmark returns contain a NaN or infinity")
    unheld = rp.isna() & (wp == 0)
    if (rp.isna() & ~unheld).any().any() or not np.isfinite(rp.fillna(0).to_numpy()).all():
        raise ValueError("portfolio returns contain a NaN or infinity in a segment the portfolio holds")
    rp = rp.mask(unheld, rb)

    Rp = (wp * rp).sum(axis=1)
    Rb = (wb * rb).sum(axis=1)
    active_w = wp - wb
    allocation = active_w * (rb.sub(Rb, axis=0) if method == "bf" else rb)
    selection = wb * (rp - rb)
    interaction = active_w * (rp - rb)

    k_t = _carino(Rp.to_numpy(), Rb.to_numpy())
    K = float(_carino(np.prod(1 + Rp) - 1, np.prod(1 + Rb) - 1))
    scale = pd.Series(k_t / K, index=wp.index)
    linked = pd.DataFrame({e: frame.mul(scale, axis=0).sum(axis=0)
                           for e, frame in zip(EFFECTS, (allocation, selection, interaction))})
    summed = pd.DataFrame({e: frame.sum(axis=0) for e, frame in zip(EFFECTS, (allocation, selection, interaction))})
    return Attribution(allocation, selection, interaction, Rp, Rb, linked, summed)
