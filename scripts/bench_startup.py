"""Start-up of the ``tradesim`` console script: median wall time of a few quick commands.

    python scripts/bench_startup.py [--repeat 9]

Times ``tradesim --help``, ``tradesim --version``, ``tradesim pnl --help`` and ``tradesim runs``
on a small ledger (1,000 synthetic fills, made by ``bench_ledger.py``'s filler), each run as a
user runs it: the real console script in a fresh process. Prints the median and the best of
--repeat runs, and each command's own peak RSS (``peak.py``: started apart from this process).
Target: ``tradesim --help`` under 0.4 s. For a ratio taken in the same run, it
also times the help as it was before the listing became static (every command module imported
first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_ledger import fill_ledger  # noqa: E402
from peak import run as peak_of  # noqa: E402

from db.session import open_engine  # noqa: E402


def timed(argv: list[str], repeat: int) -> tuple[float, float, float]:
    """Median and best wall seconds of ``argv`` in a fresh process, and its largest peak RSS (MB)."""
    subprocess.run(argv, capture_output=True, check=True)  # warm the file cache and the .pyc files
    times, peak = [], 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    peak = max(peak_of(argv).peak_mb for _ in range(2))  # apart: the launcher adds its own start-up
    return statistics.median(times), min(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    tradesim = shutil.which("tradesim") or str(Path(sys.executable).parent / "tradesim")
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "small.db")
        engine = open_engine(f"sqlite:///{db}")
        fill_ledger(engine, 1_000, 10)
        engine.dispose()
        print(f"load average {os.getloadavg()[0]:.1f}; median of {args.repeat} runs, fresh processes")
        print(f"{'command':<34} {'median s':>9} {'best s':>7} {'peak MB':>8}")
        help_median = None
        for argv in (["--help"], ["--version"], ["pnl", "--help"], ["runs", "--db", db]):
            median, best, peak = timed([tradesim, *argv], args.repeat)
            help_median = help_median or median
            name = "tradesim " + " ".join(a if a != db else "(small ledger)" for a in argv)
            print(f"{name:<34} {median:>9.3f} {best:>7.3f} {peak:>8.0f}")
        # What --help cost before the listing was static: every command module imported first.
        eager = [sys.executable, "-c", "import tradesim.cli as c; c._register(); c.run()", "--help"]
        median, best, peak = timed(eager, args.repeat)
        print(f"{'--help, every module imported':<34} {median:>9.3f} {best:>7.3f} {peak:>8.0f}   "
              f"({median / help_median:.1f}x tradesim --help)")


if __name__ == "__main__":
    main()
