"""Opening the ledger database.

SQLite is the default: WAL mode so readers (a CLI query) never block the
writer, ``synchronous=NORMAL`` (durable at each checkpoint, safe against a
process crash, which is what exactly-once needs), and a busy timeout so a
second writer waits instead of failing at once.

Opening brings the schema to the head migration (``db.migrations``): a new
database is created, an older ledger is upgraded, and one written by a newer
tradesim is refused with a ``LedgerError``.
"""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from db import guard
from db.guard import check_sqlite, sqlite_path, writable
from tradesim.errors import LedgerError


ENV_VAR = "TRADESIM_DB"
DEFAULT_FILE = "tradesim.db"


def database_url(cli_value: str | None = None, config_value: str | None = None) -> str:
    """--db beats the config's ``database``, which beats $TRADESIM_DB, then ./tradesim.db."""
    value = cli_value or config_value or os.environ.get(ENV_VAR) or DEFAULT_FILE
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser()}"


def _sqlite_pragmas(dbapi_conn, _record, wal: bool = True) -> None:  # noqa: ANN001
    cur = dbapi_conn.cursor()
    if wal:
        cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    # pysqlite opens transactions on its own and knows nothing of SAVEPOINT; hand
    # transaction control to SQLAlchemy (its documented recipe: driver autocommit and
    # an explicit BEGIN from the "begin" event), so transactions begin and end where the code says.
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn) -> None:  # noqa: ANN001
    # Transactions take the write lock at BEGIN (IMMEDIATE) unless the connection says it only
    # reads (execution option sqlite_begin="DEFERRED", as db.queries does). Under WAL a deferred
    # transaction that reads and then writes fails at once with "database is locked" if another
    # process committed in between (its snapshot is stale); an immediate one waits for the busy
    # timeout instead. Ledger writers read first (is the portfolio there? the instrument?), and
    # several processes write one ledger (paper runs, schedules, replays).
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _ensure_schema_patiently(engine: Engine, ensure_schema, read_only: bool) -> None:  # noqa: ANN001
    # Two processes that find the same brand-new SQLite file (a double start) race to switch it
    # to WAL and create the schema; SQLite can answer "database is locked" at once there, without
    # calling the busy handler. Nothing was written, so the loser waits and looks again, for as
    # long as the busy timeout would have waited.
    deadline = time.monotonic() + 30
    pause = 0.05
    while True:
        try:
            ensure_schema(engine, can_upgrade=not read_only)
            return
        except OperationalError as exc:
            if "database is locked" not in str(exc.orig) or time.monotonic() + pause > deadline:
                raise
            engine.dispose()
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def open_engine(url: str, create: bool = True, write: bool | None = None) -> Engine:
    """An engine on ``url``; ``create`` (the default) creates or upgrades the schema first.

    ``write`` (default: ``create``): the caller will write, so the ledger must be writable
    and pass SQLite's quick check. Whatever the caller does, a file that is not a tradesim
    ledger (nor new, nor empty) is refused before anything opens it (``db.guard``).
    """
    write = create if write is None else write
    read_only = False
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            check_sqlite(path, write)
            # A reader of a ledger it cannot write (read-only file, folder or mount) opens it
            # read-only: the ledger's own pragmas and journal files would fail there.
            read_only = not write and path.is_file() and path.stat().st_size > 0 and not writable(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(f"{path}: cannot create its folder: {exc.strerror}") from None
        # Named parameters let the ledger pass the same row dicts to SQLite and PostgreSQL.
        if read_only:
            engine = create_engine(url, creator=lambda: guard.read_only(path), paramstyle="named")
            event.listen(engine, "connect", partial(_sqlite_pragmas, wal=False))
        else:
            engine = create_engine(url, connect_args={"timeout": 30}, paramstyle="named")
            event.listen(engine, "connect", _sqlite_pragmas)
            if write and path is not None:
                event.listen(engine, "close", lambda dbapi_conn, _record: guard.session_closing(path, dbapi_conn))
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = _server_engine(url)
    if create:
        from db.migrations import ensure_schema

        try:
            _ensure_schema_patiently(engine, ensure_schema, read_only)
        except OperationalError as exc:
            engine.dispose()
            raise LedgerError(f"{engine.url.render_as_string(hide_password=True)}: cannot open the ledger: "
                              f"{str(exc.orig).strip().splitlines()[0]}") from None
        except BaseException:
            engine.dispose()
            raise
    return engine


def _server_engine(url: str) -> Engine:
    """A server database's engine, or one line saying what is wrong with the URL or the install."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    scheme = url.split("://", 1)[0]
    try:
        return create_engine(url)
    except NoSuchModuleError:
        raise LedgerError(f"--db {scheme}://...: unknown database URL scheme {scheme!r} (use a file path, "
                          "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB)") from None
    except ArgumentError as exc:
        raise LedgerError(f"--db: not a database URL ({exc})") from None
    except ImportError as exc:
        extra = " (pip install 'tradesim[postgres]')" if scheme.startswith("postgres") else ""
        raise LedgerError(f"--db {scheme}://...: the driver is not installed: {exc.name or exc}{extra}") from None


def check_database(url: str, write: bool = True) -> None:
    """``open_engine``'s refusals without opening anything: a command calls it before its work,
    so a bad ``--db`` is reported before a replay, not after it."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            check_sqlite(path, write)
    else:
        _server_engine(url).dispose()
