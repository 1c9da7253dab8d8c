"""The dynamic search's driver, compiled: `dynamic.py`'s steps without Python between them.

`dynamic.dynamic_search` spends about a third of its time in Python and numpy's per-call
overhead around the compiled loops: Sigma e, TE^2 and f of each start and end, the starts
themselves, the bookkeeping of which start ended where. Here the same steps run compiled, in
four calls per problem (`prepare`, `walk_and_relax`, `local_searches`, `finish`); between them Python
only hands the early searches to the second thread.

Every figure is computed as in `dynamic.py`, so every decision is the same: element-wise
arithmetic in the same order (numba adds no fused multiply-adds without fastmath), and the
BLAS products through numpy's own dgemv and ddot (`blas.py`), called as numpy calls them.
Python's `min(starts, key=f)` and the pick of the best end are the same first-lowest scans.
Tests compare this driver with `dynamic.py` on the reference problems and random ones.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from tradesim.optimiser import blas
# local_searches is called from Python (`dynamic.optimise_compiled`), on either thread.
from tradesim.optimiser.kernels_numba import greedy, local_searches, nearest_plane, relax, row_extremes  # noqa: F401

if not blas.available():  # the symbols below must be registered before any of this module compiles or loads
    raise ImportError("numpy's BLAS is not scipy-openblas: the dynamic search keeps its Python driver")
_dgemv, _ddot, _dpotrf = blas.external_functions()

# The starts, in dynamic.py's order (the order of its `starts` dict): ties go to the first.
ROUNDED, PREVIOUS, GREEDY, RELAXED, NEAREST_PLANE = range(5)
SLOTS = 5
# `finish`'s paths (optimiser/result.py's names, by number).
BUFFER_NO_TRADE, GREEDY_NO_PRIOR, GREEDY_THEN_BUFFER_NO_TRADE, GREEDY_THEN_PARTIAL_TRADE, NO_END = range(5)


@njit(cache=True, nogil=True, inline="always")
def _matvec(A, x, out):
    """out = A @ x for C-contiguous A, as numpy's matmul calls BLAS: column-major, transposed."""
    n = x.shape[0]
    _dgemv(blas.COL_MAJOR, blas.TRANS, n, A.shape[0], 1.0, A.ctypes.data, n, x.ctypes.data, 1, 0.0, out.ctypes.data, 1)


@njit(cache=True, nogil=True, inline="always")
def _dot(x, y):
    """x @ y of two contiguous float64 vectors: numpy's ddot."""
    return _ddot(x.shape[0], x.ctypes.data, 1, y.ctypes.data, 1)


@njit(cache=True, nogil=True)
def _cholesky(W, L):
    """L = numpy.linalg.cholesky(W), as numpy computes it: W copied column by column into a
    Fortran-order buffer, LAPACK's dpotrf on its lower triangle, the factor copied back with
    zeros above the diagonal. False where dpotrf fails (numpy's LinAlgError: not positive definite)."""
    n = W.shape[0]
    F = np.empty((n, n))  # F[j, i] = W[i, j]: column j of the Fortran matrix is row j of F
    for i in range(n):
        for j in range(n):
            F[j, i] = W[i, j]
    uplo = np.array([ord("L")], dtype=np.uint8)
    size = np.array([n, n, 0], dtype=np.int64)  # n, lda, info
    _dpotrf(uplo.ctypes.data, size[0:].ctypes.data, F.ctypes.data, size[1:].ctypes.data, size[2:].ctypes.data)
    if size[2] != 0:
        return False
    for i in range(n):
        for j in range(n):
            L[i, j] = F[j, i] if j <= i else 0.0
    return True


@njit(cache=True, nogil=True, inline="always")
def _root(te2):
    """math.sqrt(max(te2, 0.0)) with Python's max (te2 itself unless 0.0 is greater)."""
    return math.sqrt(0.0 if 0.0 > te2 else te2)


@njit(cache=True, nogil=True)
def _tracking_error(x, y, v, Sigma):
    """objective.tracking_error: e = (x - y) v, sqrt(e' Sigma e)."""
    n = v.shape[0]
    e = np.empty(n)
    for i in range(n):
        e[i] = (x[i] - y[i]) * v[i]
    Se = np.empty(n)
    _matvec(Sigma, e, Se)
    return _root(_dot(e, Se))


@njit(cache=True, nogil=True)
def _trade_cost(x, x0, c):
    """objective.trade_cost with x0 given (zeros for none): sum_i c_i |x_i - x0_i|, as ddot."""
    n = c.shape[0]
    trade = np.empty(n)
    for i in range(n):
        trade[i] = abs(x[i] - x0[i])
    return _dot(trade, c)


@njit(cache=True, nogil=True)
def _state(s, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F):
    """dynamic.py's state() of start s: Sigma e, TE^2, cost and f."""
    n = v.shape[0]
    e = np.empty(n)
    for i in range(n):
        e[i] = (S[s, i] - x_star[i]) * v[i]
    _matvec(Sigma, e, SE[s])
    TE2[s] = _dot(e, SE[s])
    COST[s] = _trade_cost(S[s], x0, c)
    te = _root(TE2[s])
    F[s] = te + lam * COST[s] if has_x0 else te


@njit(cache=True, nogil=True, inline="always")
def _clip_into(x, lo, hi, bounded):
    """dynamic._clip: np.clip in float64 (the bounds' type), back to int64."""
    if bounded:
        for i in range(x.shape[0]):
            x[i] = np.int64(min(max(float(x[i]), lo[i]), hi[i]))


@njit(cache=True, nogil=True)
def prepare(x_star, x0, has_x0, v, Sigma, c, lam, B, lo, hi, bounded):
    """The buffer's check (SPEC step 1) and the problem's fixed arrays, the rounded, previous and
    Babai's starts and their state, and the batch the second thread searches: the distinct of
    the three. ``x0`` and ``c``: zeros when there is no prior position. Returns (keep x0, W, q,
    P, p_max, p_min, symmetric, by_cost, S, present, SE, TE2, COST, F, and the batch's slots, X,
    SE, te2, cost and moves)."""
    n = v.shape[0]
    keep = has_x0 and _tracking_error(x0, x_star, v, Sigma) < B
    W = np.empty((n, n))
    P = np.empty((n, n))
    q = np.empty(n)
    for i in range(n):
        for j in range(n):
            W[i, j] = Sigma[i, j] * (v[i] * v[j])
            P[i, j] = 2.0 * W[i, j]
        q[i] = v[i] * v[i] * Sigma[i, i]
    p_max, p_min = np.empty(n), np.empty(n)
    symmetric = row_extremes(P, p_max, p_min)
    by_cost = np.argsort(c, kind="mergesort")  # stable, as np.argsort(kind="stable")
    S = np.zeros((SLOTS, n), dtype=np.int64)
    present = np.zeros(SLOTS, dtype=np.bool_)
    SE = np.empty((SLOTS, n))
    TE2, COST, F = np.empty(SLOTS), np.empty(SLOTS), np.empty(SLOTS)
    if not keep:
        for i in range(n):
            S[ROUNDED, i] = np.int64(np.rint(x_star[i]))
        _clip_into(S[ROUNDED], lo, hi, bounded)
        present[ROUNDED] = True
        _state(ROUNDED, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F)
        if has_x0:
            S[PREVIOUS] = x0
            _clip_into(S[PREVIOUS], lo, hi, bounded)
            present[PREVIOUS] = True
            _state(PREVIOUS, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F)
        # Babai's nearest plane, along the Cholesky factor of W (none where W is singular).
        L = np.empty((n, n))
        if _cholesky(W, L) and nearest_plane(L, x_star, lo, hi, S[NEAREST_PLANE]):
            present[NEAREST_PLANE] = True
            _state(NEAREST_PLANE, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F)
    slots = _distinct(S, present, np.array([ROUNDED, PREVIOUS, NEAREST_PLANE]))
    X, SE_b, te2, cost, moves = _batch(S, SE, TE2, COST, slots)
    return (keep, W, q, P, p_max, p_min, symmetric, by_cost, S, present, SE, TE2, COST, F,
            slots, X, SE_b, te2, cost, moves)


@njit(cache=True, nogil=True)
def _same(S, a, b):
    for j in range(S.shape[1]):
        if S[a, j] != S[b, j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _distinct(S, present, slots):
    """The present slots among ``slots`` whose start no earlier one repeats, in order."""
    out = np.empty(len(slots), dtype=np.int64)
    k = 0
    for s in slots:
        if not present[s]:
            continue
        seen = False
        for m in range(k):
            if _same(S, out[m], s):
                seen = True
                break
        if not seen:
            out[k] = s
            k += 1
    return out[:k]


@njit(cache=True, nogil=True)
def _batch(S, SE, TE2, COST, slots):
    """local_searches' X, SE, te2, cost and moves for these starts (copies: the search moves them)."""
    k, n = len(slots), S.shape[1]
    X, SE_b = np.empty((k, n), dtype=np.int64), np.empty((k, n))
    te2, cost = np.empty(k), np.empty(k)
    for r in range(k):
        X[r] = S[slots[r]]
        SE_b[r] = SE[slots[r]]
        te2[r], cost[r] = TE2[slots[r]], COST[slots[r]]
    return X, SE_b, te2, cost, np.zeros(k, dtype=np.int64)


@njit(cache=True, nogil=True)
def walk_and_relax(x_star, v, Sigma, c, x0, lam, has_x0, lo, hi, bounded, run_greedy, greedy_steps, W, q, S, present,
                   SE, TE2, COST, F, early, relax_sweeps, relax_settle):
    """The greedy walk (when affordable), the relaxation from the lowest start, and the batch of
    every distinct start not in ``early`` (the second thread's) for `local_searches`. Returns
    (greedy passes, distinct slots, the slots of the batch, its X, SE, te2, cost and moves).
    The searches are the caller's call, through the same compiled loop the second thread runs."""
    n = v.shape[0]
    passes = 0
    if run_greedy:
        # search.run_search with max_steps: from zero clipped into the bounds, along s.
        x = S[GREEDY]
        s = np.empty(n, dtype=np.int64)
        for i in range(n):
            x[i] = np.int64(min(max(lo[i], 0.0), hi[i])) if bounded else 0
            s[i] = 1 if x_star[i] >= 0.0 else -1
            if bounded:
                if lo[i] >= 0.0:
                    s[i] = 1
                if hi[i] <= 0.0:
                    s[i] = -1
        e = np.empty(n)
        for i in range(n):
            e[i] = (x[i] - x_star[i]) * v[i]
        Se = np.empty(n)
        _matvec(Sigma, e, Se)
        sv = np.empty(n)
        two_sv = np.empty(n)
        for i in range(n):
            sv[i] = s[i] * v[i]
            two_sv[i] = 2.0 * sv[i]
        passes, _, _, _ = greedy(x, s, sv, two_sv, q, Sigma, Se, _dot(e, Se), c, x0, lam, _trade_cost(x, x0, c),
                                 lo, hi, greedy_steps)
        present[GREEDY] = True
        _state(GREEDY, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F)
    # The relaxation starts where f is lowest (the first such start).
    first = -1
    for k in (ROUNDED, PREVIOUS, GREEDY):
        if present[k] and (first < 0 or F[k] < F[first]):
            first = k
    xr = np.empty(n)
    d = np.empty(n)
    for i in range(n):
        xr[i] = float(S[first, i])
        d[i] = xr[i] - x_star[i]
    g = np.empty(n)
    _matvec(W, d, g)
    Wd = np.empty(n)
    x0f = np.empty(n)
    for i in range(n):
        Wd[i] = W[i, i]
        x0f[i] = float(x0[i])
    relax(xr, x_star, W, Wd, g, c, x0f, lam, lo, hi, relax_sweeps, relax_settle)
    # A relaxation adrift (near-singular covariance, no costs) gives no start.
    finite, largest = True, 0.0
    for i in range(n):
        if not np.isfinite(xr[i]):
            finite = False
        largest = max(largest, abs(xr[i]))
    if finite and largest < 2.0**52:
        for i in range(n):
            S[RELAXED, i] = np.int64(np.rint(xr[i]))
        _clip_into(S[RELAXED], lo, hi, bounded)
        present[RELAXED] = True
        _state(RELAXED, S, x_star, v, Sigma, c, x0, lam, has_x0, SE, TE2, COST, F)
    distinct = _distinct(S, present, np.array([ROUNDED, PREVIOUS, GREEDY, RELAXED, NEAREST_PLANE]))
    here = np.empty(len(distinct), dtype=np.int64)
    k = 0
    for s_ in distinct:
        searched = False
        for m in early:
            if _same(S, m, s_):
                searched = True
        if not searched:
            here[k] = s_
            k += 1
    here = here[:k]
    X, SE_b, te2, cost, moves = _batch(S, SE, TE2, COST, here)
    return passes, distinct, here, X, SE_b, te2, cost, moves


@njit(cache=True, nogil=True)
def finish(x_star, x0, has_x0, v, Sigma, c, c_result, lam, B, lo, hi, bounded, S, distinct, early, X_early,
           moves_early, here, X_here, moves_here, keep):
    """The best end (the first lowest f), Carver's buffering of the trade to it, the clip into
    the bounds and the result's TE and cost. ``keep``: SPEC step 1 kept x0 (no search ran).
    Returns (positions, TE, cost, alpha, path, moves); path NO_END: no end had a finite f
    (dynamic.py raises; the caller runs it to say so)."""
    n = v.shape[0]
    moves = 0
    positions = np.empty(n, dtype=np.int64)
    if keep:
        positions[:] = x0
        alpha, path = 0.0, BUFFER_NO_TRADE
    else:
        best = np.empty(n, dtype=np.int64)
        best_f = np.inf
        found = False
        for s_ in distinct:
            # Its end: the second thread's when that searched the same start, else this one's.
            in_early, row = False, 0
            for r in range(len(early)):
                if _same(S, early[r], s_):
                    in_early, row = True, r
            if not in_early:
                for r in range(len(here)):
                    if here[r] == s_:
                        row = r
            end = X_early[row] if in_early else X_here[row]
            moves += moves_early[row] if in_early else moves_here[row]
            te = _tracking_error(end, x_star, v, Sigma)
            f_end = te + lam * _trade_cost(end, x0, c) if has_x0 else te
            if f_end < best_f:
                best[:] = end
                best_f = f_end
                found = True
        if not found:
            return positions, 0.0, 0.0, 0.0, NO_END, moves
        # buffering.buffer_trade with zero_means_none=False.
        if not has_x0:
            positions[:] = best
            alpha, path = 1.0, GREEDY_NO_PRIOR
        else:
            T = _tracking_error(x0, best, v, Sigma)
            share = (T - B) / T if T > 0.0 else 0.0
            alpha = 0.0 if 0.0 > share else share  # Python's max(share, 0.0)
            if alpha == 0.0:
                positions[:] = x0
                path = GREEDY_THEN_BUFFER_NO_TRADE
            else:
                for i in range(n):
                    positions[i] = x0[i] + np.int64(np.rint(alpha * (best[i] - x0[i])))
                path = GREEDY_THEN_PARTIAL_TRADE
    _clip_into(positions, lo, hi, bounded)
    te = _tracking_error(positions, x_star, v, Sigma)
    cost = _trade_cost(positions, x0, c_result)
    return positions, te, cost, alpha, path, moves
