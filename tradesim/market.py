"""Prices aligned into arrays over (day, instrument): what the daily loop reads.

The loop body is numpy on rows of these arrays; nothing in it touches pandas.
``close`` is forward-filled for valuation only; ``has_price`` says where a real
price exists, and only there may an instrument trade or feed an estimate.

With corporate actions (as-traded prices), ``split`` and ``dividend`` hold each
action on the session of its ex-date, and returns are total returns: a holder of
one share at yesterday's close has ``split`` shares today, each worth the close
plus the dividend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tradesim.allocator import release_free_memory
from tradesim.data.source import PriceBars
from tradesim.errors import DataError
from tradesim.schema import PortfolioConfig


@dataclass(frozen=True)
class Market:
    dates: pd.DatetimeIndex  # (T,)
    symbols: tuple[str, ...]  # (N,)
    close: np.ndarray  # (T, N) forward-filled, NaN before an instrument's first price
    has_price: np.ndarray  # (T, N) bool: a real price was observed that day
    open: np.ndarray  # (T, N) NaN where the source has no open
    contract_price: np.ndarray  # (T, N) price of the held contract (= close for stocks)
    fx: np.ndarray  # (T, N) value in the base currency of one unit of the instrument's currency
    multiplier: np.ndarray  # (N,)
    is_future: np.ndarray  # (N,) bool: margined (P&L settles daily) rather than bought with cash
    asset_class: tuple[str, ...]
    currency: tuple[str, ...]
    carry_price: np.ndarray | None = None
    contract: np.ndarray | None = None
    carry_contract: np.ndarray | None = None
    split: np.ndarray | None = None  # (T, N) new shares per old share on ex-dates, 1 elsewhere
    dividend: np.ndarray | None = None  # (T, N) cash per share (post-split) on ex-dates, 0 elsewhere
    dividend_pay: np.ndarray | None = None  # (T, N) datetime64[D] pay date of that dividend, NaT unknown
    load_warnings: tuple[str, ...] = ()  # what loading the prices warned about (each run using them counts them)

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def n_instruments(self) -> int:
        return len(self.symbols)

    def percentage_returns(self) -> np.ndarray:
        """Daily returns as a fraction of the held price; NaN where either day lacks a real price.

        For futures the numerator is the back-adjusted change and the denominator
        the held contract's previous price, never a ratio of back-adjusted prices
        (which can be negative).
        """
        r = np.full(self.close.shape, np.nan)
        valid = self.has_price[1:] & self.has_price[:-1]
        today = self.close[1:]
        if self.split is not None:
            today = (today + self.dividend[1:]) * self.split[1:]
        diff = today - self.close[:-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            r[1:] = np.where(valid, diff / self.contract_price[:-1], np.nan)
        return r

    def slice(self, start: int, stop: int) -> "Market":
        """Days [start, stop): used by tests that perturb the future."""
        arr = lambda a: None if a is None else a[start:stop]  # noqa: E731
        return Market(
            self.dates[start:stop], self.symbols, self.close[start:stop], self.has_price[start:stop],
            self.open[start:stop], self.contract_price[start:stop], self.fx[start:stop], self.multiplier,
            self.is_future, self.asset_class, self.currency, arr(self.carry_price), arr(self.contract),
            arr(self.carry_contract), arr(self.split), arr(self.dividend), arr(self.dividend_pay),
        )


def _fx_for(fx: pd.DataFrame, currency: str, base: str, index: pd.DatetimeIndex, symbol: str) -> np.ndarray:
    if currency == base:
        return np.ones(len(index))
    direct, inverse = f"{currency}{base}", f"{base}{currency}"
    if direct in fx.columns:
        series = fx[direct]
    elif inverse in fx.columns:
        series = 1.0 / fx[inverse]
    else:
        raise DataError(f"instrument {symbol!r}: no FX rate {direct} for its currency {currency}")
    # FX is a valuation input: carry the last known rate over days the FX market is shut.
    return series.reindex(index.union(series.index)).ffill().reindex(index).to_numpy(dtype=float)


def build_market(config: PortfolioConfig, bars: PriceBars, sessions: pd.DatetimeIndex | None = None) -> Market:
    """Align ``bars`` into arrays; with ``sessions`` (paper trading), one row per exchange
    session, so a session the data lacks is a row without prices (held, not traded)."""
    symbols = config.symbols
    close_df = bars.close.reindex(columns=list(symbols))
    priced = close_df.notna().any(axis=1).to_numpy()
    if not priced.all():  # (a mask keeping every row would still copy the table)
        close_df = close_df.loc[priced]
    if sessions is not None and not close_df.empty:
        close_df = close_df.reindex(sessions[sessions >= close_df.index[0]])
    if close_df.empty:
        raise DataError(f"no prices for {', '.join(symbols)} between {config.start or 'the start'} and {config.end or 'the end'}")
    index = pd.DatetimeIndex(close_df.index)
    raw = close_df.to_numpy(dtype=float)
    for j, inst in enumerate(config.instruments):
        if inst.kind == "stock":
            bad = raw[:, j] <= 0
            if bad.any():
                when = index[np.flatnonzero(bad)[0]].date()
                raise DataError(f"instrument {inst.symbol!r} on {when}: non-positive price {raw[bad, j][0]}")
    has_price = ~np.isnan(raw)
    close = pd.DataFrame(raw, copy=False).ffill().to_numpy()  # (ffill makes the one copy)

    def aligned(frame: pd.DataFrame | None, ffill: bool) -> np.ndarray | None:
        if frame is None:
            return None
        out = frame.reindex(index=index, columns=list(symbols))
        return (out.ffill() if ffill else out).to_numpy(dtype=float)

    opens = aligned(bars.open, ffill=False)
    contract_price = aligned(bars.contract_price, ffill=True)
    if contract_price is None:
        contract_price = close
    else:
        # Stocks have no held-contract series: their sizing price is their close. A future
        # without a held-contract price (before its multiple prices start) stays unsized:
        # its back-adjusted close is no price to size by (it can be negative).
        is_stock = np.array([i.kind == "stock" for i in config.instruments])
        contract_price = np.where(np.isnan(contract_price) & ~np.isnan(close) & is_stock, close, contract_price)
    rates: dict[str, np.ndarray] = {}  # one series per currency, not per instrument (Jumbo: 12 for 123)
    for i in config.instruments:
        if i.currency not in rates:
            rates[i.currency] = _fx_for(bars.fx, i.currency, config.base_currency, index, i.symbol)
    fx = np.column_stack([rates[i.currency] for i in config.instruments])
    del rates
    # Before its FX series starts an instrument cannot be valued in the base currency:
    # those days count as days without a price (not traded, never held).
    has_price &= ~np.isnan(fx)
    market = Market(
        dates=index,
        symbols=symbols,
        close=close,
        has_price=has_price,
        # No opens (futures, closes-only files): one NaN seen at every cell, not a table of them.
        open=opens if opens is not None else np.broadcast_to(np.float64(np.nan), raw.shape),
        contract_price=contract_price,
        fx=fx,
        multiplier=np.array([i.multiplier for i in config.instruments], dtype=float),
        is_future=np.array([i.kind == "future" for i in config.instruments]),
        asset_class=tuple(i.asset_class for i in config.instruments),
        currency=tuple(i.currency for i in config.instruments),
        # Carry prices are observations: a blank stays blank, so a carry rule never pairs a
        # stale carry price with the contracts of a later day (rules carry their own result).
        carry_price=aligned(bars.carry_price, ffill=False),
        contract=aligned(bars.contract, ffill=True),
        carry_contract=aligned(bars.carry_contract, ffill=True),
        **_actions_on_sessions(bars.actions, index, symbols, config),
    )
    if config.data.max_daily_move is not None:
        check_moves(market, config.data.max_daily_move)
    release_free_memory()  # the alignment's temporaries
    return market


def _actions_on_sessions(actions: pd.DataFrame | None, index: pd.DatetimeIndex, symbols: tuple[str, ...],
                         config: PortfolioConfig) -> dict[str, np.ndarray]:
    """Each action on the first session on or after its ex-date; none before or after the data."""
    if actions is None:
        return {}
    shape = (len(index), len(symbols))
    split, dividend = np.ones(shape), np.zeros(shape)
    pay = np.full(shape, np.datetime64("NaT"), dtype="datetime64[D]")
    column = {s: j for j, s in enumerate(symbols)}
    futures = {i.symbol for i in config.instruments if i.kind == "future"}
    for symbol, ex_date, kind, value, pay_date in actions.itertuples(index=False):
        t = int(index.searchsorted(ex_date))
        if symbol not in column or symbol in futures or t == 0 or t >= len(index):
            continue  # an action on the first day is already in that day's price
        j = column[symbol]
        if kind == "split":
            split[t, j] *= value
        else:
            dividend[t, j] += value
            if config.dividends.credit_on == "pay_date":
                if pd.isna(pay_date):
                    raise DataError(f"instrument {symbol!r}: the dividend with ex-date {ex_date.date()} has no pay "
                                    "date (dividends.credit_on = \"pay_date\" needs one)")
                pay[t, j] = np.datetime64(pay_date.date(), "D")
    return {"split": split, "dividend": dividend, "dividend_pay": pay}


def check_moves(market: Market, limit: float) -> None:
    """Stop at the first day-on-day move beyond ``limit``, naming instrument and date."""
    returns = market.percentage_returns()
    with np.errstate(invalid="ignore"):
        bad = np.abs(returns) > limit
    if bad.any():
        t, j = np.argwhere(bad)[0]
        move = returns[t, j]
        raise DataError(f"instrument {market.symbols[j]!r} on {market.dates[t].date()}: a move of {move:+.0%} in a day "
                        f"is beyond the sanity limit of {limit:.0%} (data.max_daily_move)")


def missing_data_warnings(market: Market, start: int) -> list[str]:
    """Instruments a replay from ``start`` cannot trade from its first day: never priced at all,
    or not priced on the first day (held out until their first price)."""
    has = market.has_price[start:]
    first_day = market.dates[start].date()
    never = [s for s, any_price in zip(market.symbols, has.any(axis=0)) if not any_price]
    late = [s for j, s in enumerate(market.symbols) if has[:, j].any() and not has[0, j]]
    out = []
    if never:
        out.append(f"no prices at all from {first_day} for {', '.join(never)}: never traded")
    if late:
        out.append(f"no price on the first day {first_day} for {', '.join(late)}: not traded until their first price")
    return out
