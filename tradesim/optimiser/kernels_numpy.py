"""The search loops in numpy, one vectorised evaluation of all candidates per pass.

The reference for `kernels_numba`, which runs the same loops compiled (a whole call at
N=100: ~0.1 ms with numba, ~3.5 ms with these). Both evaluate every candidate with the
SAME floating-point operations in the same order, element by element (no reductions
inside the loop), so they take the same decisions, ties included; tests check that
they agree.

State shared by both (x and Se are updated in place):
    x      int64 positions
    Se     Sigma e, with e = (x - x*) v
    te2    TE^2 = e' Sigma e
    cost   sum_i c_i |x_i - x0_i|  (c all zero when there is no prior position)
A one-contract step d on instrument i gives (SPEC, "Making it fast")
    TE^2_new = TE^2 + (2 d v_i (Sigma e)_i + v_i^2 Sigma_ii)
    cost_new = cost + c_i   if the step moves x_i away from x0_i (or off it), else - c_i
Each function returns (accepted steps, te2, cost, converged); converged is False when
the step limit stopped it.
"""

from __future__ import annotations

import math

import numpy as np


def greedy(x, s, sv, two_sv, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_steps):
    """Carver's greedy search: one contract in direction s_i per pass, best f first."""
    for passes in range(max_steps):
        f_x = math.sqrt(max(te2, 0.0)) + lam * cost
        stepped = x + s
        te2_new = te2 + (two_sv * Se + q)
        dc = np.where((x - x0) * s >= 0, c, -c)
        f = np.sqrt(np.maximum(te2_new, 0.0)) + lam * (cost + dc)
        f[(stepped < lo) | (stepped > hi)] = np.inf  # at its limit: never taken
        i = int(np.argmin(f))  # first minimum: ties go to the lowest index
        if not f[i] < f_x:
            return passes, te2, cost, True
        x[i] += s[i]
        Se += sv[i] * Sigma[i]  # Sigma is symmetric: row i is column i, and contiguous
        te2 = float(te2_new[i])
        cost = cost + float(dc[i])
    return max_steps, te2, cost, False


def polish(x, v, two_v, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_steps):
    """Best-improvement local search over +1 and -1 moves on every instrument."""
    n = x.shape[0]
    f = np.empty((n, 2))  # column 0: +1, column 1: -1; ravel order = (i, +1), (i, -1), ...
    for moves in range(max_steps):
        f_x = math.sqrt(max(te2, 0.0)) + lam * cost
        g = two_v * Se
        te2_up = te2 + (g + q)
        te2_down = te2 + (q - g)
        d = x - x0
        dc_up = np.where(d >= 0, c, -c)
        dc_down = np.where(d <= 0, c, -c)
        f[:, 0] = np.sqrt(np.maximum(te2_up, 0.0)) + lam * (cost + dc_up)
        f[:, 1] = np.sqrt(np.maximum(te2_down, 0.0)) + lam * (cost + dc_down)
        f[x + 1 > hi, 0] = np.inf
        f[x - 1 < lo, 1] = np.inf
        k = int(np.argmin(f))
        i, down = divmod(k, 2)
        if not f[i, down] < f_x:
            return moves, te2, cost, True
        if down:
            x[i] -= 1
            Se += -v[i] * Sigma[i]
            te2 = float(te2_down[i])
            cost = cost + float(dc_down[i])
        else:
            x[i] += 1
            Se += v[i] * Sigma[i]
            te2 = float(te2_up[i])
            cost = cost + float(dc_up[i])
    return max_steps, te2, cost, False


def polish_scaled(x, v, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, step, min_gain, max_steps):
    """The polish with moves of +-step contracts, halving step down to 1.

    Ends where no +-1 move lowers f, like `polish`, but crosses a distance of D
    contracts in about log2(D) rounds rather than D moves: what share positions of
    thousands need. A move of k on instrument i changes
        TE^2 by 2 k v_i (Sigma e)_i + k^2 v_i^2 Sigma_ii,  cost by c_i (|d + k| - |d|).
    A move must lower f by the fraction ``min_gain`` of f: with share positions in the
    hundreds of thousands, f has valleys along which one-share moves gain ~1e-9 each,
    and following one costs hundreds of thousands of moves for a few percent of f.
    """
    n = x.shape[0]
    f = np.empty((n, 2))
    moves = 0
    while step >= 1:
        k = float(step)
        two_kv = (2.0 * k) * v
        kq = (k * k) * q
        while True:
            if moves >= max_steps:
                return moves, te2, cost, False
            f_x = math.sqrt(max(te2, 0.0)) + lam * cost
            g = two_kv * Se
            te2_up = te2 + (g + kq)
            te2_down = te2 + (kq - g)
            d = x - x0
            dc_up = c * (np.abs(d + step) - np.abs(d))
            dc_down = c * (np.abs(d - step) - np.abs(d))
            f[:, 0] = np.sqrt(np.maximum(te2_up, 0.0)) + lam * (cost + dc_up)
            f[:, 1] = np.sqrt(np.maximum(te2_down, 0.0)) + lam * (cost + dc_down)
            f[x + step > hi, 0] = np.inf
            f[x - step < lo, 1] = np.inf
            best = int(np.argmin(f))
            i, down = divmod(best, 2)
            if not f[i, down] < f_x * (1.0 - min_gain):
                break
            if down:
                x[i] -= step
                Se += (-k * v[i]) * Sigma[i]
                te2 = float(te2_down[i])
                cost = cost + float(dc_down[i])
            else:
                x[i] += step
                Se += (k * v[i]) * Sigma[i]
                te2 = float(te2_up[i])
                cost = cost + float(dc_up[i])
            moves += 1
        step //= 2
    return moves, te2, cost, True


def relax(x, x_star, W, Wd, g, c, x0, lam, lo, hi, max_sweeps, settle):
    """Coordinate descent on the continuous problem min TE(x, x*) + lam sum c_i |x_i - x0_i|.

    f is convex but TE is a norm, so the 1-D minimisers have no simple closed form.
    Written as TE = min over sigma > 0 of TE^2 / (2 sigma) + sigma / 2 (jointly convex
    in x and sigma), each sweep sets sigma = TE(x) and then minimises a quadratic plus an
    L1 term one coordinate at a time, which is a soft threshold around x0_i:
        z = x_i - g_i / W_ii,  t = lam c_i sigma / W_ii,  x_i = x0_i + soft(z - x0_i, t)
    with W = diag(v) Sigma diag(v) and g = W (x - x*) kept up to date (x, g in place,
    float64). Stops when a sweep moves no position by ``settle`` contracts or more
    (the answer is rounded, so closer is wasted work). Returns the sweeps run.
    TE^2 is summed left to right (cumsum) so that kernels_numba's loop gets the same sigma.
    """
    n = x.shape[0]
    for sweep in range(max_sweeps):
        sigma = math.sqrt(max(float(np.cumsum((x - x_star) * g)[-1]), 0.0)) if n else 0.0
        largest = 0.0
        for i in range(n):
            if not Wd[i] > 0.0:
                continue
            z = x[i] - g[i] / Wd[i]
            t = lam * c[i] * sigma / Wd[i]
            d = z - x0[i]
            new = z - t if d > t else (z + t if d < -t else x0[i])
            new = min(max(new, lo[i]), hi[i])
            delta = new - x[i]
            if delta != 0.0:
                x[i] = new
                g += delta * W[i]
                largest = max(largest, abs(delta))
        if largest < settle:
            return sweep + 1
    return max_sweeps


def local_search(x, v, q, P, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_moves, gain, symmetric=False,
                 p_max=None, p_min=None, minima=None, known=0, by_cost=None):
    """Best-improvement descent with +-1 moves on one instrument, then paired moves.

    Single moves are tried first (2N candidates); only when none lowers f are the
    pairs tried: +1 on i and -1 on j, +1 on both, -1 on both (3 N^2 candidates, the
    moves that matter among correlated instruments, where a lone step overshoots).
    A pair (a on i, b on j) changes TE^2 by
        a g_i + b g_j + q_i + q_j + a b P_ij,   g = 2 v Se,  P_ij = 2 v_i v_j Sigma_ij.
    A move is taken when it lowers f by more than the fraction ``gain`` of f (rounding
    in the incremental TE^2 must not make two opposite moves both look better).
    Returns (moves, te2, cost, settled); settled is False when max_moves stopped it.
    ``symmetric`` (P == P.T exactly), ``p_max`` and ``p_min`` (`row_extremes`) and ``by_cost``
    (np.argsort(c)) only let kernels_numba skip pairs that cannot win.

    ``minima[:known]``: local minima that earlier searches of the same problem confirmed (no
    single or paired move lowered f there). A search that reaches one, with no single move
    to take, stops there as settled instead of scanning the pairs again. It takes the same
    moves: the earlier scan at that x found every pair's f at least the threshold f_x (1 - gain);
    here te2 (and so every candidate's f and the threshold) differs from that scan's by
    rounding only, ~1e-16 of f, while a pair would need to come 1e-12 of f closer to win.
    """
    n = x.shape[0]
    f1 = np.empty((n, 2))
    f2 = np.empty((3, n, n))
    off_diagonal = ~np.eye(n, dtype=bool)
    for moves in range(max_moves):
        f_x = math.sqrt(max(te2, 0.0)) + lam * cost
        g = (2.0 * v) * Se
        d = x - x0
        dc_up = np.where(d >= 0, c, -c)
        dc_down = np.where(d <= 0, c, -c)
        up_ok = x + 1 <= hi
        down_ok = x - 1 >= lo
        te2_up = te2 + (g + q)
        te2_down = te2 + (q - g)
        f1[:, 0] = np.sqrt(np.maximum(te2_up, 0.0)) + lam * (cost + dc_up)
        f1[:, 1] = np.sqrt(np.maximum(te2_down, 0.0)) + lam * (cost + dc_down)
        f1[~up_ok, 0] = np.inf
        f1[~down_ok, 1] = np.inf
        k = int(np.argmin(f1))
        i, down = divmod(k, 2)
        if f1[i, down] < f_x - gain * f_x:
            step = -1 if down else 1
            new_te2 = float(te2_down[i] if down else te2_up[i])
            new_cost = cost + float(dc_down[i] if down else dc_up[i])
            x[i] += step
            Se += (step * v[i]) * Sigma[i]
            te2, cost = new_te2, new_cost
            continue
        if is_known(x, minima, known):
            return moves, te2, cost, True
        # pairs: [0] +1 on i, -1 on j; [1] +1 on both; [2] -1 on both
        qq = q[:, None] + q[None, :]
        te2_pair = (
            te2 + (((g[:, None] - g[None, :]) + qq) - P),
            te2 + (((g[:, None] + g[None, :]) + qq) + P),
            te2 + (((-g[:, None] - g[None, :]) + qq) + P),
        )
        dc_pair = (
            dc_up[:, None] + dc_down[None, :],
            dc_up[:, None] + dc_up[None, :],
            dc_down[:, None] + dc_down[None, :],
        )
        ok = (
            up_ok[:, None] & down_ok[None, :] & off_diagonal,
            up_ok[:, None] & up_ok[None, :] & off_diagonal,
            down_ok[:, None] & down_ok[None, :] & off_diagonal,
        )
        for kind in range(3):
            f2[kind] = np.sqrt(np.maximum(te2_pair[kind], 0.0)) + lam * (cost + dc_pair[kind])
            f2[kind][~ok[kind]] = np.inf
        k = int(np.argmin(f2)) if n > 1 else 0
        kind, rest = divmod(k, n * n)
        i, j = divmod(rest, n)
        if not (n > 1 and f2[kind, i, j] < f_x - gain * f_x):
            return moves, te2, cost, True
        a, b = ((1, -1), (1, 1), (-1, -1))[kind]
        x[i] += a
        x[j] += b
        Se += (a * v[i]) * Sigma[i]
        Se += (b * v[j]) * Sigma[j]
        te2 = float(te2_pair[kind][i, j])
        cost = cost + float(dc_pair[kind][i, j])
    return max_moves, te2, cost, False


def local_searches(X, SE, te2, cost, v, q, P, Sigma, c, x0, lam, lo, hi, max_moves, gain, symmetric, p_max, p_min,
                   by_cost, moves):
    """`local_search` from each row of X in turn (X becomes the ends, moves[s] the moves of each),
    SE[s], te2[s], cost[s] the search's state at X[s]; each search knows the local minima the
    earlier ones confirmed (a search stopped by max_moves confirms none)."""
    minima = np.empty_like(X)
    known = 0
    for s in range(X.shape[0]):
        moves[s], _, _, settled = local_search(X[s], v, q, P, Sigma, SE[s], te2[s], c, x0, lam, cost[s], lo, hi,
                                               max_moves, gain, symmetric, p_max, p_min, minima, known, by_cost)
        if settled and not is_known(X[s], minima, known):
            minima[known] = X[s]
            known += 1


def is_known(x, minima, known) -> bool:
    """x is one of minima[:known]."""
    return known > 0 and bool((minima[:known] == x).all(axis=1).any())


def nearest_plane(L, x_star, lo, hi, x):
    """Babai's nearest-plane rounding of x* into x (int64, within lo..hi), with L the lower
    Cholesky factor of diag(v) Sigma diag(v) = R'R, R = L'. For y = x - x*,
    TE^2 = sum_k (R_kk y_k + sum_{j>k} R_kj y_j)^2: fixing positions from the last down, each
    is rounded to the value that zeroes its own term given those already fixed. s_k holds
    sum_{j>k} R_kj y_j, added to as each y_j is fixed (j descending, as kernels_numba does).
    Returns False (x unfinished) where a near-singular factor puts a centre out of reach.
    """
    n = x.shape[0]
    s = np.zeros(n)
    for k in range(n - 1, -1, -1):
        centre = x_star[k] - s[k] / L[k, k]
        if not abs(centre) < 1e12:
            return False
        x[k] = min(max(np.rint(centre), lo[k]), hi[k])
        y = x[k] - x_star[k]
        s[:k] += L[k, :k] * y
    return True


def row_extremes(P, p_max, p_min) -> bool:
    """Each row's largest and smallest entry off the diagonal (for kernels_numba's bound);
    returns whether P == P.T exactly."""
    off = P.astype(np.float64, copy=True)
    np.fill_diagonal(off, -np.inf)
    p_max[:] = off.max(axis=1) if off.size else p_max
    np.fill_diagonal(off, np.inf)
    p_min[:] = off.min(axis=1) if off.size else p_min
    return bool(np.array_equal(P, P.T))
