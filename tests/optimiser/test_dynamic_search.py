"""The default "dynamic" search: never worse than its starts, a local minimum under single
and paired moves, exact on small problems where the exact solver can tell."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradesim.optimiser import objective, optimise_positions, tracking_error
from tradesim.optimiser.dynamic import MIN_GAIN, dynamic_search, greedy_affordable, greedy_steps, move_limit
from tradesim.optimiser.exact import NodeLimitExceeded, exact_search
from tradesim.optimiser.problem import prepare_problem
from tradesim.optimiser.search import kernels, run_search

from test_optimiser_properties import SETTINGS, f_of, problems, settled, tol


def _clipped(problem, x):
    return np.clip(x, problem.lo, problem.hi).astype(np.int64)


@SETTINGS
@given(problems())
def test_never_worse_than_greedy_rounding_or_holding(args):
    problem = prepare_problem(**args)
    f = f_of(args)
    found = dynamic_search(problem).x
    assert greedy_affordable(problem)  # |x*| <= 8 each: the greedy start always runs here
    greedy = settled(run_search, problem)
    starts = [_clipped(problem, np.rint(problem.x_star))]
    # The exception, by design: a near-singular covariance without costs, where the greedy
    # walks thousands of contracts into a "hedge" (test_step_limit_stops_a_runaway_hedge)
    # beyond the dynamic search's bounded work.
    if greedy.passes <= greedy_steps(problem.n):
        starts.append(greedy.x)
    if problem.x0 is not None:
        starts.append(_clipped(problem, problem.x0))
    for start in starts:
        assert f(found) <= f(start) + tol(f(start))
    assert np.all(found >= problem.lo) and np.all(found <= problem.hi)


@SETTINGS
@given(problems(definite=True))
def test_ends_where_no_single_or_paired_move_lowers_f(args):
    """On a positive definite covariance. (A near-singular one without costs can put the
    continuous optimum 1e15 contracts out, where TE^2 has no precision left: the same
    runaway hedge as test_step_limit_stops_a_runaway_hedge.)"""
    problem = prepare_problem(**args)
    f = f_of(args)
    outcome = dynamic_search(problem)
    if outcome.polish_moves >= move_limit(problem.n):
        return  # stopped by the work limit, not at a minimum (checked in the next test)
    x = outcome.x
    n = len(x)
    floor = f(x) - 1e-12 * f(x) - tol(f(x))
    steps = [np.eye(n, dtype=np.int64)[i] * s for i in range(n) for s in (1, -1)]
    steps += [np.eye(n, dtype=np.int64)[i] * a + np.eye(n, dtype=np.int64)[j] * b
              for i, j in itertools.permutations(range(n), 2) for a, b in ((1, -1), (1, 1), (-1, -1))]
    for step in steps:
        moved = x + step
        if np.all(moved >= problem.lo) and np.all(moved <= problem.hi):
            assert f(moved) >= floor


@SETTINGS
@given(problems(bounded=False, with_costs=False, buffer=0.0))
def test_without_costs_or_buffer_tracks_no_worse_than_rounding(args):
    args["cost_multiplier"] = 0.0
    result = settled(optimise_positions, **args, method="dynamic")
    rounded = np.rint(args["optimal"])
    v, Sigma = args["per_contract_weight"], args["covariance"]
    assert result.tracking_error <= tracking_error(rounded, args["optimal"], v, Sigma) + 1e-12


def _brute_force(problem, upper):
    """The least f by enumeration over a box proven to hold every x with f(x) <= f(upper):
    TE(x, x*) <= f implies |(x_i - x*_i) v_i| <= f sqrt((Sigma^-1)_ii)."""
    f_upper = objective(upper, problem.x_star, problem.x0, problem.v, problem.Sigma, problem.c, problem.lam)
    reach = f_upper * np.sqrt(np.diag(np.linalg.inv(problem.Sigma))) / problem.v
    first = np.maximum(np.ceil(problem.x_star - reach - 1e-9), problem.lo).astype(int)
    last = np.minimum(np.floor(problem.x_star + reach + 1e-9), problem.hi).astype(int)
    grid = np.stack(np.meshgrid(*[np.arange(a, b + 1) for a, b in zip(first, last)], indexing="ij"), -1)
    X = grid.reshape(-1, problem.n)
    E = (X - problem.x_star) * problem.v
    te = np.sqrt(np.maximum(np.einsum("ki,ij,kj->k", E, problem.Sigma, E), 0.0))
    x0 = problem.x0 if problem.x0 is not None else np.zeros(problem.n)
    cost = np.abs(X - x0) @ problem.c if problem.x0 is not None else 0.0
    return float(np.min(te + problem.lam * cost, initial=f_upper))


@st.composite
def small_problems(draw):
    """N <= 3 with contracts of 5% to 30% of capital, so that the box above stays small."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 3))
    A = rng.normal(size=(n, n + 2))
    corr = np.corrcoef(A) if n > 1 else np.ones((1, 1))
    vol = rng.uniform(0.1, 0.4, n)
    Sigma = corr * np.outer(vol, vol)
    Sigma = (Sigma + Sigma.T) / 2 + 1e-4 * np.eye(n)
    previous = None if draw(st.booleans()) else rng.integers(-6, 7, n)
    return dict(optimal=rng.normal(0, 3, n), previous=previous, per_contract_weight=rng.uniform(0.05, 0.3, n),
                covariance=Sigma, cost_per_contract=rng.uniform(0, 0.004, n),
                cost_multiplier=draw(st.sampled_from([0.0, 10.0, 50.0, 200.0])), tracking_error_buffer=0.0)


@SETTINGS
@given(small_problems())
def test_exact_solver_agrees_with_enumeration(args):
    problem = prepare_problem(**args)
    f = f_of(args)
    found = dynamic_search(problem).x
    exact = exact_search(problem, found)
    assert f(exact) <= f(found) + tol(f(found))
    assert f(exact) == pytest.approx(_brute_force(problem, found), rel=1e-12, abs=1e-15)


def test_exact_solver_finds_what_the_greedy_misses():
    """Two highly correlated instruments: the greedy's first step in the big contract overshoots
    and it never steps back; the exact optimum and the dynamic search hold the pair."""
    Sigma = np.array([[0.04, 0.038], [0.038, 0.04]])
    args = dict(optimal=np.array([0.1, 3.5]), previous=None, per_contract_weight=np.array([0.5, 0.1]),
                covariance=Sigma, cost_per_contract=np.zeros(2))
    problem = prepare_problem(**args)
    f = f_of(args)
    greedy = run_search(problem).x
    exact = exact_search(problem, greedy)
    assert greedy.tolist() == [1, 0] and exact.tolist() == [0, 4]
    # e = (x - x*) v: greedy (0.45, -0.35), TE^2 = 0.04 (0.45^2 + 0.35^2) - 2 0.038 0.45 0.35;
    # exact (-0.05, 0.05), TE^2 = 0.04 (2 x 0.05^2) - 2 0.038 0.05^2 = 1e-5.
    assert f(greedy) == pytest.approx(np.sqrt(0.00103), rel=1e-12)
    assert f(exact) == pytest.approx(np.sqrt(1e-5), rel=1e-9)
    assert dynamic_search(problem).x.tolist() == exact.tolist()


def test_exact_solver_gives_up_at_its_node_limit(load_problem):
    problem = prepare_problem(**load_problem("dense_prob_N100_00.json"))
    with pytest.raises(NodeLimitExceeded, match="more than 50 nodes at N=100"):
        exact_search(problem, np.zeros(problem.n, dtype=np.int64), node_limit=50)


@pytest.mark.parametrize("name", ["dense_prob_N005_01.json", "dense_prob_N010_00.json", "sparse_prob_N020_00.json"])
def test_dynamic_is_exact_on_small_reference_problems(name, load_problem):
    problem = prepare_problem(**load_problem(name))
    found = dynamic_search(problem).x
    assert exact_search(problem, found).tolist() == found.tolist()


def _kernel_search(module, problem, start, minima):
    """kernels_*.local_search from ``start`` as dynamic_search runs it; minima: the confirmed ones."""
    p = problem
    x0 = p.x0 if p.x0 is not None else np.zeros(p.n, dtype=np.int64)
    c = p.c if p.x0 is not None else np.zeros(p.n)
    W = p.Sigma * np.outer(p.v, p.v)
    P = 2.0 * W
    p_max, p_min = np.empty(p.n), np.empty(p.n)
    symmetric = module.row_extremes(P, p_max, p_min)
    assert symmetric == np.array_equal(P, P.T)
    x = start.copy()
    e = (x - p.x_star) * p.v
    Se = p.Sigma @ e
    known = np.array(minima, dtype=np.int64).reshape(len(minima), p.n)
    moves, _, _, settled_ = module.local_search(
        x, p.v, p.v * p.v * np.diag(p.Sigma), P, p.Sigma, Se, float(e @ Se), c, x0, p.lam,
        float(np.abs(x - x0) @ c), p.lo, p.hi, move_limit(p.n), MIN_GAIN, symmetric,
        p_max, p_min, known, len(minima), np.argsort(c, kind="stable"))
    return x, int(moves), bool(settled_)


@SETTINGS
@given(problems(definite=True), st.integers(0, 5), st.sampled_from([1, -1]))
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_search_reaching_a_confirmed_minimum_stops_there_with_the_same_moves(backend, args, k, step):
    """The shortcut of dynamic_search: a later search that reaches an earlier one's local minimum
    stops there. It must end where, and after as many moves as, the search without it: from a
    neighbour of the minimum (which often walks straight back), and from zero and from -x*
    (which pass other points where no single move helps: the search must not stop at those)."""
    problem = prepare_problem(**args)
    module = kernels(backend)
    start = _clipped(problem, np.rint(problem.x_star))
    minimum, _, settled_ = _kernel_search(module, problem, start, [])
    if not settled_:
        return
    neighbour = minimum.copy()
    neighbour[k % problem.n] += step
    far = (np.zeros(problem.n, dtype=np.int64), -np.rint(problem.x_star).astype(np.int64))
    for later in (_clipped(problem, neighbour), *(_clipped(problem, x) for x in far)):
        alone = _kernel_search(module, problem, later, [])
        shortcut = _kernel_search(module, problem, later, [minimum])
        assert np.array_equal(shortcut[0], alone[0]) and shortcut[1:] == alone[1:]
    # and from the minimum itself: no move, settled
    again = _kernel_search(module, problem, minimum, [minimum])
    assert np.array_equal(again[0], minimum) and again[1:] == (0, True)
