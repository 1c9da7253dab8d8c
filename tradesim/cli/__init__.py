"""The ``tradesim`` command line (Typer + Rich).

Each command lives in its own module and registers itself on ``app``. User
mistakes (``TradesimError``) print one line and exit non-zero, without a
traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
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
err_console = Console(stderr=True)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from tradesim.cli import data  # noqa: F401
    from tradesim.cli import compare, dbcmd, history, paper, replay  # noqa: F401
    from tradesim.cli import profile, rebalance  # noqa: F401  (allocation: issue 7)
    from tradesim.cli import report  # noqa: F401  (run reports: issue 8)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _register()
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
