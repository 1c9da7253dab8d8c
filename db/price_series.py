"""Each instrument's cached prices packed as columns, so a replay reads its market in one row per instrument.

``prices`` (one row per instrument and day) stays the record that every writer writes and
every question reads. Reading a market from it costs a Python object per value in the
driver: Jumbo's 123 instruments are 861,000 rows of 8 values, about 1 s in the sqlite3
module alone, longer than pandas takes to parse the CSV files they were imported from.
``price_series`` holds the same values, one row per instrument: its days and each field as
packed arrays (``db.models.PriceSeries``), read with one query and ``np.frombuffer``.

The two never disagree. A series is built from the instrument's rows as the row reader
reads them (``price_rows``: the same values, bit for bit), in the transaction that wrote
the rows (an import, the price record). Any other change to an instrument's rows (a
tradesim from before the series, a statement typed by hand) deletes its series through
triggers on ``prices`` (``STALE_TRIGGERS``, created by migration 0012), and ``load_bars``
then reads that instrument from its rows. A series can be missing, never stale.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy import Connection, delete, insert, select

from db.models import Price, PriceSeries
from db.records import records

FIELDS = ("close", "open", "contract_price", "carry_price", "contract", "carry_contract")
# A market's rows: instrument id, day and each field as a float (NaN for NULL; contract months too).
ROW_DTYPE = [("id", "<i8"), ("day", "M8[D]")] + [(f, "<f8") for f in FIELDS]
_DAYS, _VALUES = np.dtype("<i4"), np.dtype("<f8")  # the packed layout, whatever this machine's byte order

# Triggers on ``prices`` that delete the series of an instrument whose rows change, whoever changes them.
STALE_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER prices_insert_stale_series AFTER INSERT ON prices BEGIN "
        "DELETE FROM price_series WHERE instrument_id = NEW.instrument_id; END",
        "CREATE TRIGGER prices_update_stale_series AFTER UPDATE ON prices BEGIN "
        "DELETE FROM price_series WHERE instrument_id IN (OLD.instrument_id, NEW.instrument_id); END",
        "CREATE TRIGGER prices_delete_stale_series AFTER DELETE ON prices BEGIN "
        "DELETE FROM price_series WHERE instrument_id = OLD.instrument_id; END",
    ],
    "postgresql": [
        "CREATE FUNCTION price_series_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP <> 'INSERT' THEN DELETE FROM price_series WHERE instrument_id = OLD.instrument_id; END IF; "
        "IF TG_OP <> 'DELETE' THEN DELETE FROM price_series WHERE instrument_id = NEW.instrument_id; END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER prices_stale_series AFTER INSERT OR UPDATE OR DELETE ON prices "
        "FOR EACH ROW EXECUTE FUNCTION price_series_stale()",
    ],
}
DROP_TRIGGERS = {
    "sqlite": [f"DROP TRIGGER IF EXISTS prices_{op}_stale_series" for op in ("insert", "update", "delete")],
    "postgresql": ["DROP TRIGGER IF EXISTS prices_stale_series ON prices",
                   "DROP FUNCTION IF EXISTS price_series_stale()"],
}


def price_rows(conn: Connection, ids: Sequence[int], start: date | None = None, end: date | None = None) -> np.ndarray:
    """The rows of ``prices`` of instruments ``ids`` from ``start`` to ``end`` (either open), as ``ROW_DTYPE``."""
    query = select(Price.instrument_id, Price.day, *[getattr(Price, f) for f in FIELDS]).where(
        Price.instrument_id.in_(list(ids)))
    if start is not None:
        query = query.where(Price.day >= start)
    if end is not None:
        query = query.where(Price.day <= end)
    return records(conn, query, ROW_DTYPE)


def refresh(conn: Connection, ids: Iterable[int]) -> None:
    """Rebuild the series of instruments ``ids`` from their rows, in the caller's transaction."""
    ids = sorted(set(ids))
    if not ids:
        return
    conn.execute(delete(PriceSeries).where(PriceSeries.instrument_id.in_(ids)))
    table = price_rows(conn, ids)
    table = table[np.lexsort((table["day"], table["id"]))]
    bounds = np.flatnonzero(np.diff(table["id"])) + 1
    rows = []
    for part in np.split(table, bounds) if len(table) else []:
        row = {"instrument_id": int(part["id"][0]), "days": part["day"].astype("<i8").astype(_DAYS).tobytes()}
        for f in FIELDS:
            values = np.ascontiguousarray(part[f], dtype=_VALUES)
            row[f] = None if np.isnan(values).all() else values.tobytes()
        rows.append(row)
    if rows:
        conn.execute(insert(PriceSeries), rows)


def read(conn: Connection, ids: Sequence[int], start: date | None = None,
         end: date | None = None) -> tuple[list[np.ndarray], set[int]]:
    """The rows of instruments ``ids`` from ``start`` to ``end`` out of their series, as ``ROW_DTYPE``
    arrays (one per instrument: not copied into one table, which would hold them twice), and the
    ids that have a series (the others must be read from their rows)."""
    found = conn.execute(select(PriceSeries.instrument_id, PriceSeries.days, *[getattr(PriceSeries, f) for f in FIELDS])
                         .where(PriceSeries.instrument_id.in_(list(ids))))
    first = None if start is None else np.datetime64(start, "D").astype("<i8")
    last = None if end is None else np.datetime64(end, "D").astype("<i8")
    parts, packed = [], set()
    for iid, days, *columns in found:  # one instrument's blobs at a time
        packed.add(iid)
        day = np.frombuffer(days, dtype=_DAYS)
        lo = 0 if first is None else int(np.searchsorted(day, first, side="left"))
        hi = len(day) if last is None else int(np.searchsorted(day, last, side="right"))
        part = np.empty(max(hi - lo, 0), dtype=ROW_DTYPE)
        part["id"] = iid
        part["day"] = day[lo:hi].astype("M8[D]")
        for f, blob in zip(FIELDS, columns):
            part[f] = np.nan if blob is None else np.frombuffer(blob, dtype=_VALUES)[lo:hi]
        parts.append(part)
    return parts, packed
