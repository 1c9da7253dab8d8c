"""The ``tradesim`` command line (Typer + Rich).

Each command lives in its own module and registers itself on ``app``. User
mistakes (``TradesimError``) print one line and exit non-zero, without a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from tradesim.errors import TradesimError

app = typer.Typer(
    name="tradesim",
    help="Event-driven trading simulation: replay, paper trading and the trade ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def _root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Errors only: no warnings, no progress bars."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (-vv: debug)."),
) -> None:
    """Event-driven trading simulation: replay, paper trading and the trade ledger."""
    # A callback keeps ``app`` a group of commands even when only the one being run is
    # registered (see COMMAND_MODULES); with a single command Typer would run it bare.
    from tradesim.cli import logs

    logs.configure(-1 if quiet else verbose)
err_console = Console(stderr=True)


# The module that defines each command. Only the module of the command being run is
# imported (each pulls in pandas, SQLAlchemy, matplotlib... as it needs them); help and
# unknown commands import them all, so the listing is complete.
COMMAND_MODULES = {
    "replay": "replay", "compare": "compare", "paper": "paper", "report": "report",
    "runs": "history", "trades": "history", "orders": "history", "fills": "history",
    "positions": "history", "equity": "history", "pnl": "history",
    "data": "data", "db": "dbcmd", "rebalance": "rebalance", "profile": "profile",
    "strategies": "strategy_list", "check": "check", "sweep": "sweep", "stress": "allocation", "mix": "allocation",
    "attribution": "attribution",
}


def _register(argv: list[str] | None = None) -> None:
    from importlib import import_module

    command = next((a for a in (argv or []) if not a.startswith("-")), None)
    modules = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else sorted(set(COMMAND_MODULES.values()))
    for name in modules:
        import_module(f"tradesim.cli.{name}")  # registers its commands on ``app``


def main(argv: list[str] | None = None) -> int:
    from tradesim.cli import logs

    logs.configure()
    _register(sys.argv[1:] if argv is None else argv)
    try:
        app(args=argv, standalone_mode=False)
    except TradesimError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        if isinstance(exc, _usage_errors()):
            exc.show()
            return exc.exit_code
        raise
    return 0


def _usage_errors() -> tuple[type[Exception], ...]:
    import click

    errors: list[type[Exception]] = [click.exceptions.ClickException]
    try:  # Typer 0.2x parses with its own vendored copy of click, whose errors are not click's
        from typer._click.exceptions import ClickException
    except ImportError:
        pass
    else:
        errors.append(ClickException)
    return tuple(errors)


def run() -> None:
    sys.exit(main())
