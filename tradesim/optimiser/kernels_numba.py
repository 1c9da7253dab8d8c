"""The search loops of `kernels_numpy`, compiled with numba.

Imported lazily by `search.py` (importing numba costs ~0.5 s); `cache=True` keeps the
compiled code next to this file so later processes only load it. The arithmetic per
candidate is written exactly as in `kernels_numpy` (same operations, same order, no
fastmath, so no fused multiply-add), which makes both take the same decisions.

Each pass first fills the candidates' f in a branch-free loop (which LLVM vectorises,
square roots included) and then takes the first minimum in a second loop: about twice
as fast as one loop that compares as it goes. That second loop keeps four running minima
side by side and then finds the minimum's first place (`_lowest`), so no chain of
compare-and-branch runs through every candidate; the candidate taken is the plain scan's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Every loop here is compiled with nogil: another thread may run Python meanwhile.
RELEASES_GIL = True


@njit(cache=True, nogil=True)
def greedy(x, s, sv, two_sv, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_steps):
    n = x.shape[0]
    f = np.empty(n)
    te2_new = np.empty(n)
    dc = np.empty(n)
    for passes in range(max_steps):
        for i in range(n):
            stepped = x[i] + s[i]
            te2_new[i] = te2 + (two_sv[i] * Se[i] + q[i])
            dc[i] = c[i] if (x[i] - x0[i]) * s[i] >= 0 else -c[i]
            f_i = math.sqrt(max(te2_new[i], 0.0)) + lam * (cost + dc[i])
            f[i] = np.inf if (stepped < lo[i] or stepped > hi[i]) else f_i  # at its limit
        best = _first_minimum(f)
        if not f[best] < math.sqrt(max(te2, 0.0)) + lam * cost:  # strictly below f(x)
            return passes, te2, cost, True
        x[best] += s[best]
        _add_row(Se, sv[best], Sigma, best)
        te2 = te2_new[best]
        cost = cost + dc[best]
    return max_steps, te2, cost, False


@njit(cache=True, nogil=True)
def polish(x, v, two_v, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_steps):
    n = x.shape[0]
    # Candidate 2i is +1 on instrument i, 2i + 1 is -1: the order of kernels_numpy's ravel.
    f = np.empty(2 * n)
    te2_new = np.empty(2 * n)
    dc = np.empty(2 * n)
    for moves in range(max_steps):
        for i in range(n):
            g = two_v[i] * Se[i]
            d = x[i] - x0[i]
            te2_new[2 * i] = te2 + (g + q[i])
            te2_new[2 * i + 1] = te2 + (q[i] - g)
            dc[2 * i] = c[i] if d >= 0 else -c[i]
            dc[2 * i + 1] = c[i] if d <= 0 else -c[i]
            f_up = math.sqrt(max(te2_new[2 * i], 0.0)) + lam * (cost + dc[2 * i])
            f_down = math.sqrt(max(te2_new[2 * i + 1], 0.0)) + lam * (cost + dc[2 * i + 1])
            f[2 * i] = np.inf if x[i] + 1 > hi[i] else f_up
            f[2 * i + 1] = np.inf if x[i] - 1 < lo[i] else f_down
        best = _first_minimum(f)
        if not f[best] < math.sqrt(max(te2, 0.0)) + lam * cost:
            return moves, te2, cost, True
        i = best // 2
        if best % 2 == 0:
            x[i] += 1
            _add_row(Se, v[i], Sigma, i)
        else:
            x[i] -= 1
            _add_row(Se, -v[i], Sigma, i)
        te2 = te2_new[best]
        cost = cost + dc[best]
    return max_steps, te2, cost, False


@njit(cache=True, nogil=True, inline="always")
def _first_minimum(f):
    """np.argmin: the lowest index among equal minima (0 when f[0] is NaN, as a scan keeping
    the first strictly lower value gives). The minimum comes first (`_lowest`), then its place."""
    m = _lowest(f, 0, f.shape[0], f[0])
    for i in range(f.shape[0]):
        if f[i] == m:
            return i
    return 0


@njit(cache=True, nogil=True, inline="always")
def _lowest(f, start, stop, bound):
    """The lowest of bound and f[start:stop] by `<` (a NaN is never lower), with four running
    minima side by side: no loop-carried chain of compare-and-branch through every element."""
    m0 = m1 = m2 = m3 = bound
    i = start
    while i + 4 <= stop:
        a, b, c, d = f[i], f[i + 1], f[i + 2], f[i + 3]
        m0 = a if a < m0 else m0
        m1 = b if b < m1 else m1
        m2 = c if c < m2 else m2
        m3 = d if d < m3 else m3
        i += 4
    while i < stop:
        a = f[i]
        m0 = a if a < m0 else m0
        i += 1
    m0 = m1 if m1 < m0 else m0
    m2 = m3 if m3 < m2 else m2
    return m2 if m2 < m0 else m0


@njit(cache=True, nogil=True, inline="always")
def _add_row(Se, step, Sigma, i):
    """Se += step * Sigma[i]: one contract more of instrument i moves e by step in element i
    (Sigma is symmetric, so its row i is column i, and contiguous)."""
    for j in range(Se.shape[0]):
        Se[j] += step * Sigma[i, j]


@njit(cache=True, nogil=True)
def polish_scaled(x, v, q, Sigma, Se, te2, c, x0, lam, cost, lo, hi, step, min_gain, max_steps):
    """kernels_numpy.polish_scaled, compiled: +-step moves, step halving down to 1."""
    n = x.shape[0]
    f = np.empty(2 * n)
    te2_new = np.empty(2 * n)
    dc = np.empty(2 * n)
    moves = 0
    while step >= 1:
        k = float(step)
        while True:
            if moves >= max_steps:
                return moves, te2, cost, False
            for i in range(n):
                g = ((2.0 * k) * v[i]) * Se[i]
                kq = (k * k) * q[i]
                d = x[i] - x0[i]
                te2_new[2 * i] = te2 + (g + kq)
                te2_new[2 * i + 1] = te2 + (kq - g)
                dc[2 * i] = c[i] * (abs(d + step) - abs(d))
                dc[2 * i + 1] = c[i] * (abs(d - step) - abs(d))
                f_up = math.sqrt(max(te2_new[2 * i], 0.0)) + lam * (cost + dc[2 * i])
                f_down = math.sqrt(max(te2_new[2 * i + 1], 0.0)) + lam * (cost + dc[2 * i + 1])
                f[2 * i] = np.inf if x[i] + step > hi[i] else f_up
                f[2 * i + 1] = np.inf if x[i] - step < lo[i] else f_down
            best = _first_minimum(f)
            if not f[best] < (math.sqrt(max(te2, 0.0)) + lam * cost) * (1.0 - min_gain):
                break
            i = best // 2
            if best % 2 == 0:
                x[i] += step
                _add_row(Se, k * v[i], Sigma, i)
            else:
                x[i] -= step
                _add_row(Se, -k * v[i], Sigma, i)
            te2 = te2_new[best]
            cost = cost + dc[best]
            moves += 1
        step //= 2
    return moves, te2, cost, True


@njit(cache=True, nogil=True)
def relax(x, x_star, W, Wd, g, c, x0, lam, lo, hi, max_sweeps, settle):
    """kernels_numpy.relax, compiled."""
    n = x.shape[0]
    for sweep in range(max_sweeps):
        te2 = 0.0
        for i in range(n):
            te2 += (x[i] - x_star[i]) * g[i]
        sigma = math.sqrt(max(te2, 0.0))
        largest = 0.0
        for i in range(n):
            if not Wd[i] > 0.0:
                continue
            z = x[i] - g[i] / Wd[i]
            t = lam * c[i] * sigma / Wd[i]
            d = z - x0[i]
            if d > t:
                new = z - t
            elif d < -t:
                new = z + t
            else:
                new = float(x0[i])
            new = min(max(new, lo[i]), hi[i])
            delta = new - x[i]
            if delta != 0.0:
                x[i] = new
                for j in range(n):
                    g[j] += delta * W[i, j]
                largest = max(largest, abs(delta))
        if largest < settle:
            return sweep + 1
    return max_sweeps


@njit(cache=True, nogil=True)
def local_search(x, v, q, P, Sigma, Se, te2, c, x0, lam, cost, lo, hi, max_moves, gain, symmetric, p_max, p_min,
                 minima, known, by_cost):
    """kernels_numpy.local_search, compiled: the same decisions. ``symmetric``: P == P.T exactly;
    p_max, p_min: each row's largest and smallest P_ij off the diagonal (`row_extremes`);
    minima[:known]: local minima earlier searches of the same problem confirmed;
    by_cost: the instruments in ascending order of c (np.argsort(c))."""
    n = x.shape[0]
    g = np.empty(n)
    dc_up = np.empty(n)
    dc_down = np.empty(n)
    pen_up = np.empty(n)
    pen_down = np.empty(n)
    row = np.empty(n)
    f_up = np.empty(n)
    f_down = np.empty(n)
    front_b_up, front_c_up = np.empty(n), np.empty(n)
    front_b_down, front_c_down = np.empty(n), np.empty(n)
    moved, step = -1, 0.0  # a single move whose Se update waits for the next pass's fill
    for moves in range(max_moves):
        f_x = math.sqrt(max(te2, 0.0)) + lam * cost
        threshold = f_x - gain * f_x
        # Single moves, filled branch-free, then the first lowest under the threshold: the
        # move kernels_numpy takes (its first minimum, when that is under the threshold).
        # The last single move's Se += step Sigma[moved] is made in this pass rather than one of its
        # own (Sigma is symmetric: its row is its column); the compiler takes the test out of the loop.
        pending = moved >= 0
        for i in range(n):
            if pending:
                Se[i] += step * Sigma[moved, i]
            g[i] = (2.0 * v[i]) * Se[i]
            d = x[i] - x0[i]
            dc_up[i] = c[i] if d >= 0 else -c[i]
            dc_down[i] = c[i] if d <= 0 else -c[i]
            pen_up[i] = 0.0 if x[i] + 1 <= hi[i] else np.inf
            pen_down[i] = 0.0 if x[i] - 1 >= lo[i] else np.inf
            f_up[i] = (math.sqrt(max(te2 + (g[i] + q[i]), 0.0)) + lam * (cost + dc_up[i])) + pen_up[i]
            f_down[i] = (math.sqrt(max(te2 + (q[i] - g[i]), 0.0)) + lam * (cost + dc_down[i])) + pen_down[i]
        moved = -1
        best = _first_lowest_below(f_up, f_down, threshold)
        if best >= 0:
            i = best // 2
            if best % 2 == 0:
                te2 = te2 + (g[i] + q[i])
                cost = cost + dc_up[i]
                x[i] += 1
                moved, step = i, 1 * v[i]
            else:
                te2 = te2 + (q[i] - g[i])
                cost = cost + dc_down[i]
                x[i] -= 1
                moved, step = i, -1 * v[i]
            continue
        if is_known(x, minima, known):
            return moves, te2, cost, True
        # Pairs. Only a move below the threshold is taken, so the scan starts there and keeps
        # the first lowest candidate under it: the same move as the first minimum overall
        # whenever that is under it (kernels_numpy's argmin), and none otherwise. A row's f
        # are filled branch-free (vectorised, square roots included; an infeasible j gets
        # + inf), then scanned. Where P is exactly symmetric, (j, i) of "+1 on both" and
        # "-1 on both" repeats (i, j) bit for bit and comes later, so only j > i is filled.
        # A row is skipped when a lower bound on its f cannot beat the best so far: the bound
        # takes the smallest j terms over all j, the row's extreme P_ij off the diagonal, and
        # a margin (1e-9 of the terms' sizes) far above any rounding, so no winner is skipped.
        # A row that passes is tested again with its j terms taken together, the j's t2 term
        # with the same j's cost change, over the j's no other j beats in both (`_front`):
        # most rows fail there, where a pair's gain in TE comes with another pair's cost.
        b_down, b_up, c_down, c_up, c_max, g_max, q_max = np.inf, np.inf, np.inf, np.inf, 0.0, 0.0, 0.0
        for j in range(n):
            g_max = max(g_max, abs(g[j]))
            q_max = max(q_max, q[j])
            if pen_down[j] == 0.0:
                b_down = min(b_down, q[j] - g[j])
                c_down = min(c_down, dc_down[j])
            if pen_up[j] == 0.0:
                b_up = min(b_up, q[j] + g[j])
                c_up = min(c_up, dc_up[j])
            c_max = max(c_max, c[j])
        front_down = _front(q, g, -1.0, dc_down, pen_down, by_cost, front_b_down, front_c_down)
        front_up = _front(q, g, 1.0, dc_up, pen_up, by_cost, front_b_up, front_c_up)
        best_f = threshold
        best_kind, best_i, best_j = -1, 0, 0
        for kind in range(3):
            for i in range(n):
                if kind < 2 and not x[i] + 1 <= hi[i]:
                    continue
                if kind == 2 and not x[i] - 1 >= lo[i]:
                    continue
                gi, qi = g[i], q[i]
                if kind == 0:
                    a, b, pb, cb, dci = gi, b_down, -p_max[i], c_down, dc_up[i]
                elif kind == 1:
                    a, b, pb, cb, dci = gi, b_up, p_min[i], c_up, dc_up[i]
                else:
                    a, b, pb, cb, dci = -gi, b_down, p_min[i], c_down, dc_down[i]
                if not b < np.inf:
                    continue  # no j can move that way
                t2_low = te2 + a + qi + b + pb
                slack = 1e-9 * (abs(te2) + 2.0 * (g_max + q_max) + max(abs(p_max[i]), abs(p_min[i])))
                margin = 1e-9 * lam * (cost + 3.0 * c_max)
                f_low = math.sqrt(max(t2_low - slack, 0.0)) + lam * (cost + dci + cb) - margin
                if f_low >= best_f:
                    continue
                if kind == 1:
                    fb, fc, nf = front_b_up, front_c_up, front_up
                else:
                    fb, fc, nf = front_b_down, front_c_down, front_down
                may_win = False
                for k in range(nf):
                    t2_low = te2 + a + qi + fb[k] + pb
                    if math.sqrt(max(t2_low - slack, 0.0)) + lam * (cost + dci + fc[k]) - margin < best_f:
                        may_win = True
                        break
                if not may_win:
                    continue
                first = i + 1 if (kind > 0 and symmetric) else 0
                if kind == 0:
                    dci = dc_up[i]
                    for j in range(first, n):
                        t2 = te2 + (((gi - g[j]) + (qi + q[j])) - P[i, j])
                        row[j] = (math.sqrt(max(t2, 0.0)) + lam * (cost + (dci + dc_down[j]))) + pen_down[j]
                elif kind == 1:
                    dci = dc_up[i]
                    for j in range(first, n):
                        t2 = te2 + (((gi + g[j]) + (qi + q[j])) + P[i, j])
                        row[j] = (math.sqrt(max(t2, 0.0)) + lam * (cost + (dci + dc_up[j]))) + pen_up[j]
                else:
                    dci = dc_down[i]
                    for j in range(first, n):
                        t2 = te2 + (((-gi - g[j]) + (qi + q[j])) + P[i, j])
                        row[j] = (math.sqrt(max(t2, 0.0)) + lam * (cost + (dci + dc_down[j]))) + pen_down[j]
                if first == 0:
                    row[i] = np.inf
                lowest = _lowest(row, first, n, best_f)
                if lowest < best_f:  # its first place: the candidate a scan keeping the first lower one takes
                    for j in range(first, n):
                        if row[j] == lowest:
                            best_f, best_kind, best_i, best_j = lowest, kind, i, j
                            break
        if best_kind < 0:
            return moves, te2, cost, True
        i, j = best_i, best_j
        if best_kind == 0:
            best_te2 = te2 + (((g[i] - g[j]) + (q[i] + q[j])) - P[i, j])
            best_dc = dc_up[i] + dc_down[j]
        elif best_kind == 1:
            best_te2 = te2 + (((g[i] + g[j]) + (q[i] + q[j])) + P[i, j])
            best_dc = dc_up[i] + dc_up[j]
        else:
            best_te2 = te2 + (((-g[i] - g[j]) + (q[i] + q[j])) + P[i, j])
            best_dc = dc_down[i] + dc_down[j]
        a = 1 if best_kind < 2 else -1
        b = -1 if best_kind == 0 else (1 if best_kind == 1 else -1)
        x[best_i] += a
        x[best_j] += b
        _add_row(Se, a * v[best_i], Sigma, best_i)
        _add_row(Se, b * v[best_j], Sigma, best_j)
        te2 = best_te2
        cost = cost + best_dc
    if moved >= 0:
        _add_row(Se, step, Sigma, moved)
    return max_moves, te2, cost, False


@njit(cache=True, nogil=True)
def local_searches(X, SE, te2, cost, v, q, P, Sigma, c, x0, lam, lo, hi, max_moves, gain, symmetric, p_max, p_min,
                   by_cost, moves):
    """kernels_numpy.local_searches, compiled (one call for all of a problem's starts)."""
    minima = np.empty_like(X)
    known = 0
    for s in range(X.shape[0]):
        x = X[s]
        taken, _, _, settled = local_search(x, v, q, P, Sigma, SE[s], te2[s], c, x0, lam, cost[s], lo, hi, max_moves,
                                            gain, symmetric, p_max, p_min, minima, known, by_cost)
        moves[s] = taken
        if settled and not is_known(x, minima, known):
            minima[known, :] = x
            known += 1


@njit(cache=True, nogil=True, inline="always")
def _first_lowest_below(f_up, f_down, threshold):
    """The first of f_up[0], f_down[0], f_up[1], ... holding the lowest value under threshold, as
    2i (up) or 2i + 1 (down); -1 when none is under it. The lowest value is found first with four
    running minima side by side (no loop-carried chain of compare-and-branch), then its first
    place: the same candidate a single scan keeping the first strictly lower one finds (a NaN is
    never lower, so never taken)."""
    n = f_up.shape[0]
    m0 = _lowest(f_down, 0, n, _lowest(f_up, 0, n, threshold))  # the lowest of both, in any order
    if not m0 < threshold:
        return -1
    for i in range(n):
        if f_up[i] == m0:
            return 2 * i
        if f_down[i] == m0:
            return 2 * i + 1
    return -1


@njit(cache=True, nogil=True, inline="always")
def _front(q, g, sign, dc, pen, by_cost, front_b, front_c):
    """The pairs' j terms (b_j = q_j + sign g_j, dc_j) of the j's that can move (pen_j 0) and that
    no other j beats in both, into front_b[:k], front_c[:k]; returns k. Every such j has b_j and
    dc_j at least those of one of them, so a row's bound over these alone bounds all its j.
    dc_j is +-c_j: walking the costs down among the j with dc_j < 0, then up among the rest,
    visits dc in ascending order (no sort), and a j enters when its b_j is below all so far."""
    n = q.shape[0]
    k = 0
    lowest = np.inf
    for half in range(2):
        for r in range(n):
            j = by_cost[n - 1 - r] if half == 0 else by_cost[r]
            if pen[j] != 0.0 or (dc[j] < 0.0) != (half == 0):
                continue
            b = q[j] + sign * g[j]
            if b < lowest:
                lowest = b
                front_b[k], front_c[k] = b, dc[j]
                k += 1
    return k


@njit(cache=True, nogil=True)
def is_known(x, minima, known):
    """x is one of minima[:known]."""
    n = x.shape[0]
    for k in range(known):
        same = True
        for j in range(n):
            if minima[k, j] != x[j]:
                same = False
                break
        if same:
            return True
    return False


@njit(cache=True, nogil=True)
def nearest_plane(L, x_star, lo, hi, x):
    """kernels_numpy.nearest_plane, compiled: the same sums in the same order."""
    n = x.shape[0]
    s = np.zeros(n)
    for k in range(n - 1, -1, -1):
        centre = x_star[k] - s[k] / L[k, k]
        if not abs(centre) < 1e12:
            return False
        x[k] = min(max(np.rint(centre), lo[k]), hi[k])
        y = x[k] - x_star[k]
        for i in range(k):
            s[i] += L[k, i] * y
    return True


@njit(cache=True, nogil=True)
def row_extremes(P, p_max, p_min):
    """Each row's largest and smallest entry off the diagonal (for local_search's bound);
    returns whether P == P.T exactly (np.array_equal: a NaN anywhere makes it False)."""
    n = P.shape[0]
    symmetric = True
    for i in range(n):
        hi_, lo_ = -np.inf, np.inf
        for j in range(n):
            if j != i:
                hi_ = max(hi_, P[i, j])
                lo_ = min(lo_, P[i, j])
            if not P[i, j] == P[j, i]:
                symmetric = False
        p_max[i], p_min[i] = hi_, lo_
    return symmetric
