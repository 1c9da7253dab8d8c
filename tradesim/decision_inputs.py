"""What the day's decision sizes from, compiled: per-contract weights, x*, costs, Sigma.

``Engine._decide`` turned the strategy's weights into the optimiser's inputs with a dozen numpy
calls on vectors, and ``Engine.covariance`` multiplied the week's shrunk correlation by the day's
volatilities with two more, each making a matrix of temporaries. On Jumbo's 123 instruments that
was some 40 microseconds a day of the loop's thread, which holds the GIL and sets the wall time.

The numbers are numpy's bit for bit: every element is the same operations in the same order (no
fastmath; numpy's error model, so a division by zero is an infinity, not an exception), and
np.nan_to_num's rule for the volatility is kept. The tests compare both paths.
"""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.numba_start import import_arraymath_without_blas

import_arraymath_without_blas()  # numba as the optimiser's loops import it, without scipy's BLAS
from numba import njit, types  # noqa: E402

_ROW = types.Array(types.float64, 1, "A", readonly=True)
_TABLE = types.Array(types.float64, 2, "A", readonly=True)
_FLAGS = types.Array(types.boolean, 2, "A", readonly=True)
_LARGEST = np.finfo(np.float64).max


@njit((types.int64, _TABLE, _TABLE, _FLAGS, _ROW, types.float64), cache=True, nogil=True, error_model="numpy")
def sizing_inputs(t, unit_notional, unit_cost, has_price, weights, capital):
    """(v, x*, cost per contract, tradable) on day t for ``capital`` (NaN: a wiped-out account).

    v = one unit's notional / capital where that is finite, else 0 (not sizable); x* = weight / v
    where both are finite, else 0; the cost per contract likewise; tradable: a price today and sizable.
    """
    n = weights.shape[0]
    v = np.empty(n)
    x_star = np.empty(n)
    cost = np.empty(n)
    tradable = np.empty(n, dtype=np.bool_)
    for j in range(n):
        per_unit = unit_notional[t, j] / capital
        sizable = np.isfinite(per_unit)
        v[j] = per_unit if sizable else 0.0
        w = weights[j]
        x_star[j] = w / (per_unit if sizable else 1.0) if sizable and np.isfinite(w) else 0.0
        cost[j] = unit_cost[t, j] / capital if sizable else 0.0
        tradable[j] = has_price[t, j] and sizable
    return v, x_star, cost, tradable


@njit((types.int64, _TABLE, _TABLE), cache=True, nogil=True, error_model="numpy")
def covariance(t, shrunk, vol):
    """shrunk x outer(vol, vol) on day t, vol as np.nan_to_num gives it (NaN 0, infinities the largest finite)."""
    n = vol.shape[1]
    filled = np.empty(n)
    for j in range(n):
        s = vol[t, j]
        if np.isnan(s):
            s = 0.0
        elif s == np.inf:
            s = _LARGEST
        elif s == -np.inf:
            s = -_LARGEST
        filled[j] = s
    sigma = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            sigma[i, j] = shrunk[i, j] * (filled[i] * filled[j])
    return sigma


@njit((types.float64[:, ::1], _TABLE, types.int64, types.int64, types.float64), cache=True, nogil=True,
      error_model="numpy")
def advance_correlation(S, weekly, first, stop, a):
    """WeeklyCorrelation's EWMA of weeks [first, stop) into S, in place: S *= 1 - a; S += a * outer(r, r)."""
    keep = 1 - a
    n = S.shape[0]
    for w in range(first, stop):
        for i in range(n):
            r_i = weekly[w, i]
            for j in range(n):
                S[i, j] = S[i, j] * keep + a * (r_i * weekly[w, j])
    return S


@njit((_TABLE,), cache=True, nogil=True, error_model="numpy")
def correlation_of(S):
    """WeeklyCorrelation._normalise: S / outer(sd, sd), 0 where not finite, 1 on the diagonal, within [-1, 1]."""
    n = S.shape[0]
    sd = np.empty(n)
    for i in range(n):
        sd[i] = np.sqrt(S[i, i])
    corr = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            c = S[i, j] / (sd[i] * sd[j])
            if not np.isfinite(c):
                c = 0.0
            if i == j:
                c = 1.0
            # np.clip's order: the larger of c and -1, then the smaller of that and 1.
            c = c if c > -1.0 else -1.0
            corr[i, j] = c if c < 1.0 else 1.0
    return corr
