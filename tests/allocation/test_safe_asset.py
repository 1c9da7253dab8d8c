"""The synthetic safe asset: a price compounding at the rate its symbol states."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tradesim.config import parse_config
from tradesim.resolve import source_for
from tradesim.data.synthetic import safe_prices, safe_rate
from tradesim.errors import DataError


def test_symbol_states_the_rate() -> None:
    assert safe_rate("SAFE@4%") == pytest.approx(0.04)
    assert safe_rate("CASH@2.5%") == pytest.approx(0.025)
    assert safe_rate("BILLS@-0.5%") == pytest.approx(-0.005)
    assert safe_rate("AAPL") is None
    assert safe_rate("SAFE@4") is None  # no percent sign: an ordinary symbol
    with pytest.raises(DataError, match="non-positive"):
        safe_rate("SAFE@-100%")


def test_price_is_100_at_the_epoch_and_compounds_act_365() -> None:
    dates = pd.DatetimeIndex(["2000-01-01", "2000-12-31", "2001-01-01", "1999-01-01"])
    p = safe_prices(0.04, dates)
    # 2000 is a leap year: 365 days after 2000-01-01 is 2000-12-31.
    assert p[0] == 100.0
    assert p[1] == pytest.approx(104.0)
    assert p[2] == pytest.approx(100 * 1.04 ** (366 / 365))
    assert p[3] == pytest.approx(100 / 1.04)


def test_source_puts_the_safe_asset_on_the_bundled_trading_days() -> None:
    cfg = parse_config({
        "name": "x", "capital": 1000, "data": {"source": "bundled_with_safe", "dataset": "sp500"},
        "instruments": [{"symbol": "KO"}, {"symbol": "SAFE@3%"}],
        "strategy": {"name": "fixed_weights", "params": {"weights": {"KO": 0.5, "SAFE@3%": 0.5}}},
    })
    bars = source_for(cfg).load(cfg.symbols, date(2020, 1, 1), date(2020, 12, 31))
    assert list(bars.close.columns) == ["KO", "SAFE@3%"]
    assert bars.close["KO"].notna().all() and bars.close["SAFE@3%"].notna().all()
    safe = bars.close["SAFE@3%"].to_numpy()
    days = (bars.close.index[-1] - bars.close.index[0]).days
    assert safe[-1] / safe[0] == pytest.approx(1.03 ** (days / 365))
    assert np.all(np.diff(safe) > 0)
