"""Columnar reads: a query's rows from the DBAPI cursor straight into a numpy record array.

No SQLAlchemy row objects and no per-value type processing: dates arrive as the driver
gives them (ISO text on SQLite, dates on PostgreSQL) and a ``M8[D]`` field takes either;
NULL in a float field is NaN. Rows are fetched in chunks, so a million
rows never exist as Python tuples all at once.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.sql import Select

CHUNK = 50_000


def records(conn: Connection, query: Select, dtype: list[tuple[str, str]], chunk: int = CHUNK) -> np.ndarray:
    cursor = conn.execute(query).cursor
    parts = []
    while rows := cursor.fetchmany(chunk):
        parts.append(np.fromiter(rows, dtype=dtype, count=len(rows)))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
