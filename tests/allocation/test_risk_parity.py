"""Risk parity: equal risk contributions to 1e-6, inverse volatility by hand, and a replay on the factor ETFs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.risk_parity import equal_risk_contribution_weights, inverse_volatility_weights, risk_contributions
from tests.allocation.conftest import example, held_weights, replay_days


def test_inverse_volatility_by_hand() -> None:
    sigma = np.diag([0.1, 0.2, 0.4]) ** 2
    # 1/0.1 : 1/0.2 : 1/0.4 = 10 : 5 : 2.5
    np.testing.assert_allclose(inverse_volatility_weights(sigma), [4 / 7, 2 / 7, 1 / 7])


def test_two_assets_erc_is_inverse_volatility_whatever_the_correlation() -> None:
    for rho in (-0.5, 0.0, 0.8):
        sigma = np.array([[0.01, rho * 0.1 * 0.3], [rho * 0.1 * 0.3, 0.09]])
        np.testing.assert_allclose(equal_risk_contribution_weights(sigma), [0.75, 0.25], atol=1e-12)


def test_erc_leans_away_from_the_correlated_pair() -> None:
    # Equal vols; A and B move together, C is independent: C gets more than a third.
    sigma = 0.04 * np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    w = equal_risk_contribution_weights(sigma)
    # By symmetry w_A = w_B = a, w_C = c: a(1 + 0.8)a = c^2, so c / a = sqrt(1.8).
    a = 1 / (2 + np.sqrt(1.8))
    np.testing.assert_allclose(w, [a, a, np.sqrt(1.8) * a], atol=1e-12)
    np.testing.assert_allclose(risk_contributions(w, sigma), [1 / 3] * 3, atol=1e-12)


@st.composite
def covariances(draw):  # noqa: ANN001, ANN201
    n = draw(st.integers(2, 12))
    vols = np.array(draw(st.lists(st.floats(0.02, 0.8), min_size=n, max_size=n)))
    factors = np.array(draw(st.lists(st.floats(-1, 1), min_size=n * 2, max_size=n * 2))).reshape(n, 2)
    # A correlation from two factors plus idiosyncratic risk: positive definite by construction.
    cov = factors @ factors.T + np.diag(draw(st.lists(st.floats(0.05, 1), min_size=n, max_size=n)))
    d = np.sqrt(np.diag(cov))
    return (cov / np.outer(d, d)) * np.outer(vols, vols)


@settings(max_examples=300, deadline=None)
@given(covariances())
def test_risk_contributions_are_equal_to_1e_6(sigma) -> None:  # noqa: ANN001
    w = equal_risk_contribution_weights(sigma)
    n = len(sigma)
    assert (w > 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    rc = risk_contributions(w, sigma)
    assert np.max(np.abs(rc - 1 / n)) < 1e-6


def test_bad_covariance() -> None:
    with pytest.raises(ValueError, match="not symmetric"):
        equal_risk_contribution_weights(np.array([[1.0, 0.5], [0.2, 1.0]]))
    with pytest.raises(ValueError, match="non-positive variance"):
        inverse_volatility_weights(np.diag([1.0, 0.0]))
    with pytest.raises(ValueError, match="not positive definite"):
        equal_risk_contribution_weights(np.ones((2, 2)))


def test_replay_on_the_factor_etfs_holds_equal_risk() -> None:
    cfg = example("allocation_risk_parity_erc.toml", "2018-01-02", "2018-06-29")
    result, days = replay_days(cfg)
    assert result.summary.trades > 0
    # At the end of June the book, bought on the May month-end targets, is fully invested
    # and long everything.
    w = held_weights(days[-1], cfg.symbols)
    assert 0.97 < sum(w.values()) <= 1.001  # whole shares round either way
    assert all(v > 0.1 for v in w.values())
