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


def test_a_history_query_streams_without_pandas(tmp_path) -> None:
    """``tradesim trades`` and friends stream rows from the ledger; pandas (half a second to
    import) is only for the notebook API's frames."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from db.models import Portfolio, Run
    from db.session import open_engine

    db = tmp_path / "l.db"
    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(insert(Portfolio).values(id=1, name="p", base_currency="USD"))
        now = datetime(2024, 1, 2, tzinfo=UTC)
        conn.execute(insert(Run).values(id=1, portfolio_id=1, mode="replay", config="{}", config_hash="h",
                                        code_version="t", started_at=now, status="finished"))
    engine.dispose()
    code = ("import sys; from tradesim.cli import main; "
            f"rc = main(['trades', '--db', {str(db)!r}, '-f', 'csv']); "
            "print(rc, 'pandas' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines()[-1] == "0 False", result.stdout + result.stderr
