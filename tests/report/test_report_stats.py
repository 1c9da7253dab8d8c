"""The series behind the figures, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradesim.report import stats

DAYS = pd.to_datetime(["2024-01-04", "2024-01-05", "2024-01-08", "2024-01-12", "2024-01-15", "2024-01-31",
                       "2024-02-01"])


def test_drawdown_is_the_fall_from_the_running_peak() -> None:
    nav = pd.Series([100.0, 120.0, 90.0, 130.0, 117.0, 130.0, 65.0], index=DAYS)
    np.testing.assert_allclose(stats.drawdown(nav), [0, 0, -0.25, 0, -0.1, 0, -0.5])


def test_weekly_weights_sample_each_weeks_last_close_and_flat_is_zero() -> None:
    nav = pd.Series([100.0, 200.0, 100.0, 400.0, 100.0, 100.0, 50.0], index=DAYS)
    positions = pd.DataFrame({
        "day": pd.to_datetime(["2024-01-04", "2024-01-05", "2024-01-05", "2024-01-12", "2024-02-01"]),
        "symbol": ["A", "A", "B", "B", "A"],
        "notional_base": [10.0, 50.0, -20.0, 100.0, 5.0],
    })
    w = stats.weekly_weights(positions, nav)
    # Weeks end Fri 01-05, Fri 01-12, and the last days seen of the weeks of 01-15, 01-31 (Wed) / 02-01 (Thu).
    assert list(w.index) == list(pd.to_datetime(["2024-01-05", "2024-01-12", "2024-01-15", "2024-02-01"]))
    assert w.loc["2024-01-05", "A"] == 0.25 and w.loc["2024-01-05", "B"] == -0.1
    assert w.loc["2024-01-12", "A"] == 0.0 and w.loc["2024-01-12", "B"] == 0.25  # A flat: no row
    assert (w.loc["2024-01-15"] == 0).all()
    assert w.loc["2024-02-01", "A"] == 0.1


def test_monthly_turnover_and_costs_are_against_the_months_average_nav() -> None:
    equity = pd.DataFrame({"nav": [100.0, 300.0, 200.0, 200.0, 200.0, 200.0, 1000.0],
                           "traded_notional": [50.0, 0.0, 150.0, 0.0, 0.0, 100.0, 500.0],
                           "costs": [0.1, 0.0, 0.3, 0.0, 0.0, 0.2, 2.0],
                           "roll_costs": [0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0]}, index=DAYS)
    m = stats.monthly(equity)
    assert list(m.index) == list(pd.to_datetime(["2024-01-01", "2024-02-01"]))
    assert m["turnover"].tolist() == pytest.approx([300 / 200, 0.5])
    assert m["costs_bp"].tolist() == pytest.approx([0.6 / 200 * 1e4, 20.0])
    assert m["roll_costs_bp"].tolist() == pytest.approx([0.1 / 200 * 1e4, 10.0])


def test_rolling_volatility_and_sharpe_need_a_full_window() -> None:
    r = pd.Series(np.tile([0.01, -0.005], 150))
    vol, sr = stats.rolling_volatility(r), stats.rolling_sharpe(r)
    assert vol.iloc[:255].isna().all() and sr.iloc[:255].isna().all()
    assert vol.iloc[-1] == pytest.approx(np.std(r.iloc[-256:], ddof=1) * 16)
    assert sr.iloc[-1] == pytest.approx(0.0025 / np.std(r.iloc[-256:], ddof=1) * 16)
    assert stats.rolling_sharpe(pd.Series(np.zeros(300))).isna().all()  # no volatility, no ratio
