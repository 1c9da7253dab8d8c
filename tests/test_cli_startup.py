"""The CLI in a fresh process, as a user runs it: only the command's own module is imported."""

from __future__ import annotations

import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from tradesim.cli import run; run()", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_command_runs_when_only_its_module_is_registered(tmp_path) -> None:
    missing = tmp_path / "missing.db"
    result = run("report", "3", "--db", str(missing))
    assert result.returncode == 2
    assert "no such ledger" in result.stderr and "Invalid value" not in result.stderr


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("replay", "compare", "paper", "report", "trades", "pnl", "data", "db", "rebalance", "profile"):
        assert command in result.stdout
