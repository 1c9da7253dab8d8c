"""Splits and cash dividends applied to the book on their ex-date, as a broker does.

A split multiplies the holding by its ratio; in an account of whole shares the
fraction left over is sold at the ex-date's close and paid in cash ("cash in
lieu"), and orders waiting to fill are rescaled and rounded toward zero. A cash
dividend is owed on the shares held at the previous close (after today's split,
since dividends are quoted per share as traded on the ex-date); a short position
pays it. Tax withheld at source is its own negative flow, on dividends received.

Everything here is a function of arrays: the engine decides when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# Shares x ratio in floating point (3 x 1/3 = 0.9999999999999999): a product this close to a
# whole number is that number, so no phantom fraction is paid in cash.
WHOLE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CashFlowEntry:
    """One cash-flow row of the ledger (``cash_flows``): income, not an external flow."""

    instrument: int
    kind: str  # dividend | withholding | split_cash
    amount: float  # instrument currency, + into the account
    fx: float
    amount_base: float
    note: str
    pay_date: np.datetime64 | None = None  # the day the cash moves when not the ex-date


@dataclass(frozen=True)
class Split:
    positions: np.ndarray
    pending: np.ndarray
    flows: tuple[CashFlowEntry, ...]


def apply_splits(positions: np.ndarray, pending: np.ndarray, ratio: np.ndarray, close: np.ndarray,
                 multiplier: np.ndarray, fx: np.ndarray, whole: bool) -> Split:
    """Holdings and pending orders after today's splits; ``whole``: the account holds whole shares."""
    split = ratio != 1.0
    if not split.any():
        return Split(positions, pending, ())
    positions, pending = positions.copy(), pending.copy()
    flows = []
    for j in np.flatnonzero(split):
        held = _snap(positions[j] * ratio[j])
        kept = np.trunc(held) if whole else held
        fraction = held - kept
        positions[j] = kept
        order = _snap(pending[j] * ratio[j])
        pending[j] = np.trunc(order) if whole else order
        if fraction != 0.0:
            amount = float(fraction * close[j] * multiplier[j])
            flows.append(CashFlowEntry(int(j), "split_cash", amount, float(fx[j]), amount * float(fx[j]),
                                       f"{_ratio(ratio[j])} split: {fraction:g} share at {close[j]:g} paid in cash"))
    return Split(positions, pending, tuple(flows))


def dividends(positions: np.ndarray, per_share: np.ndarray, multiplier: np.ndarray, fx: np.ndarray,
              withholding_tax: float, pay_date: np.ndarray | None = None) -> tuple[CashFlowEntry, ...]:
    """The dividend (and withholding) rows owed on today's ex-dates for ``positions``."""
    flows = []
    for j in np.flatnonzero((per_share != 0.0) & (positions != 0.0)):
        gross = float(positions[j] * per_share[j] * multiplier[j])
        rate, pay = float(fx[j]), None if pay_date is None else pay_date[j]
        flows.append(CashFlowEntry(int(j), "dividend", gross, rate, gross * rate,
                                   f"{per_share[j]:g}/share on {positions[j]:g}", pay))
        if gross > 0 and withholding_tax > 0:
            tax = -gross * withholding_tax
            flows.append(CashFlowEntry(int(j), "withholding", tax, rate, tax * rate,
                                       f"{withholding_tax:.4g} of {gross:.2f} withheld", pay))
    return tuple(flows)


def _snap(shares: float) -> float:
    nearest = float(np.round(shares))
    return nearest if abs(shares - nearest) < WHOLE_TOLERANCE else float(shares)


def _ratio(r: float) -> str:
    """A split ratio as brokers write it: 4:1, 3:2, 1:10."""
    f = Fraction(float(r)).limit_denominator(1000)
    return f"{f.numerator}:{f.denominator}"
