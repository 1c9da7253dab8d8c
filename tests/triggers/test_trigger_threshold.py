"""Threshold triggers fire exactly when drift or tracking error crosses its band."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tradesim.triggers.threshold import Drift, ThresholdTrigger, TrackingError

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@st.composite
def books(draw):
    """Held positions (whole), targets (fractional) and per-contract weights for 1-8 instruments."""
    n = draw(st.integers(1, 8))
    positions = draw(arrays(np.float64, n, elements=st.integers(-40, 40).map(float)))
    x_star = draw(arrays(np.float64, n, elements=finite))
    v = draw(arrays(np.float64, n, elements=st.floats(0, 0.2, allow_nan=False)))
    return positions, x_star, v


@settings(max_examples=150, deadline=None)
@given(books(), st.floats(1e-4, 1.0))
def test_absolute_drift_due_iff_some_weight_is_further_than_the_band(book, band):
    positions, x_star, v = book
    trigger = ThresholdTrigger(Drift(band))
    furthest = max(abs((p - x) * w) for p, x, w in zip(positions, x_star, v))
    expected = "threshold:drift" if furthest > band else None
    assert trigger.due(0, positions, x_star, v, np.eye(len(v))) == expected


@settings(max_examples=150, deadline=None)
@given(books(), st.floats(1e-3, 2.0))
def test_relative_drift_due_iff_some_weight_is_further_than_the_band_relative_to_its_target(book, band):
    positions, x_star, v = book
    trigger = ThresholdTrigger(Drift(band, relative=True))

    def relative(p: float, x: float, w: float) -> float:
        gap, target = abs((float(p) - float(x)) * float(w)), abs(float(x) * float(w))
        if target == 0:
            return math.inf if gap > 0 else 0.0
        return gap / target

    furthest = max(relative(p, x, w) for p, x, w in zip(positions, x_star, v))
    assert trigger.due(0, positions, x_star, v, np.eye(len(v))) == ("threshold:drift" if furthest > band else None)


def test_drift_on_the_band_itself_holds():
    v = np.array([0.25, 0.5])
    x_star, held = np.array([4.0, 2.0]), np.array([4.0, 1.5])  # w - w* = 0, -0.25
    assert Drift(0.25).measure(held, x_star, v, np.eye(2)) == 0.25
    assert not Drift(0.25).crossed(held, x_star, v, np.eye(2))
    assert Drift(0.2499).crossed(held, x_star, v, np.eye(2))


def test_relative_drift_against_zero_targets():
    v = np.array([0.1, 0.1])
    sigma = np.eye(2)
    assert not Drift(0.5, relative=True).crossed(np.zeros(2), np.zeros(2), v, sigma)  # nothing vs nothing
    assert Drift(1e6, relative=True).crossed(np.array([1.0, 0.0]), np.zeros(2), v, sigma)  # a stray position


def test_an_empty_account_with_a_target_has_drifted_by_the_whole_target():
    v = np.array([0.01, 0.02, 0.0])  # the last cannot be priced yet: no weight either way
    x_star = np.array([30.0, -10.0, 5.0])
    assert Drift(0.29).measure(np.zeros(3), x_star, v, np.eye(3)) == pytest.approx(0.30)
    assert ThresholdTrigger(Drift(0.05)).due(0, np.zeros(3), x_star, v, np.eye(3)) == "threshold:drift"


def test_tracking_error_hand_computed_two_instruments():
    """e = (x - x*) v = (-0.02, -0.02); e' Sigma e = 0.0004 (0.04 + 2 x 0.012 + 0.09) = 6.16e-5."""
    held, x_star = np.array([10.0, -5.0]), np.array([12.0, -4.0])
    v = np.array([0.01, 0.02])
    sigma = np.array([[0.04, 0.012], [0.012, 0.09]])  # vols 20% and 30%, correlation 0.2
    te = math.sqrt(6.16e-5)  # 0.0078486...
    assert TrackingError(1.0).measure(held, x_star, v, sigma) == pytest.approx(te, rel=1e-12)
    buffer = 0.05 * 0.20  # buffer_fraction x risk_target
    assert ThresholdTrigger(TrackingError(0.78 * buffer)).due(0, held, x_star, v, sigma) == "threshold:tracking_error"
    assert ThresholdTrigger(TrackingError(0.79 * buffer)).due(0, held, x_star, v, sigma) is None


@settings(max_examples=100, deadline=None)
@given(books(), st.floats(1e-4, 0.5), st.floats(0.0, 0.95))
def test_tracking_error_due_iff_above_the_limit(book, limit, rho):
    positions, x_star, v = book
    n = len(v)
    vol = np.linspace(0.1, 0.4, n)
    corr = np.full((n, n), rho)
    np.fill_diagonal(corr, 1.0)
    sigma = corr * np.outer(vol, vol)
    e = (positions - x_star) * v
    te = math.sqrt(max(float(e @ sigma @ e), 0.0))
    got = ThresholdTrigger(TrackingError(limit)).due(0, positions, x_star, v, sigma)
    assert got == ("threshold:tracking_error" if te > limit else None)
