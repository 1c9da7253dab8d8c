"""The price cache: every price fetched or imported is stored, so replays run offline.

``store_bars`` upserts a ``PriceBars`` (one row per instrument and day with a
close or a held-contract field, plus FX rates); ``load_bars`` reads them back as
``PriceBars``, the same frames the source gave.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from db import price_series
from db.inserts import insert_if_absent
from db.models import FxRate, Instrument, Price
from db.records import records
from tradesim.data.source import PriceBars
from tradesim.errors import DataError

_FIELDS = price_series.FIELDS[1:]  # besides the close


def instrument_ids(conn: Connection, symbols: Iterable[str], create: dict[str, dict] | None = None) -> dict[str, int]:
    """Ids by symbol; symbols missing from the table are created from ``create[symbol]`` if given."""
    symbols = list(symbols)
    found = dict(conn.execute(select(Instrument.symbol, Instrument.id).where(Instrument.symbol.in_(symbols))).all())
    missing = [s for s in symbols if s not in found]
    if missing and create is not None:
        insert_if_absent(conn, Instrument, [
            {"symbol": s, "currency": "USD", "multiplier": 1.0, "kind": "stock", **create.get(s, {})} for s in missing],
            "symbol")
        found = dict(conn.execute(select(Instrument.symbol, Instrument.id).where(Instrument.symbol.in_(symbols))).all())
    return found


def store_bars(conn: Connection, bars: PriceBars, source: str, instruments: dict[str, dict] | None = None,
               chunk: int = 50_000) -> int:
    """Replace the cached rows for every (instrument, day) in ``bars``; returns rows written.

    A day is stored when it has a close or any held-contract field: pysystemtrade's files
    have roll days with a blank PRICE but the new PRICE_CONTRACT, and dropping them would
    make a replay from the cache see the roll a day later than one from the files.
    ``instruments`` gives attributes (currency, multiplier, kind, asset_class,
    description) for symbols not yet in the instruments table.
    """
    close = bars.close
    ids = instrument_ids(conn, close.columns, create=instruments or {})
    extra = {f: getattr(bars, f) for f in _FIELDS if getattr(bars, f) is not None}
    written = 0
    for symbol in close.columns:
        wide = pd.DataFrame({"close": close[symbol],
                             **{f: frame[symbol] for f, frame in extra.items() if symbol in frame.columns}})
        # An open alone makes no day (a close-less bar of a stock is no bar).
        wide = wide.loc[wide.drop(columns="open", errors="ignore").notna().any(axis=1)].sort_index()
        if wide.empty:
            continue
        days = [d.date() for d in wide.index]
        columns = {f: _cells(wide[f].to_numpy(dtype=float), integer=f in ("contract", "carry_contract"))
                   if f in wide.columns else [None] * len(days) for f in ("close", *_FIELDS)}
        iid = ids[symbol]
        rows = [{"instrument_id": iid, "day": day, "source": source, **dict(zip(columns, values))}
                for day, *values in zip(days, *columns.values())]
        conn.execute(delete(Price).where(Price.instrument_id == iid, Price.day >= days[0], Price.day <= days[-1]))
        for i in range(0, len(rows), chunk):
            conn.execute(insert(Price), rows[i:i + chunk])
        price_series.refresh(conn, [iid])  # in this transaction: the rows and their series land together
        written += len(rows)
    if not bars.fx.empty:
        for pair in bars.fx.columns:
            series = bars.fx[pair].dropna()
            if series.empty:
                continue
            days = [d.date() for d in series.index]
            conn.execute(delete(FxRate).where(FxRate.pair == pair, FxRate.day >= days[0], FxRate.day <= days[-1]))
            conn.execute(insert(FxRate), [{"pair": pair, "day": d, "rate": float(v)}
                                          for d, v in zip(days, series.to_numpy(dtype=float))])
    return written


def _cells(values: np.ndarray, integer: bool) -> list:
    """Database values: NaN is NULL; contract months are integers."""
    cast = int if integer else float
    return [None if np.isnan(v) else cast(v) for v in values.tolist()]


def _calendar(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(days, return_inverse=True)`` for days (``M8[D]``), by marking each day of their span:
    a market's million rows fall on a few thousand days, and sorting them took longer than reading them."""
    if not len(days):
        return days[:0].copy(), np.zeros(0, dtype=np.intp)
    number = days.astype("<i8")
    first = int(number.min())
    offset = number - first
    present = np.zeros(int(offset.max()) + 1, dtype=bool)
    present[offset] = True
    rank = np.cumsum(present, dtype=np.intp) - 1
    return (np.flatnonzero(present) + first).astype("M8[D]"), rank[offset]


def load_bars(conn: Connection, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
    """Cached bars for ``symbols``, as the source they came from gives them.

    A symbol the cache has never had a price for is a ``DataError``; one with prices only
    outside ``start``..``end`` is a column of NaN, as a file source gives it.
    """
    symbols = list(symbols)
    ids = instrument_ids(conn, symbols)
    missing = [s for s in symbols if s not in ids]
    if missing:
        raise DataError(f"price cache: unknown instrument {missing[0]!r} (import or fetch its prices first)")
    fields = ("close", *_FIELDS)
    # Each instrument's packed series where it has one; its rows where not (the same values).
    parts, packed = price_series.read(conn, list(ids.values()), start, end)
    unpacked = [i for i in ids.values() if i not in packed]
    if unpacked:
        parts.append(price_series.price_rows(conn, unpacked, start, end))
    seen = {int(i) for part in parts for i in np.unique(part["id"])}
    unpriced = [s for s in symbols if ids[s] not in seen]
    if unpriced:
        ever = set(conn.execute(select(Price.instrument_id).where(
            Price.instrument_id.in_([ids[s] for s in unpriced])).distinct()).scalars())
        never = [s for s in unpriced if ids[s] not in ever]
        if never:
            raise DataError(f"price cache: no prices for instrument {never[0]!r} (import or fetch its prices first)")
    index, at_day = _calendar(np.concatenate([part["day"] for part in parts]) if parts else np.zeros(0, "M8[D]"))
    position = np.full(max(ids.values()) + 1, -1, dtype=np.intp)
    position[[ids[s] for s in symbols]] = np.arange(len(symbols))
    bounds = np.cumsum([0] + [len(part) for part in parts])
    dates = pd.DatetimeIndex(index.astype("datetime64[us]"), name="date")
    frames: dict[str, pd.DataFrame | None] = {}
    for f in fields:
        grid = np.full((len(index), len(symbols)), np.nan)
        for k, part in enumerate(parts):  # each instrument's rows into their places, no table of them all
            grid[at_day[bounds[k]:bounds[k + 1]], position[part["id"]]] = part[f]
        frames[f] = None if f != "close" and np.isnan(grid).all() else pd.DataFrame(grid, index=dates, columns=symbols)

    fx = pd.DataFrame()
    rates = records(conn, select(FxRate.pair, FxRate.day, FxRate.rate),
                    [("pair", "<U6"), ("day", "M8[D]"), ("rate", "<f8")])
    if len(rates):
        fx_index, at = _calendar(rates["day"])
        names, col = np.unique(rates["pair"], return_inverse=True)
        grid = np.full((len(fx_index), len(names)), np.nan)
        grid[at, col] = rates["rate"]
        fx = pd.DataFrame(grid, index=pd.DatetimeIndex(fx_index.astype("datetime64[us]"), name="day"),
                          columns=pd.Index(names.tolist(), name="pair"))
    return PriceBars(fx=fx, **frames)
