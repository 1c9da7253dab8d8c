"""The dynamic search's compiled driver (kernels_dynamic) against its Python driver (dynamic.py).

Both must give the very same answer, field for field and bit for bit: positions, tracking
error, cost, alpha, path, greedy passes and search moves. The compiled one calls numpy's own
dgemv and ddot (optimiser/blas.py), so its products are numpy's to the last bit."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradesim.optimiser import blas, dynamic, optimise, optimise_positions

from test_optimiser_properties import SETTINGS, problems

pytest.importorskip("tradesim.optimiser.kernels_numba")
if not blas.available():
    pytest.skip("numpy's BLAS is not scipy-openblas: the compiled driver is not used here", allow_module_level=True)

from tradesim.optimiser import kernels_dynamic  # noqa: E402  (needs the BLAS symbols)


def _fields(result):
    return (result.positions.dtype, result.positions.tobytes(), result.tracking_error, result.cost,
            result.adjustment_factor, result.path, result.passes, result.polish_moves)


def _both(args, monkeypatch, threads=False):
    """(compiled, python) answers to the same call; threads: the second thread forced on."""
    answers = []
    with ThreadPoolExecutor(1) as pool:
        monkeypatch.setattr(dynamic, "SIDE_THREAD_FROM", 0 if threads else 10**9)
        monkeypatch.setattr(dynamic, "_side_thread", pool if threads else False)
        for driver in (dynamic.compiled_driver, lambda backend: None):
            monkeypatch.setattr(optimise, "compiled_driver", driver)
            answers.append(optimise_positions(**args))
    return answers


def test_the_compiled_driver_is_the_default_here():
    """Otherwise every comparison below would compare the Python driver with itself."""
    assert dynamic.compiled_driver("auto") is kernels_dynamic
    assert dynamic.compiled_driver("numba") is kernels_dynamic
    assert dynamic.compiled_driver("numpy") is None


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 63, 123, 200])
def test_products_are_numpys_to_the_bit(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        A = rng.normal(size=(n, n)) * 10.0 ** rng.uniform(-4, 4)
        Sigma = A @ A.T
        e = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, n)
        out = np.empty(n)
        kernels_dynamic._matvec(Sigma, e, out)
        assert out.tobytes() == (Sigma @ e).tobytes()
        assert kernels_dynamic._dot(e, out) == float(e @ (Sigma @ e))


@pytest.mark.parametrize("n", [1, 2, 5, 63, 64, 65, 123, 200])
def test_cholesky_is_numpys_to_the_bit(n):
    rng = np.random.default_rng(100 + n)
    for rank in (n, max(n - 3, 1)):  # positive definite, then (for n > 3) singular
        A = rng.normal(size=(n, rank)) * 10.0 ** rng.uniform(-3, 3)
        W = A @ A.T
        L = np.full((n, n), np.nan)
        try:
            expected = np.linalg.cholesky(W)
        except np.linalg.LinAlgError:
            assert not kernels_dynamic._cholesky(W, L)
            continue
        assert kernels_dynamic._cholesky(W, L)
        assert L.tobytes() == expected.tobytes()


def test_cholesky_fails_where_numpy_does():
    W = np.array([[1.0, 2.0], [2.0, 1.0]])  # indefinite
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(W)
    assert not kernels_dynamic._cholesky(W, np.empty((2, 2)))


@SETTINGS
@given(problems(), st.booleans())
def test_compiled_and_python_drivers_answer_alike(args, threads):
    """Bounds, no prior position, singular covariances, zero costs, every buffer path."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        compiled, python = _both(args, monkeypatch, threads)
    assert _fields(compiled) == _fields(python)


def _reference_names():
    from pathlib import Path

    return sorted(p.name for p in (Path(__file__).parent.parent / "fixtures" / "optimiser" / "problems").glob("*.json"))


@pytest.mark.parametrize("name", _reference_names())
@pytest.mark.parametrize("threads", [False, True])
def test_reference_set_answers_alike(name, threads, load_problem, monkeypatch):
    compiled, python = _both(load_problem(name), monkeypatch, threads)
    assert _fields(compiled) == _fields(python)


def _book(n, seed, scale=5.0, previous=True, costs=0.001, rank=None):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, rank or n))
    Sigma = 0.01 * (A @ A.T) / n + (0.0 if rank else 0.01) * np.eye(n)
    return dict(optimal=rng.normal(0, scale, n), previous=rng.integers(-3, 4, n) if previous else None,
                per_contract_weight=rng.uniform(0.01, 0.1, n), covariance=(Sigma + Sigma.T) / 2,
                cost_per_contract=np.full(n, costs))


@pytest.mark.parametrize("case", [
    dict(n=123, seed=1),  # Jumbo's size: the second thread's searches
    dict(n=60, seed=2, previous=False),  # the first day: no cost term
    dict(n=60, seed=3, rank=5),  # singular: no Babai start, a drifting relaxation
    dict(n=40, seed=4, costs=0.0),
    dict(n=30, seed=5, scale=2000.0),  # thousands of contracts: the greedy walk is skipped
    dict(n=30, seed=6, scale=0.01),  # x* near x0: the buffer keeps x0
])
@pytest.mark.parametrize("threads", [False, True])
def test_books_answer_alike(case, threads, monkeypatch):
    compiled, python = _both(_book(**case), monkeypatch, threads)
    assert _fields(compiled) == _fields(python)


def test_no_prior_position_costs_the_whole_book_in_the_result(monkeypatch):
    """With no previous position the search has no cost term, but the result's cost is that of
    buying every position (objective.trade_cost with x0 None)."""
    args = _book(12, 7, previous=False, costs=0.002)
    compiled, _ = _both(args, monkeypatch)
    assert compiled.cost == pytest.approx(0.002 * np.abs(compiled.positions).sum(), rel=1e-12)
    assert compiled.cost > 0
