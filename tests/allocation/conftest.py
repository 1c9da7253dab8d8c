"""Helpers for the allocation tests: tiny markets by hand, and the example configs on short ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from strategies import make_strategy
from strategies.base import StrategyContext
from tradesim.config import PortfolioConfig, load_config, parse_config
from tradesim.data.source import PriceBars
from tradesim.engine import Day
from tradesim.estimates import annual_volatility
from tradesim.market import build_market
from tradesim.replay import ReplayResult, replay

CONFIGS = Path(__file__).resolve().parents[2] / "strategies" / "configs"


def example(name: str, start: str, end: str, **overrides: Any) -> PortfolioConfig:
    """An example config from strategies/configs on a short date range."""
    return load_config(CONFIGS / name, start=start, end=end, **overrides)


def replay_days(cfg: PortfolioConfig) -> tuple[ReplayResult, list[Day]]:
    """The real replay, in memory, keeping every day's record."""
    days: list[Day] = []
    return replay(cfg, None, fail_on=days.append), days


def hand_context(prices: dict[str, list[float]], strategy: str, params: dict, capital: float = 1000.0,
                 start: str = "2021-01-04") -> tuple[StrategyContext, Any]:
    """A strategy prepared on a hand-made price table (business days from ``start``)."""
    dates = pd.bdate_range(start, periods=len(next(iter(prices.values()))))
    close = pd.DataFrame(prices, index=dates, dtype=float)
    cfg = parse_config({"name": "hand", "capital": capital, "instruments": [{"symbol": s} for s in prices],
                        "strategy": {"name": strategy, "params": params}})
    market = build_market(cfg, PriceBars(close=close))
    returns = market.percentage_returns()
    ctx = StrategyContext(market, cfg, returns, annual_volatility(returns))
    strat = make_strategy(strategy, params)
    strat.prepare(ctx)
    return ctx, strat


def held_weights(day: Day, symbols: tuple[str, ...]) -> dict[str, float]:
    """Each holding's value as a fraction of NAV at the day's close."""
    value = day.positions * day.prices * day.fx
    return dict(zip(symbols, (value / day.nav).tolist()))


def steady(n: int, daily: float, start: float = 100.0) -> list[float]:
    return list(start * (1 + daily) ** np.arange(n))
