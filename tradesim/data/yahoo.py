"""Daily prices from Yahoo Finance (yfinance), cached in the ledger database.

``YahooSource.load`` fetches daily bars through a *download function*, turns
yfinance's frame shapes into ``PriceBars`` and, when it has a ``cache_url``,
writes every fetched price to the price cache (``db/price_cache``) so a replay
of a paper portfolio (``[data] source = "database"``) needs no network.

Prices are as traded: ``close`` and ``open`` are what the shares changed hands
at that day, and the bars come with their corporate actions (``PriceBars.actions``:
splits and cash dividends by ex-date, ``tradesim.data.actions``), which the
engine applies to the account. yfinance is asked for ``auto_adjust=False,
actions=True``. Yahoo's own ``Close`` is split-adjusted to every split it knows
of, so each day's close (and open, and dividend) is multiplied back by the
ratios of the splits after it; the download therefore reaches to today, whatever
the requested end, so a split Yahoo already knows is never missed. Yahoo's
``Adj Close`` (dividends folded into past prices) is not used.

The download function: ``download(tickers, start=date, end=date) -> DataFrame``
with ``end`` exclusive (yfinance's convention; ``load`` adds the day). It returns
what ``yfinance.download`` returns: MultiIndex columns in either orientation
(field/ticker or ticker/field), or flat OHLC columns for a single ticker, with
``Dividends`` and ``Stock Splits`` columns where there are actions; a ticker
Yahoo has nothing for comes back as an all-NaN block (or not at all). It raises
``yfinance.exceptions.YFRateLimitError`` when rate limited, which ``load``
retries with exponential backoff.

Cache: the cached rows of a symbol form one contiguous span, kept by
``db.price_record``: ``load`` fetches only the tail from the last cached day
(inclusive: that day is re-fetched to check the basis) and adds the new days and
actions. A cached day is never rewritten: if the re-fetched day's price differs
(Yahoo rebased its history), the new days are converted onto the record's basis
and the factor is recorded in ``price_bases``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
import yfinance
from yfinance.exceptions import YFException, YFRateLimitError, YFTickerMissingError

from db.models import Instrument, Price
from db.price_cache import load_bars
from db.price_record import load_actions, record_bars
from db.session import open_engine
from tradesim.data.actions import actions_frame, split_factor_after
from tradesim.data.source import PriceBars
from tradesim.errors import DataError

log = logging.getLogger(__name__)


class Download(Protocol):
    """Fetches daily bars for ``tickers`` from ``start`` to ``end`` (exclusive), shaped like yfinance's."""

    def __call__(self, tickers: list[str], start: date, end: date) -> pd.DataFrame: ...


SOURCE = "yfinance"  # the price cache's ``source`` column for rows fetched here
# yfinance's own "max" period reaches back 99 years; used when load() gets no start.
MAX_HISTORY = timedelta(days=36135)
# The first cached day may trail the requested start by holidays (2001-09-11 closed NYSE
# for four sessions); a longer gap means the head of the range was never fetched.
HEAD_SLACK = timedelta(days=7)
PRICE_FIELDS = {"Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits",
                "Capital Gains", "Repaired?"}

_YF_CONFIG_LOCK = threading.Lock()  # guards the flip of yfinance's global hide_exceptions


def yfinance_download(session: Any = None) -> Download:
    """The real fetch: one ``yfinance.Ticker(...).history`` call per ticker.

    Why not ``yfinance.download``: in yfinance 1.x it catches every per-ticker
    exception, rate limits included, logs it and returns an all-NaN block, so a
    429 would look like an unknown ticker and never be retried. ``history``
    re-raises ``YFRateLimitError``. ``session`` (a ``curl_cffi.requests.Session``)
    is handed to yfinance, which is how the tests serve canned responses.
    """

    def download(tickers: list[str], start: date, end: date) -> pd.DataFrame:
        frames = {}
        for ticker in tickers:
            frames[ticker] = _history(ticker, start, end, session)
        return pd.concat(frames, axis=1, names=["Ticker", "Price"])

    return download


def _history(ticker: str, start: date, end: date, session: Any) -> pd.DataFrame:
    """One ticker's daily bars (split-adjusted Close, actions); an all-NaN frame when Yahoo has none."""
    # With hide_exceptions on (yfinance's default) a failed timezone lookup or a network
    # error is logged and returns an empty frame, indistinguishable from a missing
    # ticker; off, they raise and we can tell them apart. yfinance's config is global.
    with _YF_CONFIG_LOCK:
        hide = yfinance.config.debug.hide_exceptions
        yfinance.config.debug.hide_exceptions = False
        try:
            frame = yfinance.Ticker(ticker, session=session).history(
                start=start, end=end, interval="1d", auto_adjust=False, actions=True, repair=False, timeout=30)
        except YFRateLimitError:
            raise
        except YFTickerMissingError:  # no timezone / no price data: Yahoo does not know it for these dates
            return _nan_block()
        except OSError as exc:  # curl_cffi's errors (HTTP status, DNS, timeouts) are OSErrors
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 404:  # yfinance's fallback lookup of an unknown symbol
                return _nan_block()
            raise DataError(f"Yahoo Finance: fetching {ticker!r} failed: {exc}") from exc
        except (YFException, json.JSONDecodeError) as exc:  # "Yahoo is down", an HTML page instead of JSON
            raise DataError(f"Yahoo Finance: fetching {ticker!r} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            yfinance.config.debug.hide_exceptions = hide
    if frame.empty:
        return _nan_block()
    if frame.index.tz is not None:  # exchange-local midnight -> that local date
        frame.index = frame.index.tz_localize(None)
    return frame


def _nan_block() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float) for c in ("Open", "High", "Low", "Close", "Volume")},
                        index=pd.DatetimeIndex([], name="Date"))


class YahooSource:
    """Daily bars from Yahoo Finance; see the module docstring for the contract."""

    name = "yfinance"

    def __init__(self, download: Download | None = None, cache_url: str | None = None, retries: int = 3,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep, session: Any = None) -> None:
        if download is not None and session is not None:
            raise ValueError("session is for the default yfinance download; pass one or the other")
        self.download = download or yfinance_download(session)
        self.cache_url = cache_url
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    def load(self, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
        symbols = list(symbols)
        end = end or date.today()
        if self.cache_url is None:
            start = start or end - MAX_HISTORY
            fetched = self._fetch({(start, end): symbols})
            _check_found(fetched, symbols, start, end)
            bars = _bars({s: fetched[s] for s in symbols})
            return replace(bars, open=None if bars.open.isna().all().all() else bars.open)
        return self._load_cached(symbols, start, end)

    # -- caching ---------------------------------------------------------------

    def _load_cached(self, symbols: list[str], start: date | None, end: date) -> PriceBars:
        engine = open_engine(self.cache_url)
        try:
            with engine.connect() as conn:
                spans = cached_spans(conn, symbols)
            fetched = self._fetch_missing(symbols, spans, start, end)
            # A ticker that returned nothing must not become an instrument row.
            priced = {s: f for s, f in fetched.items() if f.close.notna().any()}
            if priced:
                with engine.begin() as conn:  # every new price and action, one transaction
                    record_bars(conn, _bars(priced), SOURCE)
            # A symbol neither cached nor fetched is Yahoo's to name; the prices just fetched
            # stay cached. Other gaps (cached, but not in these dates) load_bars reports.
            _check_found(fetched, [s for s in symbols if s not in spans], start, end)
            with engine.connect() as conn:
                return replace(load_bars(conn, symbols, start, end), actions=load_actions(conn, symbols, start, end))
        finally:
            engine.dispose()

    def _fetch_missing(self, symbols: list[str], spans: dict[str, Span], start: date | None,
                       end: date) -> dict[str, Fetched]:
        """Fetch what the cache lacks: whole spans for new symbols or a missing head, else the tail."""
        full: dict[str, tuple[date, date]] = {}
        tails: dict[str, tuple[date, date]] = {}
        for s in symbols:
            span = spans.get(s)
            if span is None:
                full[s] = (start or end - MAX_HISTORY, end)
            elif start is not None and span.first > start + HEAD_SLACK:
                full[s] = (min(start, span.first), max(end, span.last))
            elif span.last < end:
                tails[s] = (span.last, end)
        fetched = self._fetch(_group({**full, **tails}))
        for s, (day, _) in tails.items():
            if fetched[s].close.dropna().empty:  # nothing new (delisted, or Yahoo is behind): keep what we have
                log.warning("Yahoo Finance returned no prices for %r from %s: keeping the cached ones", s, day)
                del fetched[s]
        return fetched

    # -- fetching --------------------------------------------------------------

    def _fetch(self, windows: dict[tuple[date, date], list[str]]) -> dict[str, Fetched]:
        """Each window's symbols, one download per window, as close/open series by symbol."""
        out: dict[str, Fetched] = {}
        for (first, last), group in windows.items():
            frame = self._download(group, first, last)
            out.update(_split(frame, group, first, last))
        return out

    def _download(self, tickers: list[str], first: date, last: date) -> pd.DataFrame:
        """Call the download function, backing off on rate limits: backoff x 1, 2, 4, ..."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                # Through today: a split after ``last`` already divides Yahoo's closes up to it.
                return self.download(tickers, start=first, end=max(last, today()) + timedelta(days=1))
            except YFRateLimitError:
                if attempt + 1 == attempts:
                    break
                self.sleep(self.backoff * 2 ** attempt)
        raise DataError(f"Yahoo Finance rate limit: gave up after {attempts} attempts "
                        f"(fetching {', '.join(tickers)} from {first} to {last})")


# -- frames -----------------------------------------------------------------


def today() -> date:
    """The fetch's horizon (the tests pin it)."""
    return date.today()


@dataclass(frozen=True)
class Span:
    """A symbol's cached days."""

    first: date
    last: date


@dataclass(frozen=True)
class Fetched:
    close: pd.Series
    open: pd.Series
    actions: list[tuple] = field(default_factory=list)  # (symbol, ex_date, kind, value, pay_date)


def cached_spans(conn: Connection, symbols: Sequence[str]) -> dict[str, Span]:
    rows = conn.execute(
        select(Instrument.symbol, func.min(Price.day), func.max(Price.day))
        .join(Price, Price.instrument_id == Instrument.id)
        .where(Instrument.symbol.in_(list(symbols))).group_by(Instrument.symbol)).all()
    return {sym: Span(first, last) for sym, first, last in rows}


def _check_found(fetched: dict[str, Fetched], symbols: list[str], start: date | None, end: date) -> None:
    """A ticker that returned nothing at all is an error naming it (a missing day is not)."""
    for s in symbols:
        if s not in fetched or fetched[s].close.dropna().empty:
            raise DataError(f"Yahoo Finance: no prices for {s!r} between {start or 'the start'} and {end}")


def _group(windows: dict[str, tuple[date, date]]) -> dict[tuple[date, date], list[str]]:
    """Symbols sharing a window go in one download (a daily run: usually all of them)."""
    groups: dict[tuple[date, date], list[str]] = {}
    for symbol, window in windows.items():
        groups.setdefault(window, []).append(symbol)
    return groups


def _bars(fetched: dict[str, Fetched]) -> PriceBars:
    close = pd.DataFrame({s: f.close for s, f in fetched.items()}).sort_index()
    opens = pd.DataFrame({s: f.open for s, f in fetched.items()}).reindex(close.index)
    actions = [a for f in fetched.values() for a in f.actions]
    return PriceBars(close=close, open=opens, actions=actions_frame(actions) if actions else None)


def _split(frame: pd.DataFrame | None, tickers: list[str], first: date, last: date) -> dict[str, Fetched]:
    """A yfinance-shaped frame as as-traded close/open series and actions per requested ticker,
    dates first..last (later rows only tell which splits came after).

    A ticker absent from the frame, or present only as NaN, gets empty series.
    """
    empty = Fetched(pd.Series(dtype=float), pd.Series(dtype=float))
    if frame is None or frame.empty:
        return {t: empty for t in tickers}
    per_ticker = _by_ticker(frame, tickers)
    index = _dates(frame.index)
    keep = (index >= pd.Timestamp(first)) & (index <= pd.Timestamp(last))  # Yahoo may append today's price
    out = {}
    for ticker in tickers:
        fields = per_ticker.get(ticker.upper())
        if fields is None:
            out[ticker] = empty
            continue
        close, opens, actions = _as_traded(fields, index, ticker, keep)
        close = pd.Series(close, index=index, name=ticker)[keep]
        opens = pd.Series(opens, index=index, name=ticker)[keep]
        bad = ~np.isfinite(close.to_numpy()) & close.notna().to_numpy()
        if bad.any():
            raise DataError(f"Yahoo Finance: instrument {ticker!r} on {close.index[bad][0].date()}: "
                            f"close {close[bad].iloc[0]} is not a price")
        # A duplicated date (a live bar next to the day's bar): the later row is the newer.
        dup = close.index.duplicated(keep="last")
        out[ticker] = Fetched(close[~dup].sort_index(), opens[~dup].sort_index(), actions)
    return out


def _by_ticker(frame: pd.DataFrame, tickers: list[str]) -> dict[str, pd.DataFrame]:
    """Columns grouped by upper-cased ticker (yfinance upper-cases symbols), fields as columns."""
    cols = frame.columns
    if not isinstance(cols, pd.MultiIndex):
        if len(tickers) != 1:
            raise DataError(f"Yahoo Finance: expected a column per ticker for {', '.join(tickers)}, "
                            f"got flat columns {list(cols)}")
        return {tickers[0].upper(): frame}
    if cols.nlevels != 2:
        raise DataError(f"Yahoo Finance: unexpected column levels {cols.names}")
    field_level = 0 if set(cols.get_level_values(0)) <= PRICE_FIELDS else 1
    ticker_level = 1 - field_level
    return {str(t).upper(): frame.xs(t, axis=1, level=ticker_level)
            for t in cols.get_level_values(ticker_level).unique()}


def _as_traded(fields: pd.DataFrame, index: pd.DatetimeIndex, ticker: str,
               keep: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(close, open, actions) as traded: Yahoo's split-adjusted fields times the later splits' ratios."""
    if "Close" not in fields.columns:
        raise DataError(f"Yahoo Finance: no Close column for {ticker!r} (columns {list(fields.columns)})")
    column = lambda name: fields[name].to_numpy(dtype=float) if name in fields.columns else np.zeros(len(index))  # noqa: E731
    ratios, cash = column("Stock Splits"), column("Dividends")
    is_split = np.isfinite(ratios) & (ratios > 0) & (ratios != 1.0)  # Yahoo writes 0 for "no split"
    splits = pd.Series(ratios[is_split], index=index[is_split])
    factor = split_factor_after(index, splits)
    close = fields["Close"].to_numpy(dtype=float) * factor
    opens = (fields["Open"].to_numpy(dtype=float) if "Open" in fields.columns else np.full(len(index), np.nan)) * factor
    actions = [(ticker, index[k], "split", float(ratios[k]), pd.NaT) for k in np.flatnonzero(is_split & keep)]
    for k in np.flatnonzero(np.isfinite(cash) & (cash > 0) & keep):
        actions.append((ticker, index[k], "dividend", float(cash[k] * factor[k]), pd.NaT))
    return close, opens, actions


def _dates(index: pd.Index) -> pd.DatetimeIndex:
    """Naive dates: a tz-aware stamp keeps its local (exchange) date, then the time is dropped.

    Microsecond unit, as pandas 3 parses dates elsewhere (yfinance's index is in seconds).
    """
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.normalize().as_unit("us").rename("date")
