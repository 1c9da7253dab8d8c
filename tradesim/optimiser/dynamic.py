"""The default search ("dynamic"): the integer optimum of f, or very nearly, with bounded work.

Carver's greedy walk only adds contracts in the sign of x* and never steps back, so
among correlated instruments its early steps overshoot for good (issue 13: at $50m
its TE against x* is 2.7% where rounding's is 0.01%). This search

1. takes the best (lowest f) of the starting points
     rint(x*), x0 (when held), Carver's greedy (when its walk is short: futures,
     not thousands of shares), and the rounded optimum of the continuous problem
     (f is convex in x, a norm plus an L1 term: `kernels_*.relax`), all clipped
     into the bounds;
2. improves it by +-1 moves and paired moves until none lowers f
   (`kernels_*.local_search`), never more than MOVE_LIMIT moves;
3. (the caller) buffers the trade exactly as Carver does.

Bounded work: the relaxation is at most RELAX_SWEEPS sweeps of O(N^2), the local
search at most MOVE_LIMIT moves of O(N^2), and the greedy start is skipped when its
walk would be long. So f(result) <= min(f(rint x*), f(x0), f(greedy when run)) always.
"""

from __future__ import annotations

import numpy as np

from tradesim.optimiser.objective import objective
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

    def f(x):
        return objective(x, p.x_star, p.x0, p.v, p.Sigma, p.c, lam)

    starts, passes = starting_points(p, backend)
    best = min(starts.values(), key=f)  # ties: the first, in the order above

    W = p.Sigma * np.outer(p.v, p.v)
    x = best.astype(np.float64)
    g = W @ (x - p.x_star)
    module.relax(x, p.x_star, W, np.ascontiguousarray(np.diag(W)), g, c, x0.astype(np.float64), lam,
                 p.lo, p.hi, RELAX_SWEEPS, RELAX_SETTLE)
    relaxed = _clip(p, np.rint(x).astype(np.int64))
    if f(relaxed) < f(best):
        best = relaxed

    x = best.copy()
    e = (x - p.x_star) * p.v
    Se = p.Sigma @ e
    te2 = float(e @ Se)
    cost = float(np.abs(x - x0) @ c)
    q = p.v * p.v * np.diag(p.Sigma)
    moves, _, _, _ = module.local_search(x, p.v, q, 2.0 * W, p.Sigma, Se, te2, c, x0, lam, cost,
                                         p.lo, p.hi, move_limit(p.n), MIN_GAIN)
    return SearchOutcome(x, passes, int(moves))


def _clip(p: Problem, x: np.ndarray) -> np.ndarray:
    return np.clip(x, p.lo, p.hi).astype(np.int64) if p.bounded else x
