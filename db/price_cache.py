"""The price cache: every price fetched or imported is stored, so replays run offline.

``store_bars`` upserts a ``PriceBars`` (one row per instrument and day with a
close, plus FX rates); ``load_bars`` reads them back as ``PriceBars``.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from db.inserts import insert_if_absent
from db.models import FxRate, Instrument, Price
from tradesim.data.source import PriceBars
from tradesim.errors import DataError

_FIELDS = ("open", "contract_price", "carry_price", "contract", "carry_contract")


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

    ``instruments`` gives attributes (currency, multiplier, kind, asset_class,
    description) for symbols not yet in the instruments table.
    """
    close = bars.close
    ids = instrument_ids(conn, close.columns, create=instruments or {})
    extra = {f: getattr(bars, f) for f in _FIELDS if getattr(bars, f) is not None}
    written = 0
    for symbol in close.columns:
        series = close[symbol].dropna()
        if series.empty:
            continue
        iid = ids[symbol]
        days = [d.date() for d in series.index]
        columns = {f: frame[symbol].reindex(series.index).to_numpy(dtype=float) if symbol in frame.columns
                   else np.full(len(series), np.nan) for f, frame in extra.items()}
        rows = []
        for k, (day, value) in enumerate(zip(days, series.to_numpy(dtype=float))):
            row = {"instrument_id": iid, "day": day, "close": value, "source": source}
            for f in _FIELDS:
                v = columns[f][k] if f in columns else np.nan
                row[f] = None if np.isnan(v) else (int(v) if f in ("contract", "carry_contract") else float(v))
            rows.append(row)
        conn.execute(delete(Price).where(Price.instrument_id == iid, Price.day >= days[0], Price.day <= days[-1]))
        for i in range(0, len(rows), chunk):
            conn.execute(insert(Price), rows[i:i + chunk])
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


def load_bars(conn: Connection, symbols: Sequence[str], start: date | None = None, end: date | None = None) -> PriceBars:
    """Cached bars for ``symbols``; a symbol with no cached prices is a ``DataError``."""
    ids = instrument_ids(conn, symbols)
    missing = [s for s in symbols if s not in ids]
    if missing:
        raise DataError(f"price cache: unknown instrument {missing[0]!r} (import or fetch its prices first)")
    query = select(Price.instrument_id, Price.day, Price.close, *[getattr(Price, f) for f in _FIELDS]).where(
        Price.instrument_id.in_(list(ids.values())))
    if start is not None:
        query = query.where(Price.day >= start)
    if end is not None:
        query = query.where(Price.day <= end)
    frame = pd.DataFrame(conn.execute(query).all(), columns=["instrument_id", "day", "close", *_FIELDS])
    by_id = {v: k for k, v in ids.items()}
    empty = [s for s in symbols if ids[s] not in set(frame["instrument_id"])]
    if empty:
        raise DataError(f"price cache: no prices for instrument {empty[0]!r} between {start or 'the start'} and {end or 'the end'}")
    frame["symbol"] = frame["instrument_id"].map(by_id)
    frame["day"] = pd.to_datetime(frame["day"])

    def wide(field: str) -> pd.DataFrame | None:
        if frame[field].isna().all():
            return None
        out = frame.pivot(index="day", columns="symbol", values=field).reindex(columns=list(symbols))
        out.index = pd.DatetimeIndex(out.index, name="date")
        return out.astype(float)

    fx_rows = conn.execute(select(FxRate.pair, FxRate.day, FxRate.rate)).all()
    fx = pd.DataFrame()
    if fx_rows:
        fx_frame = pd.DataFrame(fx_rows, columns=["pair", "day", "rate"])
        fx_frame["day"] = pd.to_datetime(fx_frame["day"])
        fx = fx_frame.pivot(index="day", columns="pair", values="rate")
    return PriceBars(close=wide("close"), **{f: wide(f) for f in _FIELDS}, fx=fx)
