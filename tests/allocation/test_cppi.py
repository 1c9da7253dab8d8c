"""CPPI: exposure by hand, its bounds on any NAV path, the breach, and a replay through a crash."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.base import AccountView
from strategies.cppi import CPPI, risky_fraction
from tradesim.config import load_config, parse_config
from tradesim.errors import ConfigError
from tests.allocation.conftest import example, hand_context, held_weights, replay_days, steady


def account(nav: float, n: int = 3) -> AccountView:
    return AccountView(nav, nav, np.zeros(n), np.zeros(n))


def test_exposure_by_hand() -> None:
    # V 100, F 80, m 3: cushion 20, exposure 60.
    assert risky_fraction(100, 80, 3, 1.0) == pytest.approx(0.6)
    # V 120: 3 x 40 = 120 > 100% of 120: capped.
    assert risky_fraction(120, 80, 3, 1.0) == 1.0
    assert risky_fraction(120, 80, 3, 0.7) == 0.7
    assert risky_fraction(80, 80, 3, 1.0) == 0.0
    assert risky_fraction(-5, 80, 3, 1.0) == 0.0


def test_targets_split_risky_equally_and_put_the_rest_in_safe() -> None:
    ctx, cppi = hand_context({"A": steady(5, 0.0), "B": steady(5, 0.0), "SAFE": steady(5, 0.0001)},
                             "cppi", {"risky": ["A", "B"], "safe": "SAFE", "floor": 0.8, "multiplier": 3},
                             capital=1000.0)
    # NAV 1000, floor 800: risky 60%, 30% each; safe 40%.
    np.testing.assert_allclose(cppi.target_weights(0, account(1000)), [0.3, 0.3, 0.4])
    # NAV 900: cushion 100, exposure 300 / 900.
    np.testing.assert_allclose(cppi.target_weights(1, account(900)), [1 / 6, 1 / 6, 2 / 3])


def test_ratchet_raises_the_floor_with_the_peak_and_never_lowers_it() -> None:
    ctx, cppi = hand_context({"A": steady(4, 0.0), "SAFE": steady(4, 0.0001)}, "cppi",
                             {"risky": ["A"], "safe": "SAFE", "floor": 0.8, "multiplier": 2, "ratchet": True})
    cppi.target_weights(0, account(1000, 2))
    cppi.target_weights(1, account(1500, 2))  # peak 1500: floor 1200
    w = cppi.target_weights(2, account(1400, 2))
    assert cppi.floor_value() == pytest.approx(1200)
    assert w[0] == pytest.approx(2 * 200 / 1400)


def test_breach_moves_everything_safe_for_good_and_is_reported(caplog) -> None:  # noqa: ANN001
    ctx, cppi = hand_context({"A": steady(5, 0.0), "SAFE": steady(5, 0.0001)}, "cppi",
                             {"risky": ["A"], "safe": "SAFE", "floor": 0.9, "multiplier": 5})
    assert cppi.target_weights(0, account(1000, 2))[0] == pytest.approx(0.5)
    with caplog.at_level(logging.WARNING, logger="strategies.cppi"):
        w = cppi.target_weights(1, account(890, 2))
    assert w.tolist() == [0.0, 1.0]
    assert cppi.breach is not None and cppi.breach.nav == 890 and cppi.breach.floor == pytest.approx(900)
    assert cppi.breach.date == ctx.market.dates[1]
    assert "CPPI floor breached" in caplog.text and "890.00" in caplog.text
    # The market recovers: still nothing risky.
    assert cppi.target_weights(2, account(2000, 2)).tolist() == [0.0, 1.0]
    assert cppi.path_frame()["risky_fraction"].tolist() == [0.5, 0.0, 0.0]


def test_without_a_safe_asset_the_rest_is_cash() -> None:
    ctx, cppi = hand_context({"A": steady(3, 0.0)}, "cppi", {"risky": "A", "floor": 0.8, "multiplier": 3})
    assert cppi.target_weights(0, account(1000, 1)).tolist() == pytest.approx([0.6])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"risky": []}, "at least one risky"),
        ({"risky": ["A"], "safe": "A"}, "both risky and safe"),
        ({"risky": ["A"], "floor": 1.0}, r"floor must be a fraction of value in \[0, 1\)"),
        ({"risky": ["A"], "multiplier": 0}, "multiplier must be positive"),
        ({"risky": ["A"], "max_exposure": 1.5}, "no borrowing"),
    ],
)
def test_bad_params(params, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        CPPI(**params)


def test_unknown_instrument_is_named() -> None:
    with pytest.raises(ValueError, match="'XYZ' is not one of the config's instruments"):
        hand_context({"A": steady(3, 0.0)}, "cppi", {"risky": ["XYZ"]})


def test_params_are_checked_when_the_config_loads() -> None:
    with pytest.raises(ConfigError, match="strategy.params.*multiplier must be positive"):
        parse_config({"name": "x", "capital": 1, "instruments": [{"symbol": "A"}],
                      "strategy": {"name": "cppi", "params": {"risky": ["A"], "multiplier": -1}}})


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.0, 3000.0), min_size=1, max_size=40),
    st.floats(0.0, 0.99), st.floats(0.1, 10.0), st.floats(0.05, 1.0), st.booleans(),
)
def test_exposure_stays_in_zero_to_cap_and_is_zero_after_a_breach(navs, floor, m, cap, ratchet) -> None:  # noqa: ANN001
    n = len(navs)
    ctx, cppi = hand_context({"A": steady(n, 0.001), "B": steady(n, -0.001), "SAFE": steady(n, 0.0001)}, "cppi",
                             {"risky": ["A", "B"], "safe": "SAFE", "floor": floor, "multiplier": m,
                              "max_exposure": cap, "ratchet": ratchet})
    floors = []
    for t, nav in enumerate(navs):
        w = cppi.target_weights(t, account(nav))
        risky = w[0] + w[1]
        assert -1e-12 <= risky <= cap + 1e-12
        assert w[2] == pytest.approx(1 - risky)
        if cppi.breach is not None:
            assert risky == 0.0
        floors.append(cppi.floor_value())
    assert all(b >= a for a, b in zip(floors, floors[1:]))  # the floor never falls
    first_breach = next((t for t, nav in enumerate(navs) if nav <= floors[t]), None)
    assert (cppi.breach is None) == (first_breach is None)


CRASH_CONFIG = """
name = "cppi-crash"
capital = 100000
[data]
source = "csv"
path = "prices.csv"
[strategy]
name = "cppi"
params = {risky = ["A"], safe = "SAFE", floor = 0.8, multiplier = 3.0}
[optimiser]
method = "round"
[fills]
timing = "next"
[[instruments]]
symbol = "A"
[[instruments]]
symbol = "SAFE"
"""


def test_replay_through_a_crash_breaches_then_holds_nothing_risky(tmp_path) -> None:  # noqa: ANN001
    # A sits at 100, loses 40% on day 10 and then recovers past 100; SAFE creeps up.
    n = 30
    a = np.r_[np.full(10, 100.0), np.full(10, 60.0), np.full(10, 105.0)]
    safe = 50 * 1.0001 ** np.arange(n)
    dates = pd.bdate_range("2021-01-04", periods=n)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "A": a, "SAFE": safe}).to_csv(tmp_path / "prices.csv", index=False)
    (tmp_path / "cppi.toml").write_text(CRASH_CONFIG)
    cfg = load_config(tmp_path / "cppi.toml")
    result, days = replay_days(cfg)
    # Day 0 decides 60% in A (600 shares at 100), filled at day 1's close.
    assert days[1].positions[0] == 600
    # Day 10: A at 60 -> NAV = 100,000 - 600 x 40 + the safe asset's few dollars < the floor of 80,000.
    assert days[10].nav < 80_000
    # Everything risky is sold the next day and never bought back, though A recovers.
    for d in days[11:]:
        assert d.positions[0] == 0
    assert held_weights(days[-1], cfg.symbols)["SAFE"] > 0.99
    assert result.summary.end_nav == pytest.approx(days[-1].nav)


def test_example_config_replays_2008_within_its_bounds() -> None:
    cfg = example("allocation_cppi.toml", "2008-06-02", "2008-12-31")
    result, days = replay_days(cfg)
    risky = [s for s in cfg.symbols if s != "SAFE@3%"]
    for d in days:
        w = held_weights(d, cfg.symbols)
        assert -1e-9 <= sum(w[s] for s in risky) <= 1.0 + 1e-3  # whole shares: a little rounding
    # The ratchet kept the drawdown inside the 20% cushion.
    assert result.summary.max_drawdown > -0.2
    assert result.summary.trades > 0
