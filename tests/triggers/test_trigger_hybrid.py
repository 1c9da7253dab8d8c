"""Hybrid triggers: reviews trade only past the review threshold; the emergency threshold trades any day."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tradesim.calendar import sessions
from tradesim.triggers.cron import review_days
from tradesim.triggers.hybrid import HybridTrigger
from tradesim.triggers.threshold import Drift, TrackingError

N = 4
held = arrays(np.float64, N, elements=st.integers(-20, 20).map(float))
target = arrays(np.float64, N, elements=st.floats(-20, 20, allow_nan=False))
V = np.full(N, 0.02)


@settings(max_examples=150, deadline=None)
@given(st.booleans(), held, target, st.floats(0.01, 0.2), st.floats(0.01, 0.5))
def test_hybrid_due_iff_review_day_and_review_band_crossed_or_emergency_crossed(review, positions, x_star,
                                                                                 band, emergency_band):
    trigger = HybridTrigger(np.array([review]), Drift(band), Drift(emergency_band))
    drift = float(np.max(np.abs((positions - x_star) * V)))
    if review and drift > band:
        expected = "hybrid:review+drift"
    elif drift > emergency_band:
        expected = "emergency:drift"
    else:
        expected = None
    assert trigger.due(0, positions, x_star, V, np.eye(N)) == expected


def test_hybrid_on_weekly_reviews_over_a_drifting_month():
    """Fridays of March 2024 review with a 2% band; a 10% emergency band trades on any day."""
    days = sessions("XNYS", "2024-03-01", "2024-03-28")
    trigger = HybridTrigger(review_days("0 16 * * fri", "XNYS", days), Drift(0.02), Drift(0.10))
    v = np.array([0.01])
    # Drift of the only instrument (in weight) day by day: small, past the review band, past the emergency band.
    drift = {"2024-03-01": 0.01, "2024-03-06": 0.05, "2024-03-08": 0.03, "2024-03-13": 0.12,
             "2024-03-15": 0.015, "2024-03-22": 0.025, "2024-03-27": 0.09}
    reasons = {}
    for t, day in enumerate(days):
        gap = drift.get(str(day.date()), 0.0)
        reasons[str(day.date())] = trigger.due(t, np.array([gap / 0.01]), np.zeros(1), v, np.eye(1))
    assert {d: r for d, r in reasons.items() if r} == {
        "2024-03-08": "hybrid:review+drift",
        "2024-03-13": "emergency:drift",
        "2024-03-22": "hybrid:review+drift",
    }


def test_hybrid_without_emergency_holds_between_reviews_however_far_it_drifts():
    trigger = HybridTrigger(np.array([False, True]), TrackingError(0.01))
    far = np.array([100.0])
    assert trigger.due(0, far, np.zeros(1), np.array([0.5]), np.eye(1)) is None
    assert trigger.due(1, far, np.zeros(1), np.array([0.5]), np.eye(1)) == "hybrid:review+tracking_error"
