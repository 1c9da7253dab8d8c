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
   (0 moves more, the same end) rather than scanning its pairs again. From
   SIDE_THREAD_FROM instruments, on a machine with a second core, the searches from
   rint(x*), x0 and Babai's start run on a second thread while this one walks the greedy
   and relaxes: the same ends, moves and pick (see `side_thread`);
3. (the caller) buffers the trade exactly as Carver does.

This module is the search's Python driver, and its reference: where numpy's BLAS can be
called from compiled code, `optimise_compiled` runs the same steps compiled
(`kernels_dynamic`, the default; `compiled_driver` picks), with the same answers bit for bit.

Bounded work: the relaxation is at most RELAX_SWEEPS sweeps of O(N^2), each local
search at most move_limit(N) moves of O(N^2), and the greedy start is skipped when its
walk would be long. So f(result) <= min(f(rint x*), f(x0), f(greedy when run)) always.
Local search from several starts is what brings the optimality gap down
(scripts/optimiser_gap.py): each start alone leaves some problems at a local minimum
another start avoids.
"""

from __future__ import annotations

import math
import os

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

    W = p.Sigma * (p.v[:, None] * p.v)  # np.outer's products, without its wrapper
    q = p.v * p.v * np.diag(p.Sigma)
    P = 2.0 * W
    p_max, p_min = np.empty(p.n), np.empty(p.n)
    symmetric = bool(module.row_extremes(P, p_max, p_min))
    by_cost = np.argsort(c, kind="stable")
    ends = {}  # start's bytes -> (end, moves)

    def searches(batch):
        """The arguments of `kernels_*.local_searches` from each start of batch, in order, in one
        call (a later search that reaches a local minimum an earlier one confirmed stops there):
        X and moves receive the ends and the moves taken."""
        begin = [state(start) for start in batch]
        return (np.array(batch), np.array([Se for Se, _, _, _ in begin]), np.array([te2 for _, te2, _, _ in begin]),
                np.array([cost for _, _, cost, _ in begin]), p.v, q, P, p.Sigma, c, x0, lam, p.lo, p.hi,
                move_limit(p.n), MIN_GAIN, symmetric, p_max, p_min, by_cost, np.zeros(len(batch), dtype=np.int64))

    def search(batch):
        if batch:
            args = searches(batch)
            module.local_searches(*args)
            collect(batch, args)

    def collect(batch, args):
        for start, end, taken in zip(batch, list(args[0]), args[-1].tolist()):
            ends[start.tobytes()] = (end, taken)

    starts = {"rounded": _clip(p, np.rint(p.x_star).astype(np.int64))}
    if p.x0 is not None:
        starts["previous"] = _clip(p, p.x0.copy())
    nearest_plane = babai_start(p, W, module)
    helper = side_thread() if p.n >= SIDE_THREAD_FROM and getattr(module, "RELEASES_GIL", False) else None
    if helper is not None:
        # rint(x*), x0 and Babai's start, searched on the second core while this one walks the
        # greedy and relaxes. A search ends where it ends whether or not it knows another
        # search's minima (knowing one only spares re-checking its pairs), so the ends and
        # moves are one thread's; a start found twice is searched twice but counted once.
        early = _distinct([*starts.values(), *([] if nearest_plane is None else [nearest_plane])])
        early_args = searches(early)  # built here: the other thread only runs the compiled loops
        other = helper.submit(module.local_searches, *early_args)
    passes = 0
    if greedy_affordable(p):
        # Carver's walk, as far as it gets in greedy_steps(N) steps (it may not settle on a
        # near-singular covariance without costs: then it is one more start, short of its answer).
        greedy = run_search(p, backend=backend, max_steps=greedy_steps(p.n))
        starts["greedy"], passes = greedy.x, greedy.passes
    x = min(starts.values(), key=f).astype(np.float64)  # the relaxation starts where f is lowest
    g = W @ (x - p.x_star)
    module.relax(x, p.x_star, W, np.ascontiguousarray(np.diag(W)), g, c, x0.astype(np.float64), lam,
                 p.lo, p.hi, RELAX_SWEEPS, RELAX_SETTLE)
    # On a near-singular covariance with no costs the relaxation can drift without bound (f is
    # flat along the null direction); such a point is no start, and casting it to int64 is garbage.
    if np.isfinite(x).all() and np.abs(x).max(initial=0.0) < 2.0**52:
        starts["relaxed"] = _clip(p, np.rint(x).astype(np.int64))
    if nearest_plane is not None:
        starts["nearest_plane"] = nearest_plane
    distinct = _distinct(starts.values())
    if helper is None:
        search(distinct)
    else:
        searched = {start.tobytes() for start in early}
        search([start for start in distinct if start.tobytes() not in searched])
        other.result()
        collect(early, early_args)
    best, best_f, moves = None, np.inf, 0
    for start in distinct:
        end, taken = ends[start.tobytes()]
        moves += taken
        f_end = f(end)
        if f_end < best_f:
            best, best_f = end, f_end
    return SearchOutcome(best.copy(), passes, moves)


def compiled_driver(backend: str):
    """`kernels_dynamic` (this search's steps compiled) where the backend is numba's and numpy's
    BLAS can be called from compiled code (`blas.available`); else None: this module's driver."""
    global _compiled
    if backend not in ("auto", "numba"):
        return None
    if _compiled is None:
        from tradesim.optimiser import blas

        _compiled = False
        if getattr(kernels("auto"), "RELEASES_GIL", False) and blas.available():
            from tradesim.optimiser import kernels_dynamic

            _compiled = kernels_dynamic
    return _compiled or None


_compiled = None


class RunHere:
    """An executor running the work at once on this thread: `warm_up` hands the early searches to
    it, so that their compiled loop is loaded with the second thread's argument types at start-up
    rather than in the middle of a run (where loading touches LLVM's pages again: 15 MB)."""

    def submit(self, fn, *args):  # noqa: ANN001, ANN201
        fn(*args)
        return self

    def result(self) -> None:
        return None


def optimise_compiled(p: Problem, driver, helper=None) -> tuple[np.ndarray, float, float, float, int, int, int] | None:  # noqa: ANN001
    """The whole of `optimise_positions` for method "dynamic" through the compiled driver:
    (positions, TE, cost, alpha, path number, passes, moves), or None where this module's driver
    must answer (no instruments, positions beyond 2^52, no end with a finite f). ``helper``: an
    executor for the early searches (default: the second thread from SIDE_THREAD_FROM instruments)."""
    if p.n == 0:
        return None
    total = float(np.abs(p.x_star).sum())  # greedy_affordable's sum
    if not total < 2.0**52:
        return None
    has_x0 = p.x0 is not None
    x0 = p.x0 if has_x0 else np.zeros(p.n, dtype=np.int64)
    c = p.c if has_x0 else np.zeros(p.n)  # no prior position: no cost term
    (keep, W, q, P, p_max, p_min, symmetric, by_cost, S, present, SE, TE2, COST, F,
     early, X_early, SE_early, te2_early, cost_early, moves_early) = driver.prepare(
        p.x_star, x0, has_x0, p.v, p.Sigma, c, p.lam, p.B, p.lo, p.hi, p.bounded)
    no_rows = np.empty((0, p.n), dtype=np.int64)
    no_slots, no_moves = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    here, X_here, moves_here, passes = no_slots, no_rows, no_moves, 0
    distinct = no_slots
    if not keep:
        if helper is None and p.n >= SIDE_THREAD_FROM:
            helper = side_thread()
        limit = move_limit(p.n)
        if helper is not None:
            other = helper.submit(driver.local_searches, X_early, SE_early, te2_early, cost_early, p.v, q, P, p.Sigma,
                                  c, x0, p.lam, p.lo, p.hi, limit, MIN_GAIN, symmetric, p_max, p_min, by_cost,
                                  moves_early)
        else:
            early, X_early, moves_early = no_slots, no_rows, no_moves
        passes, distinct, here, X_here, SE_here, te2_here, cost_here, moves_here = driver.walk_and_relax(
            p.x_star, p.v, p.Sigma, c, x0, p.lam, has_x0, p.lo, p.hi, p.bounded, total <= greedy_steps(p.n),
            greedy_steps(p.n), W, q, S, present, SE, TE2, COST, F, early, RELAX_SWEEPS, RELAX_SETTLE)
        if len(here):
            driver.local_searches(X_here, SE_here, te2_here, cost_here, p.v, q, P, p.Sigma, c, x0, p.lam, p.lo, p.hi,
                                  limit, MIN_GAIN, symmetric, p_max, p_min, by_cost, moves_here)
        if helper is not None:
            other.result()
    positions, te, cost, alpha, path, moves = driver.finish(
        p.x_star, x0, has_x0, p.v, p.Sigma, c, p.c, p.lam, p.B, p.lo, p.hi, p.bounded, S, distinct, early, X_early,
        moves_early, here, X_here, moves_here, keep)
    if path == driver.NO_END:
        return None
    return positions, te, cost, alpha, path, passes, moves


def _distinct(starts) -> list[np.ndarray]:
    """The starts without repeats, in order."""
    return list({start.tobytes(): start for start in starts}.values())


_side_thread = None
# Handing work to the other thread and back costs tens of microseconds: worth it where a day's
# searches take a good fraction of a millisecond (Jumbo's 123 futures), not at 20 stocks.
SIDE_THREAD_FROM = 48


def side_thread():
    """One worker thread for the compiled searches (which release the GIL), or None on one core."""
    global _side_thread
    if _side_thread is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        _side_thread = SideThread() if cores > 1 else False
    return _side_thread or None


class SideThread:
    """An executor of one daemon thread, with a handover of two C-level lock operations: a
    ThreadPoolExecutor's futures, conditions and idle semaphore cost more Python per problem than
    a small book's searches (and the GIL they need is the one the other threads want)."""

    def __init__(self) -> None:
        import queue
        import threading

        self._work = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="optimiser-search", daemon=True).start()

    def submit(self, fn, *args) -> "Handed":  # noqa: ANN001
        handed = Handed()
        self._work.put((fn, args, handed))
        return handed

    def _serve(self) -> None:
        while True:
            fn, args, handed = self._work.get()
            try:
                handed.value = fn(*args)
            except BaseException as error:  # raised again by result(), in the thread that waits
                handed.error = error
            handed.done.release()


class Handed:
    """One piece of work handed to the SideThread: result() waits for it and returns its value."""

    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        import _thread

        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.value = self.error = None

    def result(self):  # noqa: ANN201
        self.done.acquire()
        self.done.release()  # a second result() returns at once
        if self.error is not None:
            raise self.error
        return self.value


def _forget_side_thread() -> None:
    """In a forked child the worker thread does not exist (only the parent's record of it):
    work handed to it would wait for ever. The child starts its own on first use."""
    global _side_thread
    _side_thread = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_side_thread)


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
