"""The ``tradesim`` command line (Typer + Rich).

Each command lives in its own module and registers itself on ``app``. Exit codes
are a contract (README, "Exit codes"): 0 done, 2 the user's mistake, 3 not
ready, 1 an internal error (one line; the traceback goes to a file), 130/143
interrupted. No traceback reaches the terminal unless asked for (``--debug``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text
from typer.exceptions import TyperException

import tradesim
from tradesim.errors import Interrupted, TradesimError

app = typer.Typer(
    name="tradesim",
    help="Event-driven trading simulation: replay, paper trading and the trade ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
DEBUG_ENV = "TRADESIM_DEBUG"


def _version(value: bool) -> None:
    if value:
        console.print(f"tradesim {tradesim.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Errors only: no warnings, no progress bars."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log lines (-vv: debug)."),
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help=f"Print the traceback of an internal error "
                                        f"(also ${DEBUG_ENV}=1).")] = False,
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
    """Run the command line; returns the exit code (README, "Exit codes")."""
    from tradesim.cli import logs

    logs.configure()
    args = sys.argv[1:] if argv is None else list(argv)
    # --debug is read here, wherever it stands (``tradesim replay --debug`` too).
    debug = "--debug" in args or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    _register(args)
    try:
        with signals_raise_interrupted():
            code = app(args=args, standalone_mode=False)
    except TradesimError as exc:
        _error(str(exc))
        return exc.exit_code
    except Interrupted as exc:
        _error(f"interrupted by {exc.signal_name}" + (f": {exc.note}" if exc.note else ""), label="stopped")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _error("interrupted", label="stopped")
        return 130
    except TyperException as exc:  # usage errors (Typer's vendored click): usage, hint and one line
        exc.show()
        return exc.exit_code
    except Exception as exc:
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (traceback in {_write_traceback()}; "
               f"--debug or {DEBUG_ENV}=1 prints it)")
        return 1
    # Typer returns the command's exit code (130 when it turned Ctrl-C into an Exit).
    return code if isinstance(code, int) else 0


def _error(message: str, label: str = "error") -> None:
    # Text, not markup: a message that names an index ("[i, j]") must keep its brackets.
    err_console.print(Text.assemble((f"{label}: ", "bold red"), message), highlight=False, soft_wrap=True)


def _write_traceback() -> str:
    """Write the current exception's traceback to a file; returns the file's path."""
    import tempfile
    import traceback
    from datetime import datetime

    folder = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "tradesim"
    name = f"crash-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.txt"
    for where in (folder, Path(tempfile.gettempdir())):
        try:
            where.mkdir(parents=True, exist_ok=True)
            path = where / name
            path.write_text(f"tradesim {' '.join(sys.argv[1:])}\n{traceback.format_exc()}", encoding="utf-8")
            return str(path)
        except OSError:
            continue
    return "nowhere (no writable folder)"


@contextmanager
def signals_raise_interrupted() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` (exit 130 and 143): the run in progress keeps
    its committed days, marks itself ``interrupted`` and the command says so in one line."""
    def handler(signum, _frame) -> None:  # noqa: ANN001
        raise Interrupted(signal.Signals(signum).name, 128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run() -> None:
    sys.exit(main())
