"""tradesim never adopts another application's database, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, inspect, text

from db.session import open_engine
from tradesim.errors import LedgerError


def test_a_database_of_another_application_is_refused_and_left_as_it_was(new_url: Callable[[], str]) -> None:
    url = new_url()
    other = create_engine(url)
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id INTEGER PRIMARY KEY, what TEXT)"))
        conn.execute(text("INSERT INTO runs VALUES (1, 'theirs')"))
    with pytest.raises(LedgerError, match="not a tradesim ledger .* with tables runs\\); tradesim leaves it untouched"):
        open_engine(url)
    with other.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"runs"}
        assert conn.execute(text("SELECT what FROM runs")).scalar_one() == "theirs"
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "delete"
    other.dispose()


def test_an_empty_database_becomes_a_ledger(new_url: Callable[[], str]) -> None:
    engine = open_engine(new_url())
    with engine.connect() as conn:
        assert {"runs", "processed_days", "alembic_version"} <= set(inspect(conn).get_table_names())
    engine.dispose()
