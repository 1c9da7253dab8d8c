"""Every warning a run raises, counted and kept with the run in the ledger.

Missing prices are counted one per instrument-day (the engine records them day by
day and the replay logs one summary line); any other WARNING record logged while
the run is in progress (prices that arrived late, a strategy's floor breached, a
re-fetched price that changed, a config that changed under a paper portfolio...)
counts one each. Only the thread doing the run is listened to, so paper portfolios
processed side by side (or a sweep's runs) do not pick up each other's warnings.
The counting does not depend on what the console shows: --quiet hides warnings
from the terminal, not from the ledger (cli/logs.py filters at its handler).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import func, update
from sqlalchemy.engine import Connection

from db.models import Run


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


@contextmanager
def collected() -> Iterator[list[str]]:
    """The messages of the WARNING (and worse) records this thread logs inside the block."""
    collector = start()
    try:
        yield collector.lines
    finally:
        stop(collector)


def start() -> _Collector:
    """``collected`` for code that cannot indent a block: ``stop`` it in a ``finally``."""
    collector = _Collector()
    logging.getLogger().addHandler(collector)
    return collector


def stop(collector: _Collector) -> list[str]:
    logging.getLogger().removeHandler(collector)
    return collector.lines


def add(conn: Connection, run_id: int, lines: Sequence[str], count: int | None = None) -> None:
    """Add ``count`` warnings (default: one per line) and their ``lines`` to the run's record."""
    if not lines and not count:
        return
    text = "\n".join(lines)
    conn.execute(update(Run).where(Run.id == run_id).values(
        warnings=func.coalesce(Run.warnings, 0) + (len(lines) if count is None else count),
        warning_text=func.coalesce(Run.warning_text + "\n", "") + text if text else Run.warning_text))
