"""The rebalancing planner against hand-computed cases, and its invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tradesim.rebalance import Trade, plan_rebalance

POLICY = {"US": 0.4, "INTL": 0.2, "BONDS": 0.3, "RE": 0.1}


def test_drift_beyond_threshold_trades_back_to_target() -> None:
    # 100,000 held as 50/15/30/5 against a 40/20/30/10 policy.
    plan = plan_rebalance({"US": 50_000, "INTL": 15_000, "BONDS": 30_000, "RE": 5_000}, POLICY, threshold=0.05)
    assert plan.total_value == 100_000
    assert plan.drift == pytest.approx({"US": 0.10, "INTL": -0.05, "BONDS": 0.0, "RE": -0.05})
    assert plan.max_drift == pytest.approx(0.10)
    assert plan.rebalance_needed
    # BONDS is on target: no trade of zero.
    assert [(t.asset, t.side) for t in plan.trades] == [("US", "SELL"), ("INTL", "BUY"), ("RE", "BUY")]
    assert [t.amount for t in plan.trades] == pytest.approx([10_000, 5_000, 5_000])
    assert plan.turnover == pytest.approx(20_000)
    assert plan.estimated_cost == 0.0


def test_threshold_not_crossed_means_no_trades() -> None:
    # weights 42/19/29/10: max drift 2% < 5%.
    plan = plan_rebalance({"US": 42_000, "INTL": 19_000, "BONDS": 29_000, "RE": 10_000}, POLICY,
                          threshold=0.05, cost_rate=0.01, fixed_cost=10)
    assert plan.max_drift == pytest.approx(0.02)
    assert not plan.rebalance_needed
    assert plan.trades == ()
    assert plan.turnover == 0.0 and plan.estimated_cost == 0.0


def test_force_trades_inside_the_band() -> None:
    plan = plan_rebalance({"US": 42_000, "INTL": 19_000, "BONDS": 29_000, "RE": 10_000}, POLICY,
                          threshold=0.05, force=True)
    assert plan.rebalance_needed and plan.forced
    got = {t.asset: (t.side, t.amount) for t in plan.trades}
    assert got.keys() == {"US", "INTL", "BONDS"}  # RE is exactly on target
    assert got["US"] == ("SELL", pytest.approx(2_000))
    assert got["INTL"] == ("BUY", pytest.approx(1_000))
    assert got["BONDS"] == ("BUY", pytest.approx(1_000))


def test_min_trade_skips_small_trades_including_equal_ones() -> None:
    # Targets on 1,000 of value in halves and quarters: every amount is exact in binary.
    plan = plan_rebalance({"A": 600, "B": 275, "C": 125}, {"A": 0.5, "B": 0.25, "C": 0.25},
                          threshold=0.0, min_trade=25.0)
    # A: sell 100; B: sell 25 (= min_trade, skipped); C: buy 125.
    assert plan.trades == (Trade("A", "SELL", 100.0), Trade("C", "BUY", 125.0))
    assert plan.turnover == 225.0


def test_costs_combine_the_rate_and_the_fixed_charge_per_trade() -> None:
    plan = plan_rebalance({"US": 50_000, "INTL": 15_000, "BONDS": 30_000, "RE": 5_000}, POLICY,
                          cost_rate=0.001, fixed_cost=5.0)
    # 20,000 x 0.1% + 3 trades x 5
    assert plan.estimated_cost == pytest.approx(20.0 + 15.0)
    only_fixed = plan_rebalance({"US": 50_000, "INTL": 15_000, "BONDS": 30_000, "RE": 5_000}, POLICY, fixed_cost=5.0)
    assert only_fixed.estimated_cost == pytest.approx(15.0)
    only_rate = plan_rebalance({"US": 50_000, "INTL": 15_000, "BONDS": 30_000, "RE": 5_000}, POLICY, cost_rate=0.001)
    assert only_rate.estimated_cost == pytest.approx(20.0)


def test_skipped_trades_pay_no_fixed_cost() -> None:
    plan = plan_rebalance({"A": 600, "B": 275, "C": 125}, {"A": 0.5, "B": 0.25, "C": 0.25},
                          threshold=0.0, min_trade=25.0, cost_rate=0.01, fixed_cost=1.0)
    assert plan.estimated_cost == pytest.approx(225 * 0.01 + 2 * 1.0)


def test_drift_equal_to_the_threshold_is_not_above_it() -> None:
    plan = plan_rebalance({"A": 75, "B": 25}, {"A": 0.5, "B": 0.5}, threshold=0.25)
    assert plan.max_drift == 0.25 and not plan.rebalance_needed


def test_a_new_asset_is_bought_from_zero_and_series_are_accepted() -> None:
    plan = plan_rebalance(pd.Series({"A": 100.0}), pd.Series({"A": 0.5, "B": 0.5}))
    assert plan.weights == {"A": 1.0, "B": 0.0}
    assert plan.trades == (Trade("A", "SELL", 50.0), Trade("B", "BUY", 50.0))


@pytest.mark.parametrize(
    ("values", "targets", "kwargs", "message"),
    [
        ({"A": 1, "B": 1}, {"A": 1.0}, {}, "'B' is held but has no target"),
        ({"A": 1}, {"A": 0.6, "B": 0.3}, {}, "targets sum to 0.9, not 1"),
        ({"A": -1, "B": 2}, {"A": 0.5, "B": 0.5}, {}, "value for 'A' is negative"),
        ({"A": 0, "B": 0}, {"A": 0.5, "B": 0.5}, {}, "worth nothing"),
        ({"A": 1}, {"A": 1.0}, {"threshold": -0.1}, "threshold must be a non-negative"),
        ({"A": 1}, {"A": 1.0}, {"min_trade": float("nan")}, "min_trade must be a non-negative"),
        ({"A": 1}, {"A": 1.0}, {"cost_rate": -0.01}, "cost_rate must be a non-negative"),
        ({"A": float("nan")}, {"A": 1.0}, {}, "value for 'A' is not a number"),
        ({}, {"A": 1.0}, {}, "no values given"),
    ],
)
def test_bad_input_is_a_one_line_value_error(values, targets, kwargs, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        plan_rebalance(values, targets, **kwargs)


values_st = st.lists(st.floats(0, 1e7, allow_nan=False), min_size=2, max_size=8).filter(lambda v: sum(v) > 1)
raw_targets_st = st.lists(st.floats(0.01, 1.0), min_size=8, max_size=8)


@settings(max_examples=200, deadline=None)
@given(values_st, raw_targets_st, st.floats(0, 0.2))
def test_executing_the_trades_lands_on_target(values, raw, threshold) -> None:  # noqa: ANN001
    n = len(values)
    total_raw = sum(raw[:n])
    targets = {f"a{i}": raw[i] / total_raw for i in range(n)}
    held = {f"a{i}": values[i] for i in range(n)}
    plan = plan_rebalance(held, targets, threshold=threshold, force=True)
    after = dict(held)
    for t in plan.trades:
        after[t.asset] += t.amount if t.side == "BUY" else -t.amount
    total = sum(values)
    for a in held:
        assert after[a] == pytest.approx(targets[a] * total, abs=1e-6 * total)
    buys = sum(t.amount for t in plan.trades if t.side == "BUY")
    sells = sum(t.amount for t in plan.trades if t.side == "SELL")
    assert buys == pytest.approx(sells, abs=1e-6 * total)
    # turnover = total x sum |drift|
    assert plan.turnover == pytest.approx(total * sum(abs(d) for d in plan.drift.values()), abs=1e-6 * total)
    assert plan.max_drift == pytest.approx(max(abs(d) for d in plan.drift.values()))


@settings(max_examples=200, deadline=None)
@given(values_st, raw_targets_st, st.floats(0.001, 0.3), st.floats(1.0, 500.0))
def test_the_planner_decides_as_the_replays_drift_trigger_does(values, raw, band, price) -> None:  # noqa: ANN001
    """In a replay the drift trigger sees positions x, optimum x* and unit notionals v = price / capital;
    max |x v - x* v| > band is the planner's max |drift| > threshold."""
    from tradesim.triggers.threshold import Drift

    n = len(values)
    total_raw = sum(raw[:n])
    targets = [raw[i] / total_raw for i in range(n)]
    total = sum(values)
    prices = np.full(n, price)
    x, x_star, v = np.array(values) / prices, np.array(targets) * total / prices, prices / total
    plan = plan_rebalance({f"a{i}": values[i] for i in range(n)}, {f"a{i}": targets[i] for i in range(n)},
                          threshold=band)
    assume(abs(plan.max_drift - band) > 1e-9)  # the two sides of the band, not rounding at its edge
    assert plan.rebalance_needed == Drift(band).crossed(x, x_star, v, np.eye(n))
