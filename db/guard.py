"""What tradesim checks before it opens a database: its own ledger, or nothing at all.

A ``--db`` can name anything: another application's SQLite file, random bytes, a
folder, a read-only copy, a damaged file. Opening any of these with SQLAlchemy and
the ledger's pragmas would change it (journal mode WAL is written into the file) or
fail halfway with a driver traceback. So a SQLite file is inspected first, read-only
through the sqlite3 module, and refused in one line unless it is new, empty (no
tables) or a tradesim ledger. A session that writes also needs the file writable
and whole: ``PRAGMA quick_check`` (see the README for its cost on a large ledger).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from tradesim.errors import LedgerError

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every tradesim ledger has had since the first migration.
LEDGER_TABLES = frozenset({"portfolios", "runs", "instruments", "orders", "fills", "processed_days"})
# Tables other software keeps in a ledger's database (APScheduler's job store), or SQLite itself.
ALLOWED_EXTRA = frozenset({"apscheduler_jobs", "alembic_version"})


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for an in-memory database."""
    path = url.split("///", 1)[-1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file (not even its journal mode)."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30)


def check_sqlite(path: Path, write: bool) -> None:
    """Refuse, in one line, a path that is not a new, empty or tradesim SQLite ledger."""
    if path.is_dir():
        raise LedgerError(f"{path}: is a folder, not a ledger file")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise LedgerError(f"{path}: {parent} is a file, not a folder")
    if not path.exists():
        if write and parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            raise LedgerError(f"{path}: cannot create the ledger: {parent} is not writable")
        return
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read the ledger: {exc.strerror}") from None
    if not header:
        return  # an empty file: SQLite makes it a new database
    if header != SQLITE_HEADER:
        raise LedgerError(f"{path}: not a tradesim ledger (not an SQLite database)")
    tables = sqlite_tables(path)
    if tables - ALLOWED_EXTRA and not LEDGER_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise LedgerError(f"{path}: not a tradesim ledger (an SQLite database of another application, with "
                          f"tables {shown}); tradesim leaves it untouched")
    if write:
        folder = path.resolve().parent
        if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
            what = path if not os.access(path, os.W_OK) else folder
            raise LedgerError(f"{path}: the ledger is read-only ({what} is not writable): "
                              "queries can read it, replays and paper runs cannot write to it")
        if LEDGER_TABLES <= tables:
            problem = quick_check(path)
            if problem:
                raise LedgerError(f"{path}: the ledger is damaged ({problem}); nothing was written. "
                                  f"`tradesim db check --db {path}` reports it; restore a backup")


def sqlite_tables(path: Path) -> set[str]:
    try:
        conn = read_only(path)
        try:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: not a readable ledger ({exc})") from None


def quick_check(path: Path) -> str | None:
    """The first problem ``PRAGMA quick_check`` finds, or None for a sound file."""
    return _pragma_check(path, "quick_check")


def integrity_check(path: Path) -> str | None:
    """Like ``quick_check`` but also checks that every index matches its table (slower)."""
    return _pragma_check(path, "integrity_check")


def _pragma_check(path: Path, pragma: str) -> str | None:
    try:
        conn = read_only(path)
        try:
            rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}(5)")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    if rows == ["ok"]:
        return None
    found = [line for row in rows for line in str(row).splitlines() if not line.startswith("***")]
    return found[0] + (", and more" if len(found) > 1 else "") if found else "; ".join(rows)
