"""The replay's spinner while the optimiser loads (a minute on the first run, when numba compiles):
shown on a terminal, never in a log file or cron mail, never under --quiet."""

import contextlib

import rich.console
import rich.status

from tradesim.cli import err_console
from tradesim.cli.replay import optimiser_status


def test_a_terminal_sees_a_spinner_while_the_optimiser_loads(monkeypatch):
    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr("tradesim.cli.replay.quiet", lambda: False)
    status = optimiser_status()
    assert isinstance(status, rich.status.Status)
    assert "first run" in str(status.status)


def test_no_spinner_off_a_terminal_or_under_quiet(monkeypatch):
    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: False))
    assert isinstance(optimiser_status(), contextlib.nullcontext)
    monkeypatch.setattr(rich.console.Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr("tradesim.cli.replay.quiet", lambda: True)
    assert isinstance(optimiser_status(), contextlib.nullcontext)
    assert err_console.is_terminal  # the patch above is what made the difference
