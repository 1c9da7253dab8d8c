"""optimise_profile against hand-solved cases, its properties, and the quarterly estimates behind the strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from strategies.beta_categories import betas_at, bucket, quarter_ends, quarterly_inputs
from strategies.beta_profile import optimise_profile, reachable_betas

# Two categories: defensive (r 5%, beta 0.8) and aggressive (r 10%, beta 1.3).
R2, B2 = [0.05, 0.10], [0.8, 1.3]
# Columns sum to 1: 10% of defensive stocks become aggressive, 20% of aggressive ones defensive.
P2 = [[0.9, 0.2], [0.1, 0.8]]


def test_two_categories_the_answer_is_the_top_of_the_band() -> None:
    # Maximise 0.05 w1 + 0.10 w2 with 0.8 + 0.5 w2 <= 1.0: w2 = 0.4.
    res = optimise_profile(R2, B2, 0.9, 1.0)
    np.testing.assert_allclose(res.allocation, [0.6, 0.4], atol=1e-9)
    np.testing.assert_allclose(res.weights, [0.6, 0.4], atol=1e-9)
    assert res.expected_return == pytest.approx(0.07)
    assert res.beta == pytest.approx(1.0)
    assert res.volatility is None


def test_two_categories_with_migration() -> None:
    # w2 = 0.1 x1 + 0.8 x2 = 0.1 + 0.7 a with x = (1 - a, a); beta 0.8 + 0.5 w2 <= 1 gives w2 = 0.4, a = 3/7.
    res = optimise_profile(R2, B2, 0.9, 1.0, migration=P2)
    np.testing.assert_allclose(res.allocation, [4 / 7, 3 / 7], atol=1e-9)
    np.testing.assert_allclose(res.weights, [0.6, 0.4], atol=1e-9)
    assert res.expected_return == pytest.approx(0.07)
    assert res.beta == pytest.approx(1.0)


def test_migration_makes_a_low_band_infeasible() -> None:
    # Without migration the all-defensive corner reaches beta 0.8 exactly ...
    res = optimise_profile(R2, B2, 0.7, 0.8)
    np.testing.assert_allclose(res.weights, [1.0, 0.0], atol=1e-9)
    assert res.expected_return == pytest.approx(0.05)
    # ... but 10% of those stocks drift up to beta 1.3: the lowest beta is 0.8 + 0.5 x 0.1 = 0.85.
    assert reachable_betas(B2, P2) == pytest.approx((0.85, 1.2))
    with pytest.raises(ValueError, match=r"beta band \[0.7, 0.8\] is infeasible: allocations reach betas "
                                         r"from 0.85 to 1.2 after migration"):
        optimise_profile(R2, B2, 0.7, 0.8, migration=P2)


def test_three_categories_the_barbell_beats_the_neighbours() -> None:
    # Band [0.9, 1.1]; mixing medium and high at beta 1.1 earns 0.8 x 7% + 0.2 x 11% = 7.8%,
    # but low and high at beta 1.1 (x_low = 4/9) earn 4/9 x 4% + 5/9 x 11% = 7.889%.
    res = optimise_profile([0.04, 0.07, 0.11], [0.6, 1.0, 1.5], 0.9, 1.1)
    np.testing.assert_allclose(res.allocation, [4 / 9, 0.0, 5 / 9], atol=1e-9)
    assert res.expected_return == pytest.approx(0.71 / 9)
    assert res.beta == pytest.approx(1.1)


def test_volatility_uses_the_correlations() -> None:
    res = optimise_profile(R2, B2, 0.9, 1.0, vols=[0.1, 0.3], correlations=[[1, 0.5], [0.5, 1]])
    # w = (0.6, 0.4): var = 0.36 x 0.01 + 0.16 x 0.09 + 2 x 0.6 x 0.4 x 0.5 x 0.1 x 0.3 = 0.0252
    assert res.volatility == pytest.approx(np.sqrt(0.0252))
    uncorrelated = optimise_profile(R2, B2, 0.9, 1.0, vols=[0.1, 0.3])
    assert uncorrelated.volatility == pytest.approx(np.sqrt(0.0036 + 0.0144))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(returns=[0.1, 0.2], betas=[1.0], beta_low=0.5, beta_high=1.5), "betas has 1 values for 2 categories"),
        (dict(returns=R2, betas=B2, beta_low=1.1, beta_high=1.0), "low <= high"),
        (dict(returns=R2, betas=B2, beta_low=1.4, beta_high=1.5), r"infeasible: allocations reach betas from 0.8 to 1.3$"),
        (dict(returns=R2, betas=B2, beta_low=0.9, beta_high=1.0, migration=[[0.9, 0.2], [0.2, 0.8]]),
         "migration column 0 sums to 1.1"),
        (dict(returns=R2, betas=B2, beta_low=0.9, beta_high=1.0, migration=[[1.1, 0.2], [-0.1, 0.8]]), "non-negative"),
        (dict(returns=R2, betas=B2, beta_low=0.9, beta_high=1.0, migration=np.eye(3)), "migration must be 2 x 2"),
        (dict(returns=[0.1, np.nan], betas=B2, beta_low=0.9, beta_high=1.0), "returns contains a NaN"),
        (dict(returns=R2, betas=B2, beta_low=0.9, beta_high=1.0, vols=[0.1, 0.2], correlations=[[1, 2], [2, 1]]),
         "correlations must be symmetric"),
    ],
)
def test_bad_input(kwargs, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        optimise_profile(**kwargs)


@st.composite
def profiles(draw):  # noqa: ANN001, ANN201
    k = draw(st.integers(2, 5))
    r = draw(st.lists(st.floats(-0.1, 0.3), min_size=k, max_size=k))
    b = draw(st.lists(st.floats(0.2, 2.0), min_size=k, max_size=k))
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=k * k, max_size=k * k))).reshape(k, k) + np.eye(k)
    P = raw / raw.sum(axis=0) if draw(st.booleans()) else None
    lo, hi = reachable_betas(b, P)
    a = draw(st.floats(lo - 0.2, hi + 0.2))
    width = draw(st.floats(0.0, 0.5))
    extra = draw(st.floats(0.0, 0.5))
    return r, b, P, a, a + width, extra


@settings(max_examples=150, deadline=None)
@given(profiles())
# A band a hair wide at the edge of the reachable betas: HiGHS's presolve called it infeasible.
@example(([0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.75], None, 0.75, 0.7500000596046448, 0.0))
def test_the_band_holds_and_a_wider_band_never_earns_less(case) -> None:  # noqa: ANN001
    r, b, P, low, high, extra = case
    lo, hi = reachable_betas(b, P)
    assume(high >= lo and low <= hi)
    res = optimise_profile(r, b, low, high, migration=P)
    assert low - 1e-9 <= res.beta <= high + 1e-9
    assert res.allocation.min() >= 0 and res.allocation.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(res.weights, res.allocation if P is None else P @ res.allocation, atol=1e-12)
    assert res.expected_return == pytest.approx(float(np.dot(r, res.weights)))
    wider = optimise_profile(r, b, low - extra, high + extra, migration=P)
    # HiGHS stops within its optimality tolerance (1e-7): returns of 0, 0 and 1e-8 are all
    # "optimal" to it, so a finer comparison fails on its rounding, not on the model.
    assert wider.expected_return >= res.expected_return - 1e-7
    # No allocation earns more than the best category after migration.
    best = (np.asarray(r) if P is None else P.T @ np.asarray(r)).max()
    assert res.expected_return <= best + 1e-9


# -- the estimates behind the replay strategy ---------------------------------------------


def test_quarter_ends_are_the_last_session_of_each_finished_quarter() -> None:
    dates = pd.DatetimeIndex(["2021-03-30", "2021-03-31", "2021-04-01", "2021-06-30", "2021-07-01", "2021-07-02"])
    assert quarter_ends(dates).tolist() == [1, 3]  # Q3 has not ended in the data


def test_beta_by_hand_and_buckets() -> None:
    m = np.array([0.01, -0.02, 0.03, 0.0, -0.01])
    stocks = np.column_stack([2 * m, 0.5 * m + 0.001, -m, np.r_[np.nan, m[1:]]])
    b = betas_at(4, stocks, m, window=5, min_obs=4)
    np.testing.assert_allclose(b, [2.0, 0.5, -1.0, 1.0])
    assert np.isnan(betas_at(4, stocks, m, window=5, min_obs=5)[3])  # only 4 joint returns
    # Lowest betas in category 0; with 4 stocks in 3 groups the sizes are 2, 1, 1.
    assert bucket(b, 3).tolist() == [2, 0, 0, 1]  # ranks: -1.0, 0.5 | 1.0 | 2.0
    assert bucket(np.array([1.0, np.nan]), 2).tolist() == [-1, -1]  # fewer stocks than categories


def test_migration_is_counted_from_quarter_to_quarter() -> None:
    # Four stocks over three quarters; two swap categories between the first and the second quarter end.
    dates = pd.bdate_range("2021-01-01", "2021-09-30")
    rng = np.random.default_rng(3)
    market = rng.normal(0, 0.01, len(dates))
    q1, q2 = quarter_ends(dates)[:2]
    loadings = np.where(np.arange(len(dates))[:, None] <= q1, [0.5, 0.6, 1.5, 1.6], [0.5, 1.6, 0.6, 1.5])
    stocks = loadings * market[:, None]
    q = quarterly_inputs(dates, stocks, market, k=2, window=40, min_obs=40, min_days=20)
    assert len(q) == 1 and q[0].t == q2
    # At the first quarter end: stocks 0, 1 low and 2, 3 high; at the second: 0, 2 low and 1, 3 high.
    assert q[0].categories.tolist() == [0, 1, 0, 1]
    np.testing.assert_allclose(q[0].migration, [[0.5, 0.5], [0.5, 0.5]])
    assert q[0].migrations_seen == 4
    np.testing.assert_allclose(q[0].category_betas, [0.55, 1.55], atol=1e-9)


def test_shadow_prices_by_hand_and_by_resolving() -> None:
    """Three categories, band [0.9, 1.1]: low and high are held, so at the optimum
    r_k = lambda b_k + mu for both: 0.04 = 0.6 lambda + mu, 0.11 = 1.5 lambda + mu, giving
    lambda = 0.07 / 0.9 = 0.0778 (the upper band's price) and mu = 0.04 - 0.6 lambda = -0.00667."""
    r, b = [0.04, 0.07, 0.11], [0.6, 1.0, 1.5]
    res = optimise_profile(r, b, 0.9, 1.1)
    assert res.shadow_beta_high == pytest.approx(0.07 / 0.9, abs=1e-12)
    assert res.shadow_budget == pytest.approx(0.04 - 0.6 * 0.07 / 0.9, abs=1e-12)
    assert res.shadow_beta_low == 0.0  # the lower bound does not bind
    # An LP's dual is the slope of its optimum in the bound: re-solving agrees.
    h = 1e-6
    up = optimise_profile(r, b, 0.9, 1.1 + h).expected_return - res.expected_return
    assert up / h == pytest.approx(res.shadow_beta_high, rel=1e-6)
    # Where high beta earns least, the lower bound binds and its price is negative.
    low = optimise_profile([0.08, 0.05, 0.02], b, 0.9, 1.1)
    assert low.beta == pytest.approx(0.9) and low.shadow_beta_high == 0.0
    down = optimise_profile([0.08, 0.05, 0.02], b, 0.9 + h, 1.1).expected_return - low.expected_return
    assert low.shadow_beta_low < 0 and down / h == pytest.approx(low.shadow_beta_low, rel=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-0.1, 0.3), min_size=3, max_size=3), st.floats(0.7, 1.2), st.floats(0.0, 0.3))
def test_the_duals_price_the_optimum(returns, low, width) -> None:
    """Strong duality: the maximum return equals the bounds priced at their shadow prices."""
    b = [0.6, 1.0, 1.5]
    res = optimise_profile(returns, b, low, low + width)
    priced = res.shadow_beta_high * (low + width) + res.shadow_beta_low * low + res.shadow_budget
    assert priced == pytest.approx(res.expected_return, abs=1e-7)  # HiGHS's optimality tolerance
