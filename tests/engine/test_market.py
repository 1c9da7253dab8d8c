"""Aligning prices: FX that starts late, and the sanity limit on daily moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradesim.config import parse_config
from tradesim.data.source import PriceBars
from tradesim.errors import DataError
from tradesim.market import build_market

RAW = {
    "name": "m", "capital": 1000,
    "strategy": {"name": "fixed_weights", "params": {"weights": {"EEE": 0.5}}},
    "instruments": [{"symbol": "EEE", "currency": "EUR"}, {"symbol": "UUU"}],
}
DAYS = pd.DatetimeIndex(pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]))


def bars(eee: list[float], fx: list[float]) -> PriceBars:
    close = pd.DataFrame({"EEE": eee, "UUU": [10.0, 10.5, 10.2, 10.4]}, index=DAYS)
    return PriceBars(close=close, fx=pd.DataFrame({"EURUSD": fx}, index=DAYS))


def test_days_before_the_fx_series_starts_are_days_without_a_price() -> None:
    market = build_market(parse_config(RAW), bars([100, 101, 102, 103], [np.nan, np.nan, 1.1, 1.2]))
    assert market.has_price[:, 0].tolist() == [False, False, True, True]
    assert market.has_price[:, 1].all()
    np.testing.assert_allclose(market.fx[2:, 0], [1.1, 1.2])


def test_a_move_beyond_the_sanity_limit_names_instrument_and_date() -> None:
    with pytest.raises(DataError, match=r"instrument 'EEE' on 2024-01-04: a move of \+100% in a day"):
        build_market(parse_config(RAW), bars([100, 101, 202, 203], [1.1] * 4))
    relaxed = parse_config({**RAW, "data": {"max_daily_move": 1.5}})
    assert build_market(relaxed, bars([100, 101, 202, 203], [1.1] * 4)).has_price.all()


def test_actions_land_on_the_session_of_their_ex_date_and_returns_are_total_returns() -> None:
    from tradesim.data.actions import actions_frame

    raw = {**RAW, "instruments": [{"symbol": "EEE"}, {"symbol": "UUU"}]}
    close = pd.DataFrame({"EEE": [100.0, 50.0, 49.0, 49.0], "UUU": [10.0, 10.5, 10.2, 10.4]}, index=DAYS)
    actions = actions_frame([
        ("EEE", "2024-01-03", "split", 2.0, None),
        ("UUU", "2024-01-04", "dividend", 0.25, None),
        ("UUU", "2024-01-06", "dividend", 0.25, None),  # a Saturday after the data: not yet
        ("UUU", "2024-01-02", "split", 3.0, None),  # on the first day: already in its price
    ])
    market = build_market(parse_config(raw), PriceBars(close=close, actions=actions))
    assert market.split[:, 0].tolist() == [1.0, 2.0, 1.0, 1.0] and market.split[:, 1].tolist() == [1.0] * 4
    assert market.dividend[:, 1].tolist() == [0.0, 0.0, 0.25, 0.0]
    returns = market.percentage_returns()
    np.testing.assert_allclose(returns[1:, 0], [50.0 * 2 / 100 - 1, 49 / 50 - 1, 0.0])
    np.testing.assert_allclose(returns[1:, 1], [10.5 / 10 - 1, (10.2 + 0.25) / 10.5 - 1, 10.4 / 10.2 - 1])


def test_a_dividend_without_a_pay_date_stops_a_pay_date_account_naming_it() -> None:
    from tradesim.data.actions import actions_frame

    raw = {**RAW, "instruments": [{"symbol": "EEE"}, {"symbol": "UUU"}], "dividends": {"credit_on": "pay_date"}}
    close = pd.DataFrame({"EEE": [100.0, 101.0, 102.0, 103.0], "UUU": [10.0, 10.5, 10.2, 10.4]}, index=DAYS)
    actions = actions_frame([("UUU", "2024-01-04", "dividend", 0.25, None)])
    with pytest.raises(DataError, match=r"^instrument 'UUU': the dividend with ex-date 2024-01-04 has no pay date "
                                        r"\(dividends.credit_on = \"pay_date\" needs one\)$"):
        build_market(parse_config(raw), PriceBars(close=close, actions=actions))


def test_without_opens_the_market_holds_one_nan_not_a_table() -> None:
    """Futures and closes-only files have no opens: ``open`` reads NaN everywhere from a single
    value (Jumbo's would be 6.7 MB of NaN), and refuses writes."""
    market = build_market(parse_config(RAW), bars([100, 101, 102, 103], [1.1] * 4))
    assert market.open.shape == market.close.shape and np.isnan(market.open).all()
    assert market.open.strides == (0, 0) and not market.open.flags.writeable
    assert np.isnan(market.slice(1, 3).open).all()
