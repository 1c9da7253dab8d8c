"""Schema migrations: Alembic, driven from code (no alembic.ini, no working-directory assumptions).

The ledger's schema is the head revision of ``versions/``. ``ensure_schema``
(called by ``db.session.open_engine``) reads the database's revision and runs
Alembic only when it is behind, so opening an up-to-date ledger costs one
small query. A ledger stamped with a revision this code does not know was
written by a newer tradesim and is refused: migrating it "back" would lose data.

Upgrades take a lock first (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a
transaction-level advisory lock) and re-read the revision under it, so two
processes opening a new ledger at once do not both try to create it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect

from tradesim.errors import LedgerError

# Found next to this file, so it works from a checkout, an editable install and a wheel alike.
SCRIPT_LOCATION = str(Path(__file__).resolve().parent)
# Tables in the ledger's database that belong to someone else: APScheduler's job store.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})
# The first revision: a ledger created by ``create_all`` before migrations existed has exactly its schema.
BASELINE = "0001"
_PG_LOCK_KEY = 0x7472_6164  # "trad": any constant, shared by every tradesim process


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    """Alembic must neither create nor drop what other software keeps in the same database."""
    if type_ == "table":
        return name not in FOREIGN_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name not in FOREIGN_TABLES


def alembic_config(connection: Connection | None = None):  # noqa: ANN201
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


_REVISION = re.compile(r"^revision\s*=\s*['\"](\w+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(?:None|['\"](\w+)['\"])", re.M)


@lru_cache(maxsize=1)
def revisions() -> dict[str, str | None]:
    """Each revision and the one it revises, read from the files themselves.

    Importing Alembic costs a few hundred milliseconds; opening an up-to-date
    ledger (every CLI command) needs only these names. A test checks that they
    agree with Alembic's own reading.
    """
    found: dict[str, str | None] = {}
    for path in sorted((Path(SCRIPT_LOCATION) / "versions").glob("*.py")):
        source = path.read_text()
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is not None and down is not None:
            found[rev.group(1)] = down.group(1)
    return found


def head() -> str:
    revised = set(revisions().values())
    heads = [r for r in revisions() if r not in revised]
    if len(heads) != 1:
        raise RuntimeError(f"{SCRIPT_LOCATION}: migrations must form one line, found heads {heads}")
    return heads[0]


def current_revision(conn: Connection) -> str | None:
    """The database's revision; None for a database Alembic has never touched."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _check_known(revision: str | None, url: str) -> None:
    if revision is not None and revision not in revisions():
        raise LedgerError(f"{url}: the ledger's schema (revision {revision}) is newer than this tradesim "
                          f"(head {head()}): upgrade tradesim to read it")


def _lock(conn: Connection) -> None:
    """Serialise upgrades: a second process waits here, then finds the schema already at head."""
    if conn.dialect.name == "sqlite":
        if conn.connection.driver_connection.isolation_level is None:
            # SQLAlchemy issues BEGIN (db.session's listener): ask it for BEGIN IMMEDIATE.
            conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.exec_driver_sql("SELECT 1")
        else:
            # pysqlite's own transaction handling would run the DDL outside any transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _refuse_foreign(conn: Connection, url: str) -> None:
    """A database with tables but not tradesim's is another application's: never adopt it
    (SQLite files are refused before they are opened, by db.guard; this covers servers)."""
    from db.guard import ALLOWED_EXTRA, LEDGER_TABLES

    tables = set(inspect(conn).get_table_names())
    if tables - ALLOWED_EXTRA and not LEDGER_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise LedgerError(f"{url}: not a tradesim ledger (a database of another application, with tables "
                          f"{shown}); tradesim leaves it untouched")


def upgrade(engine: Engine, revision: str = "head", use_record: bool = True) -> tuple[str | None, str]:
    """Bring the ledger to ``revision``; returns (revision before, revision after).

    A new, empty SQLite ledger brought to head is given the schema the migrations leave at once,
    from its record (``db.migrations.fresh``), when that is for head (``use_record`` False: never)."""
    with engine.connect() as conn:
        _lock(conn)
        before = current_revision(conn)
        _check_known(before, _safe_url(engine))
        if before is None:
            _refuse_foreign(conn, _safe_url(engine))
        if before is None and revision in ("head", head()) and use_record and not inspect(conn).get_table_names():
            from db.migrations import fresh

            if fresh.create(conn, head()):
                conn.commit()
                return before, head()
        from alembic import command

        if before is None and inspect(conn).has_table("runs"):
            command.stamp(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), revision)
        after = current_revision(conn)
        conn.commit()
    return before, after


def ensure_schema(engine: Engine, can_upgrade: bool = True) -> None:
    """Upgrade to head when behind, refuse a newer ledger, else do nothing (the common case).

    ``can_upgrade`` False: the ledger is read-only here, so one that is behind is refused in one line."""
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision == head():
        return
    _check_known(revision, _safe_url(engine))
    if not can_upgrade:
        raise LedgerError(f"{_safe_url(engine)}: the ledger's schema ({revision or 'none'}) is behind this "
                          f"tradesim's ({head()}) and the ledger is read-only here: run `tradesim db upgrade` "
                          "where it can be written")
    upgrade(engine)
