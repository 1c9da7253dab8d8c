"""What tradesim checks before it opens a database: its own ledger, or nothing at all.

A ``--db`` can name anything: another application's SQLite file, random bytes, a
folder, a read-only copy, a damaged file. Opening any of these with SQLAlchemy and
the ledger's pragmas would change it (journal mode WAL is written into the file) or
fail halfway with a driver traceback. So a SQLite file is inspected first, read-only
through the sqlite3 module, and refused in one line unless it is new, empty (no
tables) or a tradesim ledger. A session that writes also needs the file writable
and whole: ``PRAGMA quick_check``, unless the file is exactly as it was when last
known sound (see ``known_sound``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
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
    """A connection that cannot change the file (not even its journal mode).

    Even a reader of a WAL ledger needs the ``-shm`` index beside it. Where that cannot
    be created (a read-only folder or mount, and no writer has the ledger open) the
    file is opened ``immutable``, SQLite's documented way to read it there; this is
    sound only when no ``-wal`` file holds commits the file lacks, so then it is refused.
    """
    uri = f"file:{quote(str(path.resolve()))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
        if writable_folder(path):
            raise  # not the missing index: e.g. locked
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise LedgerError(f"{path}: cannot read the ledger: it is read-only here and {wal.name} holds commits not "
                          "yet in the file (open it once where it can be written: SQLite then moves them in)")
    return sqlite3.connect(f"{uri}?immutable=1", uri=True)


def writable_folder(path: Path) -> bool:
    return os.access(path.resolve().parent, os.W_OK | os.X_OK)


def writable(path: Path) -> bool:
    """Can this process write the ledger file and create its journal beside it?"""
    return os.access(path, os.W_OK) and writable_folder(path)


def check_sqlite(path: Path, write: bool) -> None:
    """Refuse, in one line, a path that is not a new, empty or tradesim SQLite ledger."""
    if path.is_dir():
        raise LedgerError(f"{path}: is a folder, not a ledger file")
    if path.exists() and not path.is_file():
        # A device or a FIFO: reading its header could block forever, and SQLite cannot keep a ledger there.
        raise LedgerError(f"{path}: not a regular file (a device, FIFO or socket), so not a ledger file")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise LedgerError(f"{path}: {parent} is a file, not a folder")
    if not path.exists():
        if write and parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            raise LedgerError(f"{path}: cannot create the ledger: {parent} is not writable")
        if write:
            _SESSIONS.setdefault(path.resolve(), time.time())  # SQLite creates it: sound
        return
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read the ledger: {exc.strerror}") from None
    if not header:
        if write:
            _SESSIONS.setdefault(path.resolve(), time.time())
        return  # an empty file: SQLite makes it a new database
    if header != SQLITE_HEADER:
        raise LedgerError(f"{path}: not a tradesim ledger (not an SQLite database)")
    tables = sqlite_tables(path)
    if tables - ALLOWED_EXTRA and not LEDGER_TABLES <= tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise LedgerError(f"{path}: not a tradesim ledger (an SQLite database of another application, with "
                          f"tables {shown}); tradesim leaves it untouched")
    if write:
        if not writable(path):
            what = path if not os.access(path, os.W_OK) else f"its folder {path.resolve().parent}"
            raise LedgerError(f"{path}: the ledger is read-only ({what} is not writable): "
                              "queries can read it, nothing can write to it (replay, paper run, db upgrade)")
        if LEDGER_TABLES <= tables and not known_sound(path):
            problem = quick_check(path)
            if problem:
                raise LedgerError(f"{path}: the ledger is damaged ({problem}); nothing was written. "
                                  f"`tradesim db check --db {path}` reports it; restore a backup")
            remember_sound(path, checked=time.time())
    if write:
        _SESSIONS.setdefault(path.resolve(), _checked_at(_record(path)) or time.time())


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


# -- skipping the quick check on a file that is as tradesim left it ----------------------------
#
# The quick check reads the whole file: on a 295 MiB ledger of a million fills about 3 s when
# the file is not in the page cache, as for a daily paper run, and 0.7 s when it is
# (scripts/bench_quick_check.py). Most write sessions open a file nothing but tradesim has
# touched since it was last known sound, so a file whose fingerprint (device, inode, size,
# modification and change times, and its -wal file's size and time) is the one recorded then
# is not read again. Known sound means: it passed the quick check, or a tradesim write session
# that began on a sound (or new) file closed its connections on it, all its changes having gone
# through SQLite's transactions. Whatever else writes the file (a copy over it, a restore, a
# stray tool, a process killed mid-session) changes the fingerprint, and the next write session
# checks in full. Damage that leaves the file's times alone (a failing disk) is what this
# trusts away, so the trust lasts a week from the last full check (a weekly check of a daily
# ledger costs seconds); `tradesim db check` checks in full whenever asked.

SOUND_FOR = 7 * 24 * 3600  # seconds a full check is trusted for while the fingerprint holds
_KEPT = 64  # ledgers remembered (the least recently used are forgotten first)
_SESSIONS: dict[Path, float] = {}  # ledgers this process writes: when each was last checked in full


def fingerprint(path: Path) -> list | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    try:
        wal = os.stat(f"{path}-wal")
        # An empty -wal holds nothing (a read-only reader, like this module's, leaves one behind).
        wal_print = [wal.st_size, wal.st_mtime_ns] if wal.st_size else None
    except OSError:
        wal_print = None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, wal_print]


def _records_file() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "tradesim" / "sound-ledgers.json"


def _records() -> dict:
    try:
        found = json.loads(_records_file().read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _record(path: Path) -> dict:
    found = _records().get(str(path.resolve()))
    return found if isinstance(found, dict) else {}


def known_sound(path: Path) -> bool:
    """Is the file exactly as it was when last known sound, within ``SOUND_FOR`` of a full check?"""
    record = _record(path)
    return time.time() - _checked_at(record) < SOUND_FOR and record.get("fingerprint") == fingerprint(path)


def _checked_at(record: object) -> float:
    """When a record's ledger was last checked in full (0 for anything else: a hand-edited file)."""
    checked = record.get("checked") if isinstance(record, dict) else None
    return float(checked) if isinstance(checked, (int, float)) and not isinstance(checked, bool) else 0.0


def _seen_at(record: object) -> float:
    """When a record's ledger was last known sound (its last full check for a record without the time)."""
    seen = record.get("seen") if isinstance(record, dict) else None
    return float(seen) if isinstance(seen, (int, float)) and not isinstance(seen, bool) else _checked_at(record)


def remember_sound(path: Path, checked: float) -> None:
    """Record the file's fingerprint as sound, last checked in full at ``checked`` (best effort:
    a state folder that cannot be written means a full check next time, nothing worse)."""
    found = fingerprint(path)
    if found is None:
        return
    records = _records()
    records[str(path.resolve())] = {"fingerprint": found, "checked": checked, "seen": time.time()}
    # The least recently used are forgotten first, not the least recently checked: a ledger in
    # daily use keeps the date of its last full check for a week, so it would always be the
    # first forgotten, and checked in full again after a few dozen other ledgers were written
    # (a price cache of 500 MB: 1.6 s at every replay from it).
    kept = dict(sorted(records.items(), key=lambda kv: -_seen_at(kv[1]))[:_KEPT])
    target = _records_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_name(f"{target.name}.{os.getpid()}")
        scratch.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(scratch, target)
    except OSError:
        pass


def session_closing(path: Path, connection: sqlite3.Connection) -> None:
    """A write session's connection is closing: close it (the last one to close checkpoints the
    WAL into the file) and record the file, as sound as when the session found it."""
    connection.close()  # SQLAlchemy closes it again just after: a no-op
    checked = _SESSIONS.get(path.resolve())
    if checked is not None:
        remember_sound(path, checked)
