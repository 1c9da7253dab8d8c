"""Usage errors and the exit-code contract of ``tradesim`` itself (no command run)."""

from __future__ import annotations

import pytest

import tradesim
from tests.edges.console import tradesim as run


@pytest.mark.parametrize("args, says", [
    ((), "Usage: tradesim"),
    (("--bogus",), "No such option: --bogus"),
    (("nosuch",), "No such command 'nosuch'"),
    (("replay", "--capital", "abc"), "Invalid value for '--capital'"),
    (("replay", "--commit-every", "0"), "Invalid value for '--commit-every'"),
    (("paper",), "Usage: tradesim paper"),
    (("db", "upgrade", "extra-argument"), "Got unexpected extra argument"),
])
def test_usage_errors_exit_2_without_a_traceback(args, says) -> None:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout


def test_version_prints_the_package_version() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"tradesim {tradesim.__version__}")
