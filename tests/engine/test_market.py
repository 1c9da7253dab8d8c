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
