"""Hypothesis properties of the optimiser on small random problems."""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from tradesim.optimiser import objective, optimise_positions, reduce_only_bounds
from tradesim.optimiser.bounds import search_start
from tradesim.optimiser.problem import prepare_problem
from tradesim.optimiser.search import MIN_RELATIVE_GAIN, run_search

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small = st.floats(-1.0, 1.0, allow_nan=False)


@st.composite
def problems(draw, bounded=True, with_costs=True, buffer=None, definite=False):
    """optimise_positions keyword arguments; Sigma = A A' (+ a ridge when definite)."""
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, n))  # k < n: a singular covariance
    A = np.array(draw(st.lists(st.lists(small, min_size=k, max_size=k), min_size=n, max_size=n)))
    Sigma = 0.05 * (A @ A.T) / k
    if definite:
        Sigma += 0.01 * np.eye(n)
    Sigma = (Sigma + Sigma.T) / 2  # exactly symmetric
    vector = lambda lo, hi: np.array(  # noqa: E731
        draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n))
    )
    previous = draw(st.none() | st.lists(st.integers(-8, 8), min_size=n, max_size=n))
    args = dict(
        optimal=vector(-8.0, 8.0),
        previous=None if previous is None else np.array(previous),
        per_contract_weight=vector(0.001, 0.3),
        covariance=Sigma,
        cost_per_contract=vector(0.0, 0.003) if with_costs else np.zeros(n),
        cost_multiplier=draw(st.sampled_from([0.0, 10.0, 50.0, 200.0])),
        tracking_error_buffer=draw(st.floats(0.0, 0.05)) if buffer is None else buffer,
    )
    if bounded and draw(st.booleans()):
        args["min_positions"], args["max_positions"] = draw(bounds(n, args["previous"]))
    return args


@st.composite
def bounds(draw, n, previous):
    kind = draw(st.sampled_from(["box", "reduce_only", "no_trade"] if previous is not None else ["box"]))
    if kind == "reduce_only":
        return reduce_only_bounds(previous)
    if kind == "no_trade":
        return previous.copy(), previous.copy()
    whole = st.integers(-6, 6).map(float)
    end = st.tuples(st.just(-np.inf) | whole, st.just(np.inf) | whole)
    ends = np.sort(np.array(draw(st.lists(end, min_size=n, max_size=n))), axis=1)
    return ends[:, 0], ends[:, 1]


def settled(call, *args, **kwargs):
    """call(...), rejecting the rare example whose search hits its step limit (a
    near-singular covariance without costs: see test_step_limit_stops_a_runaway_hedge)."""
    try:
        return call(*args, **kwargs)
    except RuntimeError as error:
        if "did not settle" in str(error):
            reject()
        raise


def f_of(args):
    p = prepare_problem(**args)
    return lambda x: objective(x, p.x_star, p.x0, p.v, p.Sigma, p.c, p.lam)


def tol(value):
    # The search compares f computed incrementally; recomputing it directly may differ
    # by rounding.
    return 1e-12 * max(1.0, abs(value))


def move_tol(value, problem, x):
    """tol for a one-contract move's f near a local minimum.

    The search keeps the squared tracking error incrementally, so it carries an absolute
    error of a few ulps of the largest squared-TE terms it has added, and f takes a square
    root of it: near TE = 0 that error becomes sqrt(error) in f. A move that changes f by
    less than that (an instrument with a variance of 1e-20, say) cannot be seen by any
    incremental search, and is not a defect of the local minimum."""
    scale = float(np.max(problem.v**2 * np.diag(problem.Sigma)) * (1.0 + np.max(np.abs(x))) ** 2)
    return tol(value) + np.sqrt(1e-15 * scale)


@SETTINGS
@given(problems(), st.sampled_from(["dynamic", "greedy", "greedy+polish", "rounded+polish", "round", "none"]))
def test_bounds_always_hold(args, method):
    result = settled(optimise_positions, **args, method=method)
    x = result.positions
    assert x.shape == args["optimal"].shape
    assert np.all(x >= args.get("min_positions", -np.inf))
    assert np.all(x <= args.get("max_positions", np.inf))


@SETTINGS
@given(problems())
def test_greedy_search_never_worse_than_its_start(args):
    problem = prepare_problem(**args)
    f = f_of(args)
    start = search_start(problem.lo, problem.hi)  # all zeros when unbounded
    found = settled(run_search, problem).x
    assert f(found) <= f(start) + tol(f(start))
    if "min_positions" not in args:
        assert f(found) <= f(np.zeros_like(found)) + tol(f(start))


# Hypothesis found this: the third instrument's variance is 2.5e-20, so buying it lowers
# TE by 4e-11, below what the incremental squared TE can resolve next to the second's.
DEGENERATE = dict(optimal=np.array([0.0, 1.0, 1.0]), previous=None, per_contract_weight=np.full(3, 0.25),
                  covariance=np.array([[0.0, 0.0, 0.0], [0.0, 2.5e-2, 2.5e-11], [0.0, 2.5e-11, 2.5e-20]]),
                  cost_per_contract=np.zeros(3), cost_multiplier=0.0, tracking_error_buffer=0.0)


@SETTINGS
@given(problems())
@example(DEGENERATE)
def test_polish_never_worse_than_greedy_and_is_a_local_minimum(args):
    problem = prepare_problem(**args)
    f = f_of(args)
    greedy = settled(run_search, problem).x
    polished = settled(run_search, problem, polish=True).x
    assert f(polished) <= f(greedy) + tol(f(greedy))
    for i in range(len(polished)):
        for step in (1, -1):
            moved = polished.copy()
            moved[i] += step
            if problem.lo[i] <= moved[i] <= problem.hi[i]:
                assert f(moved) >= f(polished) - move_tol(f(polished), problem, polished)


@SETTINGS
@given(problems())
def test_rounded_start_ends_at_a_local_minimum_no_worse_than_rounding(args):
    """The multi-scale polish from rint(x*) stops only where no +-1 move lowers f by
    more than MIN_RELATIVE_GAIN of f."""
    problem = prepare_problem(**args)
    f = f_of(args)
    found = settled(run_search, problem, start="rounded").x
    rounded = np.clip(np.rint(problem.x_star), problem.lo, problem.hi)
    assert f(found) <= f(rounded) + tol(f(rounded))
    floor = f(found) * (1 - MIN_RELATIVE_GAIN) - tol(f(found))
    for i in range(len(found)):
        for step in (1, -1):
            moved = found.copy()
            moved[i] += step
            if problem.lo[i] <= moved[i] <= problem.hi[i]:
                assert f(moved) >= floor


def test_rounded_start_crosses_thousands_of_shares_in_few_moves():
    """Share positions: x* in the thousands, held far away; +-1 moves would take ~10^4 steps."""
    rng = np.random.default_rng(7)
    n = 20
    A = rng.normal(size=(n, n))
    corr = np.corrcoef(A @ A.T)
    vol = rng.uniform(0.15, 0.4, n)
    Sigma = corr * np.outer(vol, vol)
    v = rng.uniform(1e-5, 5e-5, n)  # one share is a few thousandths of a percent of capital
    x_star = 0.05 / v  # about 5% of capital per stock: 1,000 to 5,000 shares
    previous = np.rint(x_star * rng.uniform(0.5, 1.5, n)).astype(np.int64)
    args = dict(optimal=x_star, previous=previous, per_contract_weight=v, covariance=Sigma,
                cost_per_contract=v * 0.002, cost_multiplier=50.0, tracking_error_buffer=0.0)
    problem = prepare_problem(**args)
    outcome = run_search(problem, start="rounded")
    assert 0 < outcome.polish_moves < 2_000
    f = f_of(args)
    assert f(outcome.x) < f(np.rint(x_star))
    floor = f(outcome.x) * (1 - MIN_RELATIVE_GAIN) - tol(f(outcome.x))
    for i in range(n):
        for step in (1, -1):
            moved = outcome.x.copy()
            moved[i] += step
            assert f(moved) >= floor


@SETTINGS
@given(
    problems(bounded=False, with_costs=False, buffer=0.0, definite=True),
    st.sampled_from(["greedy", "greedy+polish"]),
)
def test_zero_buffer_and_costs_leave_the_search_result(args, method):
    """With B = 0, alpha = T / T = 1: buffering trades all the way to the search's x,
    except the SPEC's rule that an all-zero search result keeps x0."""
    result = settled(optimise_positions, **args, method=method)
    found = run_search(prepare_problem(**args), polish=method == "greedy+polish").x
    if args["previous"] is not None and not found.any():
        assert result.positions.tolist() == args["previous"].tolist()
    else:
        assert result.positions.tolist() == found.tolist()
        assert result.adjustment_factor in (1.0, 0.0)  # 0.0: already at x0


@SETTINGS
@given(problems(), st.sampled_from(["dynamic", "greedy", "greedy+polish", "rounded+polish"]))
def test_numba_and_numpy_take_the_same_decisions(args, method):
    fast = settled(optimise_positions, **args, method=method, backend="numba")
    slow = optimise_positions(**args, method=method, backend="numpy")
    assert fast.positions.tolist() == slow.positions.tolist()
    assert (fast.path, fast.passes, fast.polish_moves) == (slow.path, slow.passes, slow.polish_moves)
    assert fast.adjustment_factor == slow.adjustment_factor


@SETTINGS
@given(problems())
def test_inputs_are_not_modified(args):
    before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    settled(optimise_positions, **args, method="greedy+polish")
    for k, v in before.items():
        assert np.array_equal(args[k], v) and args[k].flags.writeable


@pytest.mark.parametrize("method", ["greedy", "greedy+polish"])
def test_no_trade_bounds_keep_previous(method):
    Sigma = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.02], [0.0, 0.02, 0.01]])
    previous = np.array([3, -2, 0])
    result = optimise_positions(
        [5.3, 1.2, -4.0], previous, [0.1, 0.05, 0.2], Sigma, [1e-4, 1e-4, 1e-4],
        min_positions=[3, -np.inf, -np.inf], max_positions=[3, np.inf, np.inf], method=method,
    )
    assert result.positions[0] == 3


def test_final_clip_pulls_previous_into_bounds():
    """pysystemtrade's issue #1656: x0 outside the bounds survives the buffer there."""
    Sigma = np.diag([0.04, 0.04])
    result = optimise_positions(
        [4.0, 1.0], np.array([4, 1]), [0.1, 0.1], Sigma, [0.0, 0.0], max_positions=[2, np.inf]
    )
    assert result.path == "buffer_no_trade"
    assert result.positions.tolist() == [2, 1]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_step_limit_stops_a_runaway_hedge(backend):
    """Found by hypothesis: instrument 1 has a variance of 5e-22 and is perfectly
    correlated with instrument 0; with no costs the lowest f holds ~1e9 contracts of it,
    one greedy step at a time. The search stops at its step limit with an error."""
    Sigma = np.array([[5e-02, 5e-12], [5e-12, 5e-22]])
    with pytest.raises(RuntimeError, match="did not settle in 1300 steps"):
        optimise_positions([0.5, 0.0], None, [0.25, 0.25], Sigma, [0.0, 0.0], backend=backend, method="greedy")
