"""What the integrity gate costs a write session on a ledger of a million fills.

    python scripts/bench_quick_check.py [--fills 1000000] [--db PATH]

Fills a ledger as scripts/bench_ledger.py does (or reuses --db, a ledger it filled before),
then times, each with the file dropped from the page cache (as for a daily paper run,
whose ledger was last read a day ago) and in it:

- ``PRAGMA quick_check`` itself;
- the gate every write session passes (``db.guard.check_sqlite``): on a file changed by
  something else since it was last known sound (a full quick check), and on a file as
  the last tradesim write session left it (its fingerprint holds: no check);
- ``tradesim replay`` of a 2-instrument, 7-day portfolio into that ledger through the
  console script, the same two ways: the whole command, start-up and all.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_ledger, beside this script

from bench_ledger import fill_ledger  # noqa: E402
from peak import run as peak_of, this_process_mb  # noqa: E402

from db import guard  # noqa: E402
from db.session import open_engine  # noqa: E402

CONFIG = """name = "gate"
capital = 10000
start = "2024-01-02"
[data]
source = "csv"
path = "closes.csv"
[strategy]
name = "fixed_weights"
params = { weights = { AAA = 0.4, BBB = 0.4 } }
[[instruments]]
symbol = "AAA"
[[instruments]]
symbol = "BBB"
"""
CLOSES = ("Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,97,52\n2024-01-05,104,50\n"
          "2024-01-08,99,53\n2024-01-09,103,49\n2024-01-10,98,51\n")


def uncache(path: Path) -> None:
    """Drop the file from the page cache (Linux): the next read comes from the disk."""
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def changed_elsewhere(path: Path) -> None:
    """What a copy, a restore or another tool does to the fingerprint: new times."""
    os.utime(path)


def timed(fn: Callable[[], object], cold: bool, path: Path, before: Callable[[], None] = lambda: None) -> float:
    before()
    if cold:
        uncache(path)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--instruments", type=int, default=100)
    parser.add_argument("--db", help="a ledger this script (or bench_ledger.py) filled; default: a new temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["XDG_STATE_HOME"] = str(folder / "state")  # the gate's records: this run's own
        path = Path(args.db) if args.db else folder / "bench.db"
        if not args.db:
            t0 = time.perf_counter()
            engine = open_engine(f"sqlite:///{path}")
            fill_ledger(engine, args.fills, args.instruments)
            engine.dispose()
            print(f"filled {args.fills:,} fills in {time.perf_counter() - t0:.0f} s")
        (folder / "gate.toml").write_text(CONFIG)
        (folder / "closes.csv").write_text(CLOSES)
        tradesim = Path(sys.executable).with_name("tradesim")

        def replay() -> None:
            subprocess.run([str(tradesim), "replay", "gate.toml", "--db", str(path)], cwd=folder, check=True,
                           stdout=subprocess.DEVNULL)

        def gate() -> None:
            guard.check_sqlite(path, write=True)
            guard.session_closing(path, _closed())  # as a write session ends: the file is recorded

        print(f"ledger: {path} ({path.stat().st_size / 2**20:,.0f} MiB)   load average: "
              f"{os.getloadavg()[0]:.2f}")
        print(f"{'':<44}{'out of cache':>14}{'in cache':>10}")
        rows = [
            ("PRAGMA quick_check", lambda cold: timed(lambda: guard.quick_check(path), cold, path)),
            ("gate, file changed since last known sound",
             lambda cold: timed(gate, cold, path, before=lambda: changed_elsewhere(path))),
            ("gate, file as tradesim left it", lambda cold: timed(gate, cold, path)),
            ("tradesim replay, file changed elsewhere",
             lambda cold: timed(replay, cold, path, before=lambda: changed_elsewhere(path))),
            ("tradesim replay, file as tradesim left it", lambda cold: timed(replay, cold, path)),
        ]
        for name, fn in rows:
            print(f"{name:<44}{fn(True):>13.2f}s{fn(False):>9.2f}s")
        once = peak_of([str(tradesim), "replay", "gate.toml", "--db", str(path)], cwd=str(folder))
        print(f"peak RSS: tradesim replay into this ledger {once.peak_mb:.0f} MB (its own process); "
              f"this process {this_process_mb():.0f} MB")


def _closed():  # noqa: ANN202
    """A connection for ``session_closing`` to close (it closes the session's own)."""
    import sqlite3

    return sqlite3.connect(":memory:")


if __name__ == "__main__":
    main()
