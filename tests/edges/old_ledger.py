"""Ledgers at an older schema revision, with real rows: what `tradesim db upgrade` meets in the field.

A ledger written by this tradesim is taken back with the migrations' own downgrades, then
(for the kill tests) grown by copying its run, so that an upgrade takes long enough to be
killed in the middle of its transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from db import migrations
from db.session import open_engine


def downgrade(path: Path, revision: str) -> None:
    """Take the ledger at ``path`` back to ``revision`` (in place)."""
    from alembic import command

    engine = open_engine(f"sqlite:///{path}", create=False)
    try:
        with engine.connect() as conn:
            migrations._lock(conn)
            command.downgrade(migrations.alembic_config(conn), revision)
            conn.commit()
    finally:
        engine.dispose()


def grow(path: Path, copies: int) -> None:
    """Add ``copies`` copies of run 1 (runs 2, 3, ...), every row of it, ids shifted."""
    conn = sqlite3.connect(path)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if t != "runs" and "run_id" in columns(conn, t)]
        top = {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]
               for t in ("runs", *tables) if "id" in columns(conn, t)}
        with conn:
            for k in range(1, copies + 1):
                def shifted(table: str, col: str) -> str:
                    if col == "id":
                        return f"id + {k * (top[table] + 1)}"
                    if col == "run_id":
                        return f"run_id + {k}"
                    if col == "order_id":
                        return f"order_id + {k * (top['orders'] + 1)}"
                    return col

                run_cols = columns(conn, "runs")
                conn.execute(f"INSERT INTO runs ({', '.join(run_cols)}) SELECT "
                             f"{', '.join(str(1 + k) if c == 'id' else c for c in run_cols)} FROM runs WHERE id = 1")
                for table in tables:
                    cols = columns(conn, table)
                    conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT "
                                 f"{', '.join(shifted(table, c) for c in cols)} FROM {table} WHERE run_id = 1")
    finally:
        conn.close()


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def revision(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (sorted) and the schema, to compare two ledgers exactly."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                     "WHERE name NOT LIKE 'sqlite_%'").fetchall(), key=repr)
        out = {"(schema)": schema}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            out[table] = sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        return out
    finally:
        conn.close()
