"""The decision's compiled inputs (tradesim.decision_inputs) against the engine's numpy path, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tradesim.decision_inputs import covariance, sizing_inputs


def bits(x) -> bytes:  # noqa: ANN001
    return np.asarray(x).tobytes()


def numpy_sizing_inputs(t, unit_notional, unit_cost, has_price, weights, capital):  # noqa: ANN001, ANN201
    """Engine._decide's numpy path."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        v = unit_notional[t] / capital
        sizable = np.isfinite(v)
        v = np.where(sizable, v, 0.0)
        x_star = np.where(sizable & np.isfinite(weights), weights / np.where(sizable, v, 1.0), 0.0)
        cost = np.where(sizable, unit_cost[t] / capital, 0.0)
    return v, x_star, cost, has_price[t] & sizable


def some_of(rng: np.random.Generator, shape, values) -> np.ndarray:  # noqa: ANN001
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)
    for value in values:
        a[rng.random(shape) < 0.08] = value
    return a


@pytest.mark.parametrize("seed", range(8))
def test_sizing_inputs_are_the_numpy_paths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    days, n = 30, [1, 5, 123, 300][seed % 4]
    unit_notional = np.abs(some_of(rng, (days, n), [np.nan, 0.0]))  # the engine's: NaN where not positive
    unit_cost = np.abs(some_of(rng, (days, n), [np.nan, 0.0, np.inf]))
    has_price = rng.random((days, n)) < 0.8
    for t in range(days):
        weights = some_of(rng, n, [np.nan, np.inf, -np.inf, 0.0, -0.0])
        capital = [1e6, 437.5, np.nan, 1e-300, 3e300][t % 5]
        compiled = sizing_inputs(t, unit_notional, unit_cost, has_price, weights, capital)
        for got, expected in zip(compiled, numpy_sizing_inputs(t, unit_notional, unit_cost, has_price, weights,
                                                               capital), strict=True):
            assert got.dtype == expected.dtype and bits(got) == bits(expected)


@pytest.mark.parametrize("seed", range(6))
def test_covariance_is_the_numpy_paths(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = [1, 7, 123, 200, 40, 3][seed]
    corr = rng.uniform(-1, 1, (n, n))
    shrunk = (corr + corr.T) / 2
    np.fill_diagonal(shrunk, 1.0)
    vol = np.abs(some_of(rng, (5, n), [np.nan] + ([np.inf] if seed % 2 else [])))
    if seed % 2:
        vol[:, 0] = -np.inf  # nan_to_num's other end
    for t in range(5):
        filled = np.nan_to_num(vol[t], nan=0.0)
        with np.errstate(over="ignore"):
            expected = shrunk * (filled[:, None] * filled)
        got = covariance(t, shrunk, vol)
        assert got.flags.c_contiguous and bits(got) == bits(expected)
        if not np.isinf(vol).any():  # the engine's quicker NaN-to-0 for volatilities without infinities
            quick = np.where(vol[t] == vol[t], vol[t], 0.0)
            assert bits(got) == bits(shrunk * (quick[:, None] * quick))


def test_an_engine_that_loads_numba_sizes_compiled_and_one_that_does_not_does_not(tmp_path) -> None:  # noqa: ANN001
    from tradesim.config import load_config
    from tradesim.engine import Engine
    from tradesim.replay import load_market

    config = load_config(None, end="2001-06-30")
    market = load_market(config)
    assert Engine(config, market)._sizing_inputs is sizing_inputs
    rounded = config.model_copy(update={"optimiser": config.optimiser.model_copy(update={"method": "round"})})
    assert Engine(rounded, market)._sizing_inputs is None


@pytest.mark.parametrize("seed", range(4))
def test_the_weekly_correlation_compiled_is_numpys_week_by_week(seed: int) -> None:
    import pandas as pd

    from tradesim.decision_inputs import advance_correlation, correlation_of
    from tradesim.estimates import WeeklyCorrelation

    rng = np.random.default_rng(seed)
    days, n = 400, [2, 30, 123, 150][seed]
    dates = pd.bdate_range("2020-01-01", periods=days)
    returns = rng.standard_normal((days, n)) * 0.01
    for j in range(n):  # late starters (no history yet: uncorrelated), gaps, a flat instrument
        returns[: rng.integers(0, days), j] = np.nan if rng.random() < 0.4 else returns[0, j]
    returns[rng.random((days, n)) < 0.05] = np.nan
    returns[:, 0] = 0.0
    plain, compiled = WeeklyCorrelation(dates, returns, 25), WeeklyCorrelation(dates, returns, 25)
    compiled.compiled(advance_correlation, correlation_of)
    weeks, last = 0, None
    for t in range(0, days, int(rng.integers(1, 4))):  # days skipped: several weeks at once
        expected, got = plain.at(t), compiled.at(t)
        assert bits(got) == bits(expected) and bits(compiled._S) == bits(plain._S), t
        weeks, last = weeks + (got is not last), got  # a new week's matrix
    assert weeks > 20
