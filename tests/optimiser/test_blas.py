"""Where numpy's BLAS is not its wheel's scipy-openblas, the dynamic search keeps its Python
driver: the same answers, only slower, and no compiled code calling symbols that are not there."""

import copy

import numpy as np
import pytest

from tradesim.optimiser import blas, dynamic, optimise_positions


def _problem(n=60, seed=11):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    Sigma = 0.01 * (A @ A.T) / n + 0.01 * np.eye(n)
    return dict(optimal=rng.normal(0, 5, n), previous=rng.integers(-3, 4, n),
                per_contract_weight=rng.uniform(0.01, 0.1, n), covariance=(Sigma + Sigma.T) / 2,
                cost_per_contract=np.full(n, 0.001))


@pytest.mark.parametrize("name", ["mkl", "openblas", "accelerate"])
def test_another_blas_is_not_called_from_compiled_code(name, monkeypatch):
    config = copy.deepcopy(np.__config__.CONFIG)
    config["Build Dependencies"]["blas"]["name"] = name
    monkeypatch.setattr(np.__config__, "CONFIG", config)
    assert blas._register() is False


def test_without_numpys_blas_the_python_driver_answers_alike(monkeypatch):
    args = _problem()
    before = optimise_positions(**args)
    monkeypatch.setattr(blas, "_found", False)
    monkeypatch.setattr(dynamic, "_compiled", None)
    assert dynamic.compiled_driver("auto") is None
    after = optimise_positions(**args)
    assert after.positions.tobytes() == before.positions.tobytes()
    assert (after.tracking_error, after.cost, after.adjustment_factor, after.path, after.passes,
            after.polish_moves) == (before.tracking_error, before.cost, before.adjustment_factor, before.path,
                                    before.passes, before.polish_moves)
