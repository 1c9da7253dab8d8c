"""Historical costs deflated by price volatility ([costs] deflate_by_volatility)."""

import numpy as np
import pytest

from tradesim.config import load_config
from tradesim.costs import volatility_deflator
from tradesim.errors import ConfigError
from tradesim.engine import Engine
from tradesim.replay import load_market


def test_the_deflator_is_the_rolling_std_of_price_changes_over_its_last_value():
    # Price changes alternate +-1 for 30 days, then +-2: the std of the last 20 changes
    # (window 20 here) is 2 at the end, so early days pay half the final cost.
    changes = np.array([1.0, -1.0] * 15 + [2.0, -2.0] * 15)
    close = np.concatenate([[100.0], 100.0 + np.cumsum(changes)])[:, None]
    factor = volatility_deflator(close, window=20)
    std = lambda x: np.std(x, ddof=1)  # noqa: E731
    final = std(changes[-20:])
    assert factor[-1, 0] == pytest.approx(1.0)
    assert factor[20, 0] == pytest.approx(std(changes[:20]) / final)  # the first full window
    assert factor[0, 0] == pytest.approx(factor[20, 0])  # before 20 changes: the first estimate
    assert factor[40, 0] == pytest.approx(std(changes[20:40]) / final)


def test_a_flat_price_keeps_its_cost():
    assert volatility_deflator(np.full((50, 1), 10.0))[:, 0].tolist() == [1.0] * 50


def test_fills_and_the_optimiser_pay_the_deflated_cost():
    base = load_config(None, capital=1_000_000, start="2020-01-02", end="2020-01-10")
    deflated = base.model_copy(update={"costs": base.costs.model_copy(update={"deflate_by_volatility": True})})
    market = load_market(base)
    factor = volatility_deflator(market.close)
    assert not np.allclose(factor[-10:], 1.0)  # a real scaling, not a no-op
    plain, scaled = Engine(base, market), Engine(deflated, market)
    assert np.allclose(scaled.unit_cost, plain.unit_cost * factor, equal_nan=True)
    first = int(market.dates.searchsorted(np.datetime64("2020-01-02")))
    books = [e.opening_book(first) for e in (plain, scaled)]
    for t in (first, first + 1):  # day 1 decides on x* alone (no prior: no cost term); day 2 fills it
        (books[0], day_plain), (books[1], day_scaled) = plain.step(books[0], t), scaled.step(books[1], t)
    assert day_plain.fills.instrument.tolist() == day_scaled.fills.instrument.tolist()
    assert len(day_plain.fills.instrument) > 0
    idx = day_plain.fills.instrument
    assert np.allclose(day_scaled.fills.commission, day_plain.fills.commission * factor[first + 1, idx])
    assert np.allclose(day_scaled.fills.slippage, day_plain.fills.slippage * factor[first + 1, idx])


def test_deflation_is_set_for_the_whole_portfolio(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\ncapital = 1000\n[strategy]\nname = "buy_and_hold_risk_parity"\n'
                    '[[instruments]]\nsymbol = "AAPL"\n[instruments.costs]\ndeflate_by_volatility = true\n')
    with pytest.raises(ConfigError, match=r"p.toml: field '\(top level\)': instrument 'AAPL': "
                                          r"costs.deflate_by_volatility is set in \[costs\]"):
        load_config(path)
