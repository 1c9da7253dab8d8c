"""The default search ("dynamic"): the integer optimum of f, or very nearly, with bounded work.

Carver's greedy walk only adds contracts in the sign of x* and never steps back, so
among correlated instruments its early steps overshoot for good (issue 13: at $50m
its TE against x* is 2.7% where rounding's is 0.01%). This search

1. builds starting points, all clipped into the bounds:
     rint(x*); x0 (when held); Carver's greedy (when its walk is short: futures, not
     thousands of shares); the rounded optimum of the continuous problem (f is convex
     in x, a norm plus an L1 term: `kernels_*.relax`); and Babai's nearest-plane
     rounding (rint position by position along the Cholesky factor of
     diag(v) Sigma diag(v), the classic start for closest-lattice-point problems,
     which is what f is at lambda = 0);
2. improves each distinct start by +-1 moves and paired moves until none lowers f
   (`kernels_*.local_search`), never more than move_limit(N) moves each, and keeps
   the best (ties: the first start in the order above). Starts often lead to the same
   local minimum: a search that reaches one an earlier search confirmed stops there
   (0 moves more, the same end) rather than scanning its pairs again;
3. (the caller) buffers the trade exactly as Carver does.

Bounded work: the relaxation is at most RELAX_SWEEPS sweeps of O(N^2), each local
search at most move_limit(N) moves of O(N^2), and the greedy start is skipped when its
walk would be long. So f(result) <= min(f(rint x*), f(x0), f(greedy when run)) always.
Local search from several starts is what brings the optimality gap down
(scripts/optimiser_gap.py): each start alone leaves some problems at a local minimum
another start avoids.
"""

from __future__ import annotations

import math

import numpy as np

from tradesim.optimiser.problem import Problem
from tradesim.optimiser.search import SearchOutcome, kernels, run_search

# Sweeps of the relaxation: its answer is only a starting point, and a sweep that moves
# no position by a tenth of a contract no longer changes the rounded start.
RELAX_SWEEPS = 50
RELAX_SETTLE = 0.1
# The local search from a good start needs a handful of moves per instrument; the limit
# is what keeps the work per call bounded whatever lambda is (issue 17's "10x cliff").
MOVES_PER_INSTRUMENT = 4
MOVES_FLOOR = 64
# The greedy start is worth its walk of about sum |x*| steps of O(N) only while that is
# no more than a relaxation's work (futures: a few contracts each; not share counts).
GREEDY_STEPS_PER_INSTRUMENT = 32
# A move must lower f by more than this fraction of f: the incremental TE^2 carries
# rounding errors, which must not let two opposite moves both look like gains.
MIN_GAIN = 1e-12


def move_limit(n: int) -> int:
    return MOVES_FLOOR + MOVES_PER_INSTRUMENT * n


def greedy_steps(n: int) -> int:
    return GREEDY_STEPS_PER_INSTRUMENT * n + MOVES_FLOOR


def greedy_affordable(p: Problem) -> bool:
    return float(np.abs(p.x_star).sum()) <= greedy_steps(p.n)


def starting_points(p: Problem, backend: str = "auto") -> tuple[dict[str, np.ndarray], int]:
    """The candidate starts (name -> int64 positions within the bounds), without the relaxation.

    "greedy" is Carver's walk where sum |x*| is small, as far as it gets in
    greedy_steps(N) steps (it may not settle on a near-singular covariance without
    costs: then it is just one more start, short of the greedy's own answer).
    Also returns the greedy's steps (0 when it did not run).
    """
    starts = {"rounded": _clip(p, np.rint(p.x_star).astype(np.int64))}
    if p.x0 is not None:
        starts["previous"] = _clip(p, p.x0.copy())
    passes = 0
    if greedy_affordable(p):
        greedy = run_search(p, backend=backend, max_steps=greedy_steps(p.n))
        starts["greedy"], passes = greedy.x, greedy.passes
    return starts, passes


def dynamic_search(p: Problem, backend: str = "auto") -> SearchOutcome:
    module = kernels(backend)
    if p.n == 0:
        return SearchOutcome(np.zeros(0, dtype=np.int64), 0, 0)
    x0 = p.x0 if p.x0 is not None else np.zeros(p.n, dtype=np.int64)
    c = p.c if p.x0 is not None else np.zeros(p.n)  # no prior position: no cost term
    lam = p.lam

    evaluated = {}

    def state(x):
        """(Sigma e, TE^2, cost, f) at x, each computed once per distinct x (starts and ends repeat):
        f as `objective` computes it, from the same TE^2 and cost the search starts from."""
        key = x.tobytes()
        known_state = evaluated.get(key)
        if known_state is None:
            e = (x - p.x_star) * p.v
            Se = p.Sigma @ e
            te2 = float(e @ Se)
            cost = float(np.abs(x - x0) @ c)
            te = math.sqrt(max(te2, 0.0))
            known_state = evaluated[key] = (Se, te2, cost, te if p.x0 is None else te + lam * cost)
        return known_state

    def f(x):
        return state(x)[3]

    starts, passes = starting_points(p, backend)
    W = p.Sigma * np.outer(p.v, p.v)
    x = min(starts.values(), key=f).astype(np.float64)  # the relaxation starts where f is lowest
    g = W @ (x - p.x_star)
    module.relax(x, p.x_star, W, np.ascontiguousarray(np.diag(W)), g, c, x0.astype(np.float64), lam,
                 p.lo, p.hi, RELAX_SWEEPS, RELAX_SETTLE)
    # On a near-singular covariance with no costs the relaxation can drift without bound (f is
    # flat along the null direction); such a point is no start, and casting it to int64 is garbage.
    if np.isfinite(x).all() and np.abs(x).max(initial=0.0) < 2.0**52:
        starts["relaxed"] = _clip(p, np.rint(x).astype(np.int64))
    nearest_plane = babai_start(p, W, module)
    if nearest_plane is not None:
        starts["nearest_plane"] = nearest_plane

    q = p.v * p.v * np.diag(p.Sigma)
    P = 2.0 * W
    p_max, p_min = np.empty(p.n), np.empty(p.n)
    symmetric = bool(module.row_extremes(P, p_max, p_min))
    by_cost = np.argsort(c, kind="stable")
    # Each distinct start, in order, searched in one call (`kernels_*.local_searches`): a later
    # search that reaches a local minimum an earlier one confirmed stops there.
    firsts = {}
    for name, start in starts.items():
        firsts.setdefault(start.tobytes(), (name, start))
    names = [name for name, _ in firsts.values()]
    distinct = [start for _, start in firsts.values()]
    begin = [state(start) for start in distinct]
    X = np.array(distinct)
    SE = np.array([Se for Se, _, _, _ in begin])
    TE2 = np.array([te2 for _, te2, _, _ in begin])
    COST = np.array([cost for _, _, cost, _ in begin])
    moves = np.zeros(len(distinct), dtype=np.int64)

    def search(rows):
        """The local searches from X[rows], in order, writing their ends and moves back."""
        Xr, movesr = np.ascontiguousarray(X[rows]), np.zeros(len(rows), dtype=np.int64)
        module.local_searches(Xr, np.ascontiguousarray(SE[rows]), TE2[rows], COST[rows], p.v, q, P, p.Sigma, c,
                              x0, lam, p.lo, p.hi, move_limit(p.n), MIN_GAIN, symmetric, p_max, p_min, by_cost,
                              movesr)
        X[rows], moves[rows] = Xr, movesr

    helper = side_thread() if len(distinct) > 1 and getattr(module, "RELEASES_GIL", False) else None
    if helper is None:
        module.local_searches(X, SE, TE2, COST, p.v, q, P, p.Sigma, c, x0, lam, p.lo, p.hi,
                              move_limit(p.n), MIN_GAIN, symmetric, p_max, p_min, by_cost, moves)
    else:
        # Half the starts on the second core. A search ends where it ends whether or not it
        # knows another search's minima (knowing one only spares re-checking its pairs), so
        # the ends, the moves and the pick below are the same as one thread's.
        mine, theirs = share_out(names)
        other = helper.submit(search, theirs)
        search(mine)
        other.result()
    best, best_f = None, np.inf
    for x in X:
        f_x = f(x)
        if f_x < best_f:
            best, best_f = x, f_x
    return SearchOutcome(best.copy(), passes, int(moves.sum()))


_side_thread = None

# The local search's CPU from each start, relative (Jumbo: rint(x*) and Babai's start land
# furthest from a minimum; the relaxation's rounded optimum nearest).
SEARCH_WEIGHT = {"rounded": 1.0, "nearest_plane": 0.95, "greedy": 0.7, "previous": 0.55, "relaxed": 0.3}


def share_out(names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the starts for this thread and for the side thread: each start, heaviest first,
    to the less loaded one (each keeps the starts' order)."""
    load, rows = [0.0, 0.0], ([], [])
    for row in sorted(range(len(names)), key=lambda r: -SEARCH_WEIGHT[names[r]]):
        side = 0 if load[0] <= load[1] else 1
        load[side] += SEARCH_WEIGHT[names[row]]
        rows[side].append(row)
    return np.array(sorted(rows[0]), dtype=np.int64), np.array(sorted(rows[1]), dtype=np.int64)


def side_thread():
    """One worker thread for the compiled searches (which release the GIL), or None on one core."""
    global _side_thread
    if _side_thread is None:
        import os
        from concurrent.futures import ThreadPoolExecutor

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        _side_thread = ThreadPoolExecutor(1, thread_name_prefix="optimiser-search") if cores > 1 else False
    return _side_thread or None


def babai_start(p: Problem, W: np.ndarray, module) -> np.ndarray | None:  # noqa: ANN001
    """Babai's nearest-plane rounding of x* within the bounds (`kernels_*.nearest_plane`),
    or None where diag(v) Sigma diag(v) = W is singular (no Cholesky factor: one start fewer)
    or nearly so (a centre out of reach)."""
    try:
        L = np.linalg.cholesky(W)
    except np.linalg.LinAlgError:
        return None
    x = np.zeros(p.n, dtype=np.int64)
    return x if module.nearest_plane(L, p.x_star, p.lo, p.hi, x) else None


def _clip(p: Problem, x: np.ndarray) -> np.ndarray:
    return np.clip(x, p.lo, p.hi).astype(np.int64) if p.bounded else x
