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


def test_the_static_help_lines_are_the_commands_own() -> None:
    """``tradesim --help`` lists commands from a table so it imports none of them; every line of that
    table must be the first paragraph of the real command's help (what Typer would list)."""
    import inspect

    import typer.main

    import tradesim.cli as cli

    cli._register()
    real = typer.main.get_group(cli.app).commands
    assert not any(isinstance(c, cli._Listed) for c in real.values())  # every command is the real one
    listed = {name: line for name, (_, line) in cli.COMMANDS.items()}
    shown = {name: inspect.cleandoc(c.short_help or c.help or "").split("\n\n")[0].strip()
             for name, c in real.items() if not c.hidden}
    assert listed == shown
    # ... and names the module that defines it (a command's function, or a group's commands)
    defined_in = {typer.main.get_command_name(info.callback.__name__) if info.name is None else info.name:
                  info.callback.__module__ for info in cli.app.registered_commands}
    defined_in |= {info.name: next(c.callback.__module__ for c in info.typer_instance.registered_commands)
                   for info in cli.app.registered_groups}
    assert defined_in == {name: f"tradesim.cli.{module}" for name, (module, _) in cli.COMMANDS.items()}


def test_help_and_version_import_no_heavy_library() -> None:
    heavy = ("pandas", "numpy", "numba", "sqlalchemy", "matplotlib", "scipy")
    for args in (["--help"], ["--version"], []):
        code = ("import sys; from tradesim.cli import main; rc = main(" + repr(args) + "); "
                "print(rc, sorted(m for m in " + repr(heavy) + " if m in sys.modules))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert result.stdout.splitlines()[-1] == ("0 []" if args else "2 []"), (args, result.stdout, result.stderr)


def test_the_listing_is_the_same_whether_or_not_the_commands_are_imported() -> None:
    code = ("import sys, tradesim.cli as c; {}c.main(['--help'])")
    lazy, loaded = (subprocess.run([sys.executable, "-c", code.format(pre)], capture_output=True, text=True,
                                   timeout=120, env={**__import__("os").environ, "COLUMNS": "100"})
                    for pre in ("", "c._register(); "))
    assert lazy.stdout == loaded.stdout and "mix" in lazy.stdout
