"""User-facing errors: each carries one line that names the culprit.

The CLI prints ``str(error)`` and exits with the error's ``exit_code`` (2 a
mistake, 3 not ready) without a traceback; anything that is not a
``TradesimError`` is a bug: one line, and its traceback goes to a file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class TradesimError(Exception):
    """A mistake in the user's input (config, data, command line)."""

    exit_code = 2


class ConfigError(TradesimError):
    """A portfolio config that does not validate."""


class DataError(TradesimError):
    """Price data that is missing, malformed or fails a sanity check."""


class LedgerError(TradesimError):
    """The database refuses the operation (already processed, locked, too new)."""


class StrategyError(TradesimError):
    """A user's strategy raised: reported as theirs, with its file and line."""


class SomeFailed(TradesimError):
    """Several independent jobs (portfolios, sweep variants) of which some failed: the
    command exits with the worst of their codes, each failure already reported."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class NotReady(TradesimError):
    """The work cannot be done yet (a closed session's prices have not arrived): try later."""

    exit_code = 3


class Interrupted(BaseException):
    """SIGINT or SIGTERM: the run stops after its last committed day.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception``
    swallows it; whoever owns a run row marks it ``interrupted`` and adds a ``note``
    (which run, which day) before letting it go on.
    """

    def __init__(self, signal_name: str, exit_code: int) -> None:
        super().__init__(signal_name)
        self.signal_name, self.exit_code = signal_name, exit_code
        self.note = ""


_deferring = {"depth": 0, "pending": None}  # the main thread's: signal handlers run there


def interrupt(signal_name: str, exit_code: int) -> None:
    """What the SIGINT/SIGTERM handler calls: raise ``Interrupted`` now, or, inside
    ``interrupts_deferred``, as that block ends."""
    if _deferring["depth"]:
        _deferring["pending"] = (signal_name, exit_code)
        return
    raise Interrupted(signal_name, exit_code)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold ``Interrupted`` back until the block is done.

    ``Interrupted`` is raised wherever the main thread is when the signal comes. Inside
    SQLAlchemy's commit, after the database has committed but before the Transaction object
    knows, it leaves that object half-closed: committing it again in the run's cleanup then
    fails, and the run is never marked interrupted (the signal tests found it). A signal
    that arrives in the block is raised as the block ends.
    """
    _deferring["depth"] += 1
    try:
        yield
    finally:
        _deferring["depth"] -= 1
        pending = _deferring["pending"] if _deferring["depth"] == 0 else None
        if pending is not None:
            _deferring["pending"] = None
            raise Interrupted(*pending)  # noqa: B012 (the user's Ctrl-C is the truer account)


def not_utf8(exc: UnicodeDecodeError) -> str:
    """The words for a file that is not UTF-8, with the first bad byte and where it is."""
    return f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
