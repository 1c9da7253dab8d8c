"""A day's clearing compiled: yesterday's orders filled, settled and costed, the book marked.

``clear_day`` does in one call what the engine's numpy path does in some sixty (``Engine._fill``,
``_settle``, ``_roll_costs`` and ``tradesim.accounting``'s variation margin, holdings value and
exposure): on Jumbo's 123 instruments those calls, each a few microseconds of Python holding
the GIL, were about a tenth of the loop's thread. The loop's thread is the replay's critical
path, so what it stops doing is wall time saved.

Every number is the numpy path's, bit for bit: each element is the same operations in the same
order (no fastmath, so no fused multiply-add), ``np.maximum``'s NaN rule is kept, and every sum
is numpy's own pairwise summation (``_numpy_sum``), not a plain running total. Tests compare the
two paths on random days, NaN and missing prices, futures and stocks included.

Days with splits or dividends, the second fill of same-close orders and runs whose optimiser
does not load numba keep the numpy path.
"""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.numba_start import import_arraymath_without_blas

import_arraymath_without_blas()  # numba as the optimiser's loops import it, without scipy's BLAS
from numba import njit, types  # noqa: E402

# Rows of the fills table clear_day returns, one column per fill.
QUANTITY, PRICE, NOTIONAL, COMMISSION, SLIPPAGE, FX, NOTIONAL_BASE, COST_BASE = range(8)
# Rows of the cost table's columns (Engine._cost_columns): CostTable's fields in order.
PER_UNIT, PCT, MINIMUM, HALF_SPREAD, HALF_SPREAD_BPS, FIXED = range(6)
# numpy's pairwise summation: a plain loop below 8 elements, 8 running sums up to 128, halves above.
_PAIRWISE_BLOCK = 128


@njit(cache=True, nogil=True)
def _block(a, lo, n):
    """numpy's pairwise_sum of a[lo:lo+n] for n <= 128 (numpy/_core/src/umath/loops_utils.h.src)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    whole = n - n % 8
    while i < whole:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise(a, lo, n):
    """numpy's pairwise_sum of a[lo:lo+n]: above 128 elements the sum of two halves (the first a
    multiple of 8), recursively. Walked with a stack of its own: numba's cache cannot load a
    recursive function (the process crashes)."""
    if n <= _PAIRWISE_BLOCK:
        return _block(a, lo, n)
    los, ns = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)  # halving: depth < 64
    left, has_left = np.empty(64), np.zeros(64, dtype=np.bool_)
    top = 0
    los[0], ns[0] = lo, n
    while True:
        if ns[top] > _PAIRWISE_BLOCK:  # split: its first half next
            half = ns[top] // 2
            half -= half % 8
            top += 1
            los[top], ns[top], has_left[top] = los[top - 1], half, False
            continue
        value = _block(a, los[top], ns[top])
        top -= 1
        while top >= 0 and has_left[top]:  # second halves done: their sums
            value = left[top] + value
            top -= 1
        if top < 0:
            return value
        left[top], has_left[top] = value, True  # a first half done: the second next
        half = ns[top] // 2
        half -= half % 8
        top += 1
        los[top], ns[top], has_left[top] = los[top - 1] + half, ns[top - 1] - half, False


@njit(cache=True, nogil=True)
def _numpy_sum(a):
    """``float(a.sum())`` of a contiguous float64 vector, bit for bit (the reduction starts from 0.0)."""
    return 0.0 + _pairwise(a, 0, a.shape[0])


@njit(cache=True, nogil=True)
def _maximum(a, b):
    """np.maximum: the first NaN wins, else the larger (a on ties)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@njit(cache=True, nogil=True)
def _commission(costs, j, q, price, mult):
    """CostTable.commission for instrument j: ``q`` is |quantity|."""
    if not q > 0:
        return 0.0
    notional = q * abs(price) * mult
    return costs[FIXED, j] + _maximum(_maximum(costs[PER_UNIT, j] * q, costs[PCT, j] * notional), costs[MINIMUM, j])


@njit(cache=True, nogil=True)
def _slippage(costs, j, q, price, mult):
    """CostTable.slippage for instrument j: ``q`` is |quantity|."""
    return q * mult * (costs[HALF_SPREAD, j] + abs(price) * costs[HALF_SPREAD_BPS, j] / 1e4)


# Tables of any layout, read-only or not (the market's come C-ordered, Fortran-ordered, strided,
# some read-only): one compiled version, loaded from numba's cache when this module is imported.
_TABLE, _ROW = types.Array(types.float64, 2, "A", readonly=True), types.Array(types.float64, 1, "A", readonly=True)
_FLAGS, _KINDS = types.Array(types.boolean, 2, "A", readonly=True), types.Array(types.boolean, 1, "A", readonly=True)
SIGNATURE = (types.int64, _ROW, _ROW, types.boolean, _TABLE, _TABLE, _FLAGS, _TABLE, _TABLE, _ROW, _KINDS, _TABLE,
             _TABLE, types.boolean, _FLAGS, types.boolean, types.boolean)


@njit(SIGNATURE, cache=True, nogil=True)
def clear_day(t, pending, held, at_close, close, open_, has_price, contract_price, fx, multiplier, is_future,
              costs, deflator, deflate, rolled, rolls, margin):
    """Day t's clearing from the book after day t-1 (``held``, ``pending``: not changed).

    Returns (filled instruments, cancelled instruments, the fills' columns (8, k), positions after
    the fills, exposure at t's close, variation margin, the fills' cash flow before costs, their
    costs, roll costs, the stock holdings' value, held instruments without a price today).
    ``deflate``/``rolls``/``margin`` say whether ``deflator``/``rolled`` and variation margin apply.
    """
    n = pending.shape[0]
    wanted = 0
    can = 0
    for j in range(n):
        if pending[j] != 0:
            wanted += 1
            if has_price[t, j]:
                can += 1
    idx = np.empty(can, dtype=np.int64)
    cancelled = np.empty(wanted - can, dtype=np.int64)
    k = 0
    c = 0
    for j in range(n):
        if pending[j] != 0:
            if has_price[t, j]:
                idx[k] = j
                k += 1
            else:
                cancelled[c] = j
                c += 1

    fills = np.empty((8, can))
    stock = np.empty(can)
    future = np.empty(can)
    positions = held.copy()
    for k in range(can):
        j = idx[k]
        q = pending[j]
        cl = close[t, j]
        if at_close:
            price = cl
        else:
            op = open_[t, j]
            price = cl if np.isnan(op) else op
        # Futures: fees scale with the held contract's price, shifted by the open's move.
        notional = contract_price[t, j] + (price - cl) if is_future[j] else price
        mult, rate = multiplier[j], fx[t, j]
        size = abs(q)
        commission = _commission(costs, j, size, notional, mult)
        slippage = _slippage(costs, j, size, notional, mult)
        if deflate:
            commission, slippage = commission * deflator[t, j], slippage * deflator[t, j]
        fills[QUANTITY, k] = q
        fills[PRICE, k] = price
        fills[NOTIONAL, k] = notional
        fills[COMMISSION, k] = commission
        fills[SLIPPAGE, k] = slippage
        fills[FX, k] = rate
        fills[NOTIONAL_BASE, k] = size * abs(notional) * mult * rate
        fills[COST_BASE, k] = (commission + slippage) * rate
        # tradesim.accounting.fill_cash_flow: stock bought with cash, futures' fill-to-close P&L.
        traded = q != 0
        stock[k] = -q * price * mult * rate if traded and not is_future[j] else 0.0
        future[k] = q * (cl - price) * mult * rate if traded and is_future[j] else 0.0
        positions[j] += q
    flow = _numpy_sum(stock) + _numpy_sum(future)
    fill_costs = _numpy_sum(fills[COST_BASE])

    # Variation margin on yesterday's positions (tradesim.accounting.variation_margin).
    variation = 0.0
    if margin and t > 0:
        move = np.empty(n)
        for j in range(n):
            m = held[j] * (close[t, j] - close[t - 1, j]) * multiplier[j] * fx[t, j] \
                if is_future[j] and held[j] != 0 else 0.0
            move[j] = 0.0 if np.isnan(m) else m
        variation = _numpy_sum(move)

    # Rolls: closing the old contract and opening the new one, two trades of the whole position.
    roll_costs = 0.0
    if rolls and t > 0:
        legs = 0
        for j in range(n):
            if rolled[t, j] and held[j] != 0:
                legs += 1
        if legs:
            paid = np.empty(legs)
            k = 0
            for j in range(n):
                if rolled[t, j] and held[j] != 0:
                    size, price, mult = abs(held[j]), contract_price[t, j], multiplier[j]
                    per_leg = _commission(costs, j, size, price, mult) + _slippage(costs, j, size, price, mult)
                    if deflate:
                        per_leg = per_leg * deflator[t, j]
                    paid[k] = 2.0 * per_leg * fx[t, j]
                    k += 1
            roll_costs = _numpy_sum(paid)

    # Marked at t's close (holdings_value) and exposure at the held contract's price (notional_exposure).
    value = np.empty(n)
    exposure = np.empty(n)
    stale = 0
    for j in range(n):
        p = positions[j]
        value[j] = p * close[t, j] * multiplier[j] * fx[t, j] if p != 0 and not is_future[j] else 0.0
        exposure[j] = p * contract_price[t, j] * multiplier[j] * fx[t, j] if p != 0 else 0.0
        if held[j] != 0 and not has_price[t, j]:
            stale += 1
    return (idx, cancelled, fills, positions, exposure, variation, flow, fill_costs, roll_costs,
            _numpy_sum(value), stale)


# The dtypes of clear_day's tables (after t, pending, held and at_close), bool flags as None.
_DTYPES = (np.float64, np.float64, np.bool_, np.float64, np.float64, np.float64, np.bool_, np.float64, np.float64,
           None, np.bool_, None, None)


def takes(tables: tuple) -> bool:
    """Whether clear_day's one compiled version takes these tables (a market built with other
    dtypes keeps the numpy path rather than being converted)."""
    return all(isinstance(a, bool) if dtype is None else isinstance(a, np.ndarray) and a.dtype == dtype
               for a, dtype in zip(tables, _DTYPES, strict=True))
