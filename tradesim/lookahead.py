"""``tradesim check lookahead``: does a strategy's decision at day t use prices after t?

For each of a spread of days t, the whole replay machinery runs twice more: with the
prices ending at t (what paper trading sees on day t), and with every price after t
replaced (the real future multiplied by a random walk: same gaps, same signs, different
moves). The target weights the strategy gave on every day up to t are compared with
those it gave on the real prices. Any difference is look-ahead: a weight that knew
something about the future. The check steps the same ``Engine`` as a replay,
so the strategy sees the same context and the same account; positions are left
unrounded (``[optimiser] method = "none"``), which is cheaper and changes nothing the
strategy may legitimately see except its own account's path, identically in both runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from strategies import make_strategy
from tradesim.engine import Engine
from tradesim.market import Market
from tradesim.schema import PortfolioConfig

# Weights equal to this (absolute, or relative to their size) are the same weight: the
# estimates' vectorised sums may round the last bit differently over a longer array.
TOLERANCE = 1e-9
NOISE = 0.02  # daily standard deviation of the random walk that replaces the future


@dataclass(frozen=True)
class Leak:
    cut: str  # the day t after which prices were removed or replaced
    future: str  # "removed" or "replaced"
    day: str  # the day, up to t, whose weight changed
    symbol: str
    weight: float  # with the real prices
    weight_without: float  # with the prices after t removed or replaced


@dataclass(frozen=True)
class LookaheadReport:
    cuts: list[str]
    days_checked: int
    leaks: list[Leak]  # per cut and kind of future, the first differing day and instrument
    notes: list[str]  # replaced futures the strategy refused (an error of its own on made-up prices)


def cut_days(first: int, n_days: int, count: int) -> list[int]:
    """``count`` days spread evenly from ``first`` to the last day with a day after it."""
    last = n_days - 2
    if last < first:
        return []
    return sorted({int(round(x)) for x in np.linspace(first, last, num=min(count, last - first + 1))})


def with_future_replaced(market: Market, t: int, seed: int) -> Market:
    """``market`` with every price after day t multiplied by a random walk starting at 1 on day t."""
    rng = np.random.default_rng(seed)
    walk = np.ones((market.n_days, market.n_instruments))
    walk[t + 1:] = np.exp(np.cumsum(rng.normal(0.0, NOISE, (market.n_days - t - 1, market.n_instruments)), axis=0))
    changed = {name: getattr(market, name) * walk for name in ("close", "open", "contract_price", "fx")}
    if market.carry_price is not None:
        changed["carry_price"] = market.carry_price * walk
    return replace(market, **changed)


class _Recorder:
    """The strategy, passing its weights through and keeping a copy of each day's."""

    def __init__(self, strategy, n_days: int, n: int) -> None:  # noqa: ANN001
        self.strategy = strategy
        self.weights = np.full((n_days, n), np.nan)

    def target_weights(self, t: int, account):  # noqa: ANN001, ANN201
        w = self.strategy.target_weights(t, account)
        self.weights[t] = w
        return w


def _weights(config: PortfolioConfig, market: Market, first: int, last: int) -> np.ndarray:
    """Target weights of days first..last (inclusive) from a replay of ``market``."""
    engine = Engine(config, market, strategy=make_strategy(config.strategy.name, config.strategy.params))
    recorder = _Recorder(engine.strategy, market.n_days, market.n_instruments)
    engine.strategy = recorder
    book = engine.opening_book(first)
    for t in range(first, last + 1):
        book, _ = engine.step(book, t)
    return recorder.weights


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= TOLERANCE * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    return ~(both_nan | close)


def check_lookahead(config: PortfolioConfig, market: Market, first: int, count: int = 8, seed: int = 0,
                    on_cut: Callable[[int, int], None] | None = None) -> LookaheadReport:
    """Replay from day ``first`` with the future after each of ``count`` days removed, then replaced;
    report the weights up to each cut that changed."""
    from tradesim.errors import TradesimError

    config = config.model_copy(update={"optimiser": config.optimiser.model_copy(update={"method": "none"})})
    cuts = cut_days(first, market.n_days, count)
    real = _weights(config, market, first, cuts[-1]) if cuts else None
    leaks, notes = [], []
    for k, t in enumerate(cuts):
        day = str(market.dates[t].date())
        futures = {"removed": lambda: market.slice(0, t + 1),
                   "replaced": lambda: with_future_replaced(market, t, seed + k)}
        for future, other_market in futures.items():
            try:
                other = _weights(config, other_market(), first, t)
            except TradesimError as exc:
                if future == "removed":
                    raise  # the prices up to t are real: the strategy's error is a real one
                notes.append(f"after {day}, the strategy refused the replaced prices: {exc}")
                continue
            diff = _differs(real[first:t + 1], other[first:t + 1])
            if diff.any():
                i, j = np.argwhere(diff)[0]
                leaks.append(Leak(day, future, str(market.dates[first + i].date()), market.symbols[j],
                                  float(real[first + i, j]), float(other[first + i, j])))
        if on_cut is not None:
            on_cut(k + 1, len(cuts))
    days = (cuts[-1] - first + 1) if cuts else 0
    return LookaheadReport([str(market.dates[t].date()) for t in cuts], days, leaks, notes)
