"""A new SQLite ledger's schema in one go: the statements the migrations leave, recorded.

Creating a ledger ran every migration one by one through Alembic: about 0.2-0.3 s and Alembic's
import (some 14 MB), paid by every replay into a new file. A ledger the migrations made holds its
schema as SQLite's own statements (``sqlite_master``); ``fresh_sqlite.json`` keeps them, in the
order SQLite keeps them, with the revision they are for. Running them in an empty database gives
it the very same schema: the same statements, in the same order (the tests compare a ledger made
this way with one the migrations made, statement by statement, and the revision with head).

The record is used only while it is for the head revision. A new migration makes it stale, and
new ledgers are migrated one step at a time again until it is recorded anew:

    python -m db.migrations.fresh
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from sqlalchemy import Connection, create_engine

RECORD = Path(__file__).resolve().parent / "fresh_sqlite.json"


def statements(revision: str) -> list[str] | None:
    """The recorded schema's statements if the record is for ``revision``, else None."""
    try:
        record = json.loads(RECORD.read_text())
    except FileNotFoundError:
        return None
    return record["statements"] if record.get("revision") == revision else None


def create(conn: Connection, revision: str) -> bool:
    """Give an empty SQLite database (in the caller's locked transaction) the schema at ``revision``,
    stamped; False (and nothing done) if the record is for another revision."""
    found = statements(revision) if conn.dialect.name == "sqlite" else None
    if found is None:
        return False
    for statement in found:
        conn.exec_driver_sql(statement)
    conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES (?)", (revision,))
    return True


def schema(conn: Connection) -> list[tuple]:
    """A SQLite database's schema: every entry of sqlite_master but its pages, in SQLite's order
    (with the indexes and tables SQLite makes itself: a key's index, AUTOINCREMENT's table)."""
    return [tuple(row) for row in conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")]


def migrated_schema() -> tuple[str, list[tuple]]:
    """Head and the schema the migrations give a new SQLite ledger, one step at a time."""
    from db import migrations

    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/migrated.db")
        try:
            migrations.upgrade(engine, use_record=False)
            with engine.connect() as conn:
                return migrations.current_revision(conn), schema(conn)
        finally:
            engine.dispose()


def record() -> str:
    """Write fresh_sqlite.json from a ledger the migrations make; returns its revision."""
    revision, entries = migrated_schema()
    found = [sql for _, name, _, sql in entries if not name.startswith("sqlite_")]  # SQLite makes those itself
    RECORD.write_text(json.dumps({"revision": revision, "statements": found}, indent=1) + "\n")
    return revision


if __name__ == "__main__":
    print(f"{RECORD}: the schema at revision {record()}", file=sys.stderr)
