"""Tactical overlay: scores against history, the capped tilt and its 70/30 offset, indicator files, logging, a replay."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from strategies.asset_mix import ASSET_CLASSES
from strategies.base import AccountView
from strategies.tactical import TacticalOverlay, history_score, read_indicator, tilted_mix
from tradesim.errors import DataError
from tests.allocation.conftest import example, hand_context, held_weights, replay_days, steady

MIX = {c: 0.0 for c in ASSET_CLASSES} | {"us_equity": 0.5, "fixed_income": 0.4, "cash": 0.1}


def test_score_against_history_by_hand() -> None:
    x = np.array([np.nan, 1.0, 2.0, 3.0, 2.0, 10.0])
    s = history_score(x, min_history=3, z_scale=2.0)
    assert np.isnan(s[:3]).all()  # fewer than 3 observations
    # t=3: history 1, 2, 3: mean 2, sd 1, z = 1 -> -0.5
    assert s[3] == pytest.approx(-0.5)
    # t=4: history 1, 2, 3, 2: mean 2 -> z = 0
    assert s[4] == pytest.approx(0.0)
    # t=5: history 1, 2, 3, 2, 10: mean 3.6, sd sqrt(53.2 / 4), z = 6.4 / sd
    assert s[5] == pytest.approx(-(6.4 / np.sqrt(13.3)) / 2)
    # far above a longer history: the score is capped at -1
    long = np.r_[np.tile([1.0, 2.0, 3.0], 10), 30.0]
    assert history_score(long, 3, 2.0)[-1] == -1.0
    # a flat history stretches nothing
    assert history_score(np.ones(5), 3, 2.0)[4] == 0.0


def test_tilt_moves_equity_against_bonds_and_cash_70_30() -> None:
    w = tilted_mix(MIX, np.array([0.1, -0.1, 0.0]), bond_share=0.7)
    np.testing.assert_allclose(w["us_equity"], [0.6, 0.4, 0.5])
    np.testing.assert_allclose(w["fixed_income"], [0.33, 0.47, 0.4])
    np.testing.assert_allclose(w["cash"], [0.07, 0.13, 0.1])
    # A tilt bigger than the cash: cash floors at zero, then all is renormalised.
    big = tilted_mix(MIX, np.array([0.4]), bond_share=0.7)
    # 0.9, 0.12, -0.02 -> 0.9, 0.12, 0 over 1.02
    assert big["us_equity"][0] == pytest.approx(0.9 / 1.02)
    assert big["cash"][0] == 0.0
    assert sum(v[0] for v in big.values()) == pytest.approx(1.0)


def test_equity_tilt_splits_pro_rata_across_equity_classes() -> None:
    mix = {c: 0.0 for c in ASSET_CLASSES} | {"us_equity": 0.3, "international_equity": 0.1, "fixed_income": 0.6}
    w = tilted_mix(mix, np.array([0.08]), bond_share=1.0)
    assert w["us_equity"][0] == pytest.approx(0.36) and w["international_equity"][0] == pytest.approx(0.12)
    assert w["fixed_income"][0] == pytest.approx(0.52)


def write_indicator(path, dates, values) -> str:  # noqa: ANN001
    pd.DataFrame({"date": dates, "value": values}).to_csv(path, index=False)
    return str(path)


def test_indicator_file_is_read_as_of_each_day(tmp_path) -> None:  # noqa: ANN001
    path = write_indicator(tmp_path / "cape.csv", ["2021-01-05", "2021-01-07"], [30.0, 35.0])
    days = pd.bdate_range("2021-01-04", periods=5)
    out = read_indicator(path, "valuation", days)
    assert np.isnan(out[0]) and out[1:].tolist() == [30.0, 30.0, 35.0, 35.0]


def test_bad_indicator_file(tmp_path) -> None:  # noqa: ANN001
    days = pd.bdate_range("2021-01-04", periods=3)
    (tmp_path / "bad.csv").write_text("date,value\n2021-01-04,1\n2021-01-05,high\n")
    # Read as price files are: the error names the file, the column and the date.
    with pytest.raises(DataError, match="bad.csv: instrument 'value' on 2021-01-05: price 'high' is not a number"):
        read_indicator(tmp_path / "bad.csv", "valuation", days)
    (tmp_path / "wide.csv").write_text("date,a,b\n2021-01-04,1,2\n")
    with pytest.raises(ValueError, match="two columns \\(date, value\\), found 3"):
        read_indicator(tmp_path / "wide.csv", "valuation", days)
    with pytest.raises(ValueError, match="valuation indicator file .* not found"):
        read_indicator(tmp_path / "nope.csv", "valuation", days)


def test_tilt_is_capped_and_logged_with_its_signals(tmp_path, caplog) -> None:  # noqa: ANN001
    n = 8
    dates = pd.bdate_range("2021-01-04", periods=n)
    # Valuation and recession probability both climb steadily: each new value is the highest yet.
    cape = write_indicator(tmp_path / "cape.csv", dates, [20, 21, 22, 23, 24, 25, 40, 60])
    recession = write_indicator(tmp_path / "rec.csv", dates, [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.95])
    params = {"mix": {"us_equity": 0.5, "fixed_income": 0.4, "cash": 0.1},
              "tickers": {"us_equity": "A", "fixed_income": "BOND"},
              "indicators": {"valuation": cape, "recession": recession}, "max_deviation": 0.1, "min_history": 3}
    ctx, s = hand_context({"A": steady(n, 0.001), "BOND": steady(n, 0.0001)}, "tactical", params)
    log = s.tilt_log
    assert np.isnan(log["valuation_score"].iloc[:2]).all() and log["tilt"].iloc[0] == 0.0
    # t=2: valuation history 20, 21, 22: z = 1 -> -0.5; recession flat -> 0; tilt 0.1 x -0.25
    assert log["valuation_score"].iloc[2] == pytest.approx(-0.5)
    assert log["recession_score"].iloc[2] == 0.0
    assert log["tilt"].iloc[2] == pytest.approx(-0.025)
    # The jump at t=6 pushes both scores to -1: the tilt is capped at the maximum deviation.
    assert log["tilt"].iloc[6] == pytest.approx(-0.1)
    np.testing.assert_allclose(s.weights[6], [0.4, 0.47])  # 0.4 equity, 0.4 + 0.07 bonds, cash 0.13 uninvested
    view = AccountView(1000.0, 1000.0, np.zeros(2), np.zeros(2))
    with caplog.at_level(logging.INFO, logger="strategies.tactical"):
        for t in range(n):
            s.target_weights(t, view)
    assert "tactical tilt -10.00%" in caplog.text and "valuation_score -1" in caplog.text
    assert [r["tilt"] for r in s.logged][:2] == [0.0, pytest.approx(-0.025)]
    assert all(abs(r["tilt"]) <= 0.1 + 1e-12 for r in s.logged)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"indicators": {"momentum": "prices"}}, "unknown indicator 'momentum'"),
        ({"indicators": {"valuation": "prices"}}, "'valuation' cannot be derived from prices"),
        ({"indicators": {}}, "at least one indicator"),
        ({"max_deviation": 1.5}, "max_deviation must be between 0 and 1"),
        ({"bond_share": -0.1}, "bond_share must be between 0 and 1"),
        ({"tickers": {"fixed_income": "BOND"}, "mix": {"fixed_income": 1.0}}, "needs instruments mapped to us_equity"),
    ],
)
def test_bad_params(params, message) -> None:  # noqa: ANN001
    base = {"mix": {"us_equity": 0.6, "fixed_income": 0.4}, "tickers": {"us_equity": "A", "fixed_income": "BOND"}}
    with pytest.raises(ValueError, match=message):
        TacticalOverlay(**(base | params))


def test_replay_through_2008_tilts_away_from_equity() -> None:
    cfg = example("allocation_tactical.toml", "2008-09-02", "2008-12-31")
    result, days = replay_days(cfg)
    # Volatility and drawdown both far above their history: the tilt sits at -10 points.
    last = days[-1]
    w = held_weights(last, cfg.symbols)
    equity = sum(v for s, v in w.items() if s != "SAFE@4%")
    strategic_equity = 0.4375 / 0.8375
    assert equity < strategic_equity - 0.05
    assert result.summary.trades > 0
