"""Bad input: one-line ValueErrors naming the instrument and the problem; backends; import cost."""

import logging
import subprocess
import sys

import numpy as np
import pytest

import tradesim.optimiser
from tradesim.errors import TradesimError
from tradesim.optimiser import (
    OptimiserInputError,
    check_covariance,
    no_trade_bounds,
    optimise_positions,
    reduce_only_bounds,
)
from tradesim.optimiser import search

NAMES = ["ES", "ZN", "CL"]


def good(**changes):
    args = dict(
        optimal=np.array([2.4, -1.6, 0.7]),
        previous=np.array([2, -1, 0]),
        per_contract_weight=np.array([0.12, 0.08, 0.05]),
        covariance=np.array([[0.04, 0.006, 0.01], [0.006, 0.0036, 0.0], [0.01, 0.0, 0.09]]),
        cost_per_contract=np.array([1e-4, 5e-5, 2e-4]),
        instruments=NAMES,
    )
    for key, value in changes.items():
        if isinstance(value, tuple):  # (index, value): change one element of a copy
            args[key] = args[key].astype(float)
            args[key][value[0]] = value[1]
        else:
            args[key] = value
    return args


def test_good_input_passes():
    assert optimise_positions(**good()).path in ("buffer_no_trade", "greedy_then_partial_trade",
                                                  "greedy_then_buffer_no_trade")


CASES = {
    "NaN optimal (missing data)": (good(optimal=(1, np.nan)), "'ZN'", "optimal position is nan"),
    "inf optimal": (good(optimal=(0, np.inf)), "'ES'", "optimal position is inf"),
    "negative weight": (good(per_contract_weight=(2, -0.05)), "'CL'", "per_contract_weight is -0.05"),
    "zero weight": (good(per_contract_weight=(0, 0.0)), "'ES'", "must be > 0"),
    "NaN weight": (good(per_contract_weight=(1, np.nan)), "'ZN'", "per_contract_weight is nan"),
    "negative cost": (good(cost_per_contract=(1, -1e-4)), "'ZN'", "cost_per_contract is -0.0001"),
    "NaN cost": (good(cost_per_contract=(2, np.nan)), "'CL'", "cost_per_contract is nan"),
    "NaN previous": (good(previous=(2, np.nan)), "'CL'", "previous position is nan"),
    "fractional previous": (good(previous=(0, 1.5)), "'ES'", "previous position is 1.5"),
    "NaN covariance row": (
        good(covariance=np.array([[0.04, 0.0, 0.0], [0.0, np.nan, 0.0], [0.0, 0.0, 0.09]])),
        "'ZN'", "covariance row has NaN",
    ),
    "negative variance": (
        good(covariance=np.diag([0.04, 0.01, -0.09])), "'CL'", "negative variance",
    ),
    "asymmetric covariance": (
        good(covariance=np.array([[0.04, 0.006, 0.01], [0.006, 0.0036, 0.0], [0.02, 0.0, 0.09]])),
        "'CL'", "not symmetric",
    ),
    "not PSD": (
        # ES and ZN correlated above 1: the direction ES - ZN has negative variance.
        good(covariance=np.array([[0.04, 0.05, 0.0], [0.05, 0.04, 0.0], [0.0, 0.0, 0.09]])),
        "'ES'", "not positive semi-definite",
    ),
    "min > max": (good(min_positions=[0, 3, 0], max_positions=[5, 1, 5]), "'ZN'", "min > max"),
    "no whole contract in bounds": (
        good(min_positions=[0, 0, 0.2], max_positions=[5, 5, 0.8]), "'CL'", "no whole number",
    ),
    "NaN bound": (good(max_positions=[5, np.nan, 5]), "'ZN'", "max_positions is NaN"),
    "min of +inf": (good(min_positions=[np.inf, 0, 0]), "'ES'", "min_positions is inf"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_names_instrument_and_problem(case):
    args, instrument, problem = CASES[case]
    with pytest.raises(ValueError) as caught:
        optimise_positions(**args)
    message = str(caught.value)
    assert instrument in message and problem in message
    assert "\n" not in message


def test_without_names_the_index_is_named():
    with pytest.raises(ValueError, match=r"^instrument 2: per_contract_weight is -1.0"):
        optimise_positions(**good(per_contract_weight=(2, -1.0), instruments=None))


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"per_contract_weight": np.ones(2)}, r"per_contract_weight: shape \(2,\), expected shape \(3,\)"),
        ({"cost_per_contract": np.ones((3, 1))}, r"cost_per_contract: shape \(3, 1\)"),
        ({"previous": np.zeros(4, dtype=int)}, r"previous: shape \(4,\)"),
        ({"covariance": np.eye(2)}, r"covariance: shape \(2, 2\), expected \(3, 3\)"),
        ({"covariance": np.ones(3)}, r"covariance: shape \(3,\), expected \(3, 3\)"),
        ({"instruments": ["ES"]}, "instruments: 1 names given for 3 instruments"),
        ({"min_positions": [0, 0]}, r"min_positions: shape \(2,\)"),
        ({"method": "annealing"}, "method 'annealing': expected one of dynamic, greedy, greedy\\+polish"),
        ({"cost_multiplier": -1.0}, "cost_multiplier is -1.0"),
        ({"tracking_error_buffer": np.nan}, "tracking_error_buffer is nan"),
    ],
)
def test_bad_shapes_and_arguments(changes, problem):
    with pytest.raises(ValueError, match=problem):
        optimise_positions(**good(**changes))


def test_errors_are_tradesim_errors_for_the_cli():
    assert issubclass(OptimiserInputError, TradesimError)
    assert issubclass(OptimiserInputError, ValueError)


def test_validate_false_skips_only_the_covariance_checks():
    bad_sigma = CASES["not PSD"][0]["covariance"]
    optimise_positions(**good(covariance=bad_sigma), validate=False)  # trusted caller
    with pytest.raises(ValueError, match=r"'ZN' \(index 1\): optimal position is nan"):
        optimise_positions(**good(optimal=(1, np.nan)), validate=False)
    with pytest.raises(ValueError, match="not positive semi-definite"):
        check_covariance(bad_sigma, NAMES)


def test_check_covariance_alone():
    with pytest.raises(ValueError, match=r"covariance: shape \(2, 3\), expected a square matrix"):
        check_covariance(np.ones((2, 3)))
    with pytest.raises(ValueError, match="instruments: 1 names given for 2 instruments"):
        check_covariance(np.eye(2), ["ES"])


def test_singular_psd_covariance_is_accepted():
    a = np.array([[0.2], [0.1], [-0.3]])
    check_covariance(a @ a.T)  # rank one, eigenvalues -1e-18-ish


def test_bound_helpers():
    previous = np.array([3, -2, 0])
    lo, hi = reduce_only_bounds(previous)
    assert lo.tolist() == [0, -2, 0] and hi.tolist() == [3, 0, 0]
    lo, hi = no_trade_bounds(previous)
    assert lo.tolist() == hi.tolist() == [3, -2, 0]


def test_reduce_only_result_only_shrinks():
    args = good(optimal=np.array([6.0, 1.0, -3.0]), previous=np.array([2, -1, 1]))
    lo, hi = reduce_only_bounds(args["previous"])
    x = optimise_positions(**args, min_positions=lo, max_positions=hi).positions
    assert np.all(np.abs(x) <= np.abs(args["previous"]))
    assert np.all(x * args["previous"] >= 0)


def test_scalar_and_fractional_bounds():
    # A scalar applies to every instrument; 2.7 is moved in to 2 whole contracts.
    x = optimise_positions(**good(optimal=np.array([9.0, -9.0, 9.0])), max_positions=2.7).positions
    assert x.max() <= 2


def test_empty_problem():
    result = optimise_positions(np.zeros(0), None, np.zeros(0), np.zeros((0, 0)), np.zeros(0))
    assert result.positions.shape == (0,) and result.path == "greedy_no_prior"


def test_unknown_backend():
    with pytest.raises(ValueError, match="backend 'gpu'"):
        optimise_positions(**good(), backend="gpu")


def test_auto_backend_falls_back_to_numpy_with_a_warning(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "numba", None)  # "import numba" raises ImportError
    monkeypatch.delitem(sys.modules, "tradesim.optimiser.kernels_numba", raising=False)
    monkeypatch.delattr(tradesim.optimiser, "kernels_numba", raising=False)
    monkeypatch.setattr(search, "_kernels", {})
    with pytest.raises(ImportError):
        search.kernels("numba")
    with caplog.at_level(logging.WARNING, logger="tradesim.optimiser.search"):
        assert search.kernels("auto").__name__ == "tradesim.optimiser.kernels_numpy"
    assert "numba unavailable" in caplog.text
    assert optimise_positions(**good(), method="greedy+polish").positions.dtype == np.int64


def test_import_does_not_import_numba():
    code = "import sys, tradesim.optimiser; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_warm_up():
    tradesim.optimiser.warm_up()
    assert "tradesim.optimiser.kernels_numba" in sys.modules
