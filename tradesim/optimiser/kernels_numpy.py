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
