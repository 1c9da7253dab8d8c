"""The price record: as-traded prices and their corporate actions, as first known.

A paper account is valued at the prices its days were processed with, so the
record only grows: ``record_bars`` adds the days (and actions) it lacks and never
rewrites one it has. A re-fetch that gives a cached day another price (a vendor
rebased its history) is converted onto the record's basis by the factor between
the two on the latest cached day both have, and the factor is kept in
``price_bases``, so the record stays continuous and says what was done to it.
(``db.price_cache.store_bars``, used by imports, replaces instead: an import is
the user's own file, re-read on purpose.)
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert, select

from db import price_series
from db.models import CorporateAction, Price, PriceBasis
from db.price_cache import instrument_ids
from tradesim.data.actions import actions_frame
from tradesim.data.source import PriceBars

log = logging.getLogger(__name__)

# A vendor's re-delivery of the same price differs by float noise at most; a rebase by far more.
SAME_PRICE_RTOL = 1e-6


def record_bars(conn: Connection, bars: PriceBars, source: str) -> int:
    """Add the as-traded days and actions in ``bars`` that the record lacks; returns days added."""
    ids = instrument_ids(conn, bars.close.columns, create={})
    added = 0
    for symbol in bars.close.columns:
        close = bars.close[symbol].dropna()
        if close.empty:
            continue
        iid = ids[symbol]
        opens = bars.open[symbol].reindex(close.index) if bars.open is not None and symbol in bars.open else None
        cached = dict(conn.execute(select(Price.day, Price.close).where(
            Price.instrument_id == iid, Price.day >= close.index[0].date(), Price.day <= close.index[-1].date())).all())
        factor = _basis_factor(conn, iid, symbol, close, {d: c for d, c in cached.items() if c is not None}, source)
        rows = [{"instrument_id": iid, "day": d.date(), "close": float(c) * factor,
                 "open": None if opens is None or np.isnan(opens[d]) else float(opens[d]) * factor,
                 "source": source} for d, c in close.items() if d.date() not in cached]
        if rows:
            conn.execute(insert(Price), rows)
            price_series.refresh(conn, [iid])  # the instrument's packed series, with its new days
        added += len(rows)
        if bars.actions is not None:
            _record_actions(conn, iid, symbol, bars.actions.loc[bars.actions["symbol"] == symbol], factor, source)
    return added


def _basis_factor(conn: Connection, iid: int, symbol: str, close: pd.Series, cached: dict, source: str) -> float:
    """The factor that puts this fetch on the record's basis, recording it when it is new."""
    last = conn.execute(select(PriceBasis.factor).where(PriceBasis.instrument_id == iid)
                        .order_by(PriceBasis.id.desc()).limit(1)).scalar()
    both = [d for d in close.index if d.date() in cached]
    new_days = [d for d in close.index if d.date() not in cached]  # (a blank cached close is never replaced)
    if not new_days or (last is not None and not both):
        return 1.0 if last is None else last
    factor, checked_day = 1.0, None
    if both:
        checked = both[-1]
        checked_day = checked.date()
        factor = cached[checked_day] / float(close[checked])
        expected = 1.0 if last is None else last
        if np.isclose(factor, expected, rtol=SAME_PRICE_RTOL, atol=0.0):
            if last is not None:
                return last
            factor = 1.0
        else:
            log.warning("instrument %r: the re-fetched price on %s is %.10g times the recorded one; new days are "
                        "stored on the record's basis (factor %.10g), past days are kept", symbol, checked_day,
                        1.0 / factor, factor)
    conn.execute(insert(PriceBasis).values(
        instrument_id=iid, first_day=new_days[0].date(), checked_day=checked_day, basis="as_traded",
        factor=factor, source=source, recorded_at=datetime.now(UTC)))
    return factor


def _record_actions(conn: Connection, iid: int, symbol: str, actions: pd.DataFrame, factor: float, source: str) -> None:
    """Insert the actions the record lacks; one already recorded is kept as it was."""
    known = {(d, k): v for d, k, v in conn.execute(select(CorporateAction.ex_date, CorporateAction.kind,
                                                          CorporateAction.value)
                                                   .where(CorporateAction.instrument_id == iid)).all()}
    rows = []
    for _, ex_date, kind, value, pay_date in actions.itertuples(index=False):
        value = value * factor if kind == "dividend" else value
        key = (ex_date.date(), kind)
        if key in known:
            if not np.isclose(known[key], value, rtol=SAME_PRICE_RTOL, atol=0.0):
                log.warning("instrument %r: the %s on %s is now %s; the recorded %s is kept", symbol, kind,
                            key[0], value, known[key])
            continue
        rows.append({"instrument_id": iid, "ex_date": key[0], "kind": kind, "value": float(value),
                     "pay_date": None if pd.isna(pay_date) else pay_date.date(), "source": source})
    if rows:
        conn.execute(insert(CorporateAction), rows)


def load_actions(conn: Connection, symbols: Sequence[str], start=None, end=None) -> pd.DataFrame | None:  # noqa: ANN001
    """The recorded actions of ``symbols`` with ex-dates in [start, end]; None when there are none."""
    ids = instrument_ids(conn, symbols)
    by_id = {v: k for k, v in ids.items()}
    query = select(CorporateAction.instrument_id, CorporateAction.ex_date, CorporateAction.kind,
                   CorporateAction.value, CorporateAction.pay_date).where(
        CorporateAction.instrument_id.in_(list(ids.values())))
    if start is not None:
        query = query.where(CorporateAction.ex_date >= start)
    if end is not None:
        query = query.where(CorporateAction.ex_date <= end)
    rows = [(by_id[i], d, k, v, p) for i, d, k, v, p in conn.execute(query).all()]
    return actions_frame(rows) if rows else None
