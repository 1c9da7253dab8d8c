"""Inserts that may race another process writing the same rows."""

from __future__ import annotations

from sqlalchemy import Connection, insert


def insert_if_absent(conn: Connection, model, rows: list[dict], key: str) -> None:  # noqa: ANN001
    """Insert rows that another process may be inserting at the same moment.

    Two processes starting runs on one PostgreSQL ledger both find an instrument
    missing; the second INSERT waits for the first to commit and then fails on
    the unique key. ``ON CONFLICT DO NOTHING`` turns that into a no-op; the
    caller reads the ids back afterwards.
    """
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:
        conn.execute(insert(model), rows)
        return
    conn.execute(dialect_insert(model).on_conflict_do_nothing(index_elements=[key]), rows)
