"""Strategic allocation: profiles, the horizon tilt, mapping classes to tickers, and a replay."""

from __future__ import annotations

import numpy as np
import pytest

from strategies.asset_mix import PROFILES, horizon_adjusted, policy_mix
from strategies.strategic import StrategicAllocation
from tests.allocation.conftest import example, hand_context, held_weights, replay_days, steady


def test_every_profile_sums_to_one_and_gets_more_defensive_down_the_list() -> None:
    for mix in PROFILES.values():
        assert sum(mix.values()) == pytest.approx(1.0)
    equity = {name: mix["us_equity"] + mix["international_equity"] for name, mix in PROFILES.items()}
    assert equity["conservative"] < equity["moderate"] < equity["aggressive"]


def test_horizon_tilt_by_hand() -> None:
    mix = {"us_equity": 0.4, "international_equity": 0.2, "fixed_income": 0.3, "real_estate": 0.1,
           "commodities": 0.0, "cash": 0.0}
    # 25 years: equity x 1.25 -> 0.5, 0.25, 0.3, 0.1, sum 1.15.
    long = horizon_adjusted(mix, 25, 0.25)
    assert long["us_equity"] == pytest.approx(0.5 / 1.15)
    assert long["fixed_income"] == pytest.approx(0.3 / 1.15)
    # 3 years: bonds and cash x 1.25 -> 0.4, 0.2, 0.375, 0.1, sum 1.075.
    short = horizon_adjusted(mix, 3, 0.25)
    assert short["fixed_income"] == pytest.approx(0.375 / 1.075)
    assert short["us_equity"] == pytest.approx(0.4 / 1.075)
    assert horizon_adjusted(mix, 10, 0.25) == mix
    assert horizon_adjusted(mix, 20, 0.25) == mix and horizon_adjusted(mix, 5, 0.25) == mix  # bounds: no tilt


def test_the_example_mix() -> None:
    # Moderate, 25 years, no international, real estate or commodities:
    # 0.35 x 1.25 = 0.4375 US equity, 0.35 fixed income, 0.05 cash; sum 0.8375.
    mix = policy_mix("moderate", None, 25, 0.25, ["international_equity", "real_estate", "commodities"])
    assert mix["us_equity"] == pytest.approx(0.4375 / 0.8375)
    assert mix["fixed_income"] == pytest.approx(0.35 / 0.8375)
    assert mix["cash"] == pytest.approx(0.05 / 0.8375)
    assert mix["real_estate"] == 0.0


def test_weights_split_each_class_equally_and_leave_cash_uninvested() -> None:
    prices = {"A": steady(5, 0.001), "B": steady(5, 0.0), "BOND": steady(5, 0.0002), "X": steady(5, 0.0)}
    # B has no price for the first two days: A carries all of US equity until then.
    prices["B"] = [np.nan, np.nan] + prices["B"][2:]
    ctx, s = hand_context(prices, "strategic", {"mix": {"us_equity": 0.6, "fixed_income": 0.3, "cash": 0.1},
                                                "tickers": {"us_equity": ["A", "B"], "fixed_income": "BOND"}})
    np.testing.assert_allclose(s.weights[0], [0.6, 0.0, 0.3, 0.0])
    np.testing.assert_allclose(s.weights[4], [0.3, 0.3, 0.3, 0.0])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tickers": {"us_equity": "A"}}, "give either profile"),
        ({"profile": "moderate", "mix": {"cash": 1}, "tickers": {}}, "give either profile"),
        ({"profile": "reckless", "tickers": {}}, "unknown profile 'reckless'"),
        ({"profile": "moderate", "tickers": {"us_equity": "A"}}, "'international_equity' has weight 0.15 but no tickers"),
        ({"mix": {"gold": 1.0}, "tickers": {}}, "unknown asset class 'gold'"),
        ({"mix": {"us_equity": 1.0}, "tickers": {"us_equity": "A", "cash": "A"}}, "'A' is in both"),
        ({"mix": {"us_equity": 1.0}, "tickers": {"us_equity": []}}, "needs one or more symbols"),
        ({"mix": {"us_equity": 1.0}, "horizon_years": -1, "tickers": {"us_equity": "A"}}, "horizon_years must be positive"),
        ({"mix": {"us_equity": 1.0}, "exclude": ["us_equity"], "tickers": {}}, "every asset class with a weight is excluded"),
    ],
)
def test_bad_params(params, message) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        StrategicAllocation(**params)


def test_unknown_ticker_is_named() -> None:
    with pytest.raises(ValueError, match="'ZZZ' \\(us_equity\\) is not one of the config's instruments"):
        hand_context({"A": steady(3, 0.0)}, "strategic", {"mix": {"us_equity": 1}, "tickers": {"us_equity": "ZZZ"}})


def test_replay_buys_the_mix_then_rebalances_each_quarter() -> None:
    cfg = example("allocation_strategic.toml", "2019-01-02", "2019-12-31")
    result, days = replay_days(cfg)
    mix = policy_mix("moderate", None, 25, 0.25, ["international_equity", "real_estate", "commodities"])
    traded = [d for d in days if len(d.orders.instrument)]
    # The emergency band makes the first purchase; then the four quarter-end reviews.
    assert [d.reason for d in traded] == ["emergency:drift"] + ["hybrid:review+drift"] * 4
    assert traded[0].t == days[0].t
    # The day after the September review the book stands at the mix (whole shares, one day's moves).
    after = next(d for d in days if d.t == traded[3].t + 1)
    w = held_weights(after, cfg.symbols)
    assert w["SAFE@4%"] == pytest.approx(mix["fixed_income"], abs=0.005)
    assert sum(v for s, v in w.items() if s != "SAFE@4%") == pytest.approx(mix["us_equity"], abs=0.01)
    assert after.cash / after.nav == pytest.approx(mix["cash"], abs=0.01)
    # Each stock holds an equal share of the equity sleeve.
    stocks = [w[s] for s in cfg.symbols if s != "SAFE@4%"]
    assert max(stocks) - min(stocks) < 0.003
