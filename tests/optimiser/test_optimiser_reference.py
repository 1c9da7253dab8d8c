"""The reference problem set: greedy reproduces every expected position and path."""

from pathlib import Path

import numpy as np
import pytest

from tradesim.optimiser import objective, optimise_positions, trade_cost, tracking_error
from tradesim.optimiser.problem import prepare_problem
from tradesim.optimiser.search import run_search

PROBLEMS = Path(__file__).parent.parent / "fixtures" / "optimiser" / "problems"
NAMES = sorted(path.name for path in PROBLEMS.glob("*.json"))


def test_the_whole_set_is_there():
    assert len(NAMES) == 44


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("name", NAMES)
def test_greedy_reproduces_reference(name, backend, load_problem, expected):
    result = optimise_positions(**load_problem(name), method="greedy", backend=backend)
    assert result.path == expected[name]["path"]
    assert result.positions.tolist() == expected[name]["positions"]


@pytest.mark.parametrize("name", NAMES)
def test_result_figures_are_consistent(name, load_problem):
    args = load_problem(name)
    result = optimise_positions(**args, method="greedy")
    x, x0 = result.positions, args["previous"]
    assert x.dtype == np.int64 and not x.flags.writeable
    v, Sigma, c = args["per_contract_weight"], args["covariance"], args["cost_per_contract"]
    assert result.tracking_error == pytest.approx(tracking_error(x, args["optimal"], v, Sigma))
    assert result.cost == pytest.approx(float(np.abs(x - x0) @ c))
    if result.path == "greedy_then_partial_trade":
        assert 0.0 < result.adjustment_factor < 1.0 and result.passes > 0
    else:
        assert result.adjustment_factor == 0.0 and x.tolist() == x0.tolist()
    assert (result.passes == 0) == (result.path == "buffer_no_trade")


@pytest.mark.parametrize("name", NAMES)
def test_polish_never_worse_than_greedy_on_reference(name, load_problem):
    args = load_problem(name)
    problem = prepare_problem(**args)
    p = problem
    f = lambda x: objective(x, p.x_star, p.x0, p.v, p.Sigma, p.c, p.lam)  # noqa: E731
    greedy = run_search(problem)
    polished = run_search(problem, polish=True)
    assert polished.passes == greedy.passes
    assert f(polished.x) <= f(greedy.x) + 1e-12
    assert (polished.polish_moves == 0) == (polished.x.tolist() == greedy.x.tolist())


def test_no_prior_takes_the_greedy_search(load_problem):
    args = load_problem("dense_prob_N010_00.json") | {"previous": None}
    result = optimise_positions(**args, method="greedy")
    problem = prepare_problem(**args)
    assert result.path == "greedy_no_prior"
    assert result.adjustment_factor == 1.0
    assert result.positions.tolist() == run_search(problem).x.tolist()
    assert result.cost == pytest.approx(trade_cost(result.positions, None, args["cost_per_contract"]))


@pytest.mark.parametrize("method", ["round", "none"])
def test_comparison_methods(method, load_problem):
    args = load_problem("dense_prob_N050_00.json")
    result = optimise_positions(**args, method=method)
    assert result.path == method and result.passes == 0 and result.adjustment_factor == 1.0
    if method == "round":
        assert result.positions.dtype == np.int64
        assert result.positions.tolist() == np.rint(args["optimal"]).astype(int).tolist()
    else:
        assert result.positions.dtype == np.float64
        assert result.positions.tolist() == args["optimal"].tolist()
        assert result.tracking_error == 0.0
