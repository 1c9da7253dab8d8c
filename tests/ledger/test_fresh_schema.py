"""A new SQLite ledger's schema from its record (db.migrations.fresh) is the one the migrations make."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

from db import migrations
from db.migrations import fresh
from db.session import open_engine


def ledger_contents(url: str) -> tuple[list[tuple], dict[str, list[tuple]]]:
    """Every entry of sqlite_master (pages aside) in SQLite's order, and every table's rows."""
    engine = create_engine(url)
    with engine.connect() as conn:
        entries = fresh.schema(conn)
        rows = {name: [tuple(r) for r in conn.exec_driver_sql(f'SELECT * FROM "{name}"')]
                for kind, name, _, _ in entries if kind == "table"}
    engine.dispose()
    return entries, rows


def test_the_record_is_for_head() -> None:
    recorded = json.loads(fresh.RECORD.read_text())["revision"]
    assert recorded == migrations.head(), (
        f"db/migrations/fresh_sqlite.json is for revision {recorded}, head is {migrations.head()}: "
        "record it anew with `python -m db.migrations.fresh`")


def test_a_new_ledger_has_exactly_the_schema_the_migrations_make(tmp_path) -> None:  # noqa: ANN001
    open_engine(f"sqlite:///{tmp_path / 'new.db'}").dispose()
    entries, rows = ledger_contents(f"sqlite:///{tmp_path / 'new.db'}")
    revision, migrated = fresh.migrated_schema()
    assert revision == migrations.head()
    assert entries == migrated  # the same statements in the same order: tables, keys' indexes, indexes, views
    assert {"table", "index", "view"} <= {kind for kind, *_ in entries} <= {"table", "index", "view", "trigger"}
    assert rows.pop("alembic_version") == [(migrations.head(),)]
    assert rows and not any(rows.values())


def test_a_new_ledger_is_made_without_alembic(tmp_path) -> None:  # noqa: ANN001
    code = ("import sys; from db.session import open_engine; from db import migrations; "
            f"e = open_engine('sqlite:///{tmp_path / 'new.db'}'); "
            "c = e.connect(); print(migrations.current_revision(c), 'alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [migrations.head(), "False"]


def test_a_stale_record_is_not_used(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A record for another revision (a migration added since) leaves new ledgers to the migrations."""
    stale = tmp_path / "fresh_sqlite.json"
    stale.write_text(json.dumps({"revision": "0001", "statements": ["CREATE TABLE wrong (x INTEGER)"]}))
    monkeypatch.setattr(fresh, "RECORD", stale)
    assert fresh.statements(migrations.head()) is None
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_engine(url).dispose()
    entries, _ = ledger_contents(url)
    assert entries == fresh.migrated_schema()[1]
    assert "wrong" not in {name for _, name, _, _ in entries}


def test_an_old_ledger_is_still_upgraded_by_the_migrations(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    assert migrations.upgrade(engine, "0001") == (None, "0001")
    assert migrations.upgrade(engine) == ("0001", migrations.head())
    engine.dispose()
    assert ledger_contents(url)[0] == fresh.migrated_schema()[1]
