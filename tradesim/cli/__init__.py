"""The ``tradesim`` command line (Typer + Rich).

Each command lives in its own module and registers itself on ``app``. Exit codes
are a contract (README, "Exit codes"): 0 done, 2 the user's mistake, 3 not
ready, 1 an internal error (one line; the traceback goes to a file), 130/143
interrupted. No traceback reaches the terminal unless asked for (``--debug``).
"""

from __future__ import annotations

import errno
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
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

import tradesim
from tradesim.errors import Interrupted, TradesimError, interrupt



class _Listed(TyperCommand):
    """A command known by its name and help line only, until it is run (see COMMANDS)."""


class _LazyCommands(TyperGroup):
    """The root group: lists every command from COMMANDS and builds one only when it is resolved
    (run, or asked for its own help), importing its module then."""

    def __init__(self, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        from tradesim.cli.assemble import finish

        finish(self, verbosity=self.params)  # metavars, --quiet/--verbose on every command (cli/assemble.py)
        self._listing = False
        for name, (_, line) in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name=name, help=line))

    def list_commands(self, ctx) -> list[str]:  # noqa: ANN001
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx, cmd_name: str):  # noqa: ANN001, ANN201
        command = self.commands.get(cmd_name)
        if isinstance(command, _Listed) and not self._listing:
            from importlib import import_module

            import_module(f"tradesim.cli.{COMMANDS[cmd_name][0]}")  # registers its commands on ``app``
            # (a group built anew: its __init__ finished the command)
            command = self.commands[cmd_name] = typer.main.get_group(app).commands[cmd_name]
        return command

    def format_help(self, ctx, formatter) -> None:  # noqa: ANN001
        self._listing = True  # the listing shows help lines: no module needs importing for it
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="tradesim",
    cls=_LazyCommands,
    help="Event-driven trading simulation: replay, paper trading and the trade ledger.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
DEBUG_ENV = "TRADESIM_DEBUG"


def _quiet(value: bool) -> None:
    if value:
        from tradesim.cli import logs

        logs.configure(-1)


def _verbose(value: int) -> None:
    if value:
        from tradesim.cli import logs

        logs.configure(value)


def _version(value: bool) -> None:
    if value:
        console.print(f"tradesim {tradesim.__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    # tradesim/cli/assemble.py gives every command these two options, with these callbacks.
    quiet: bool = typer.Option(False, "--quiet", "-q", callback=_quiet,
                               help="Errors only: no warnings, no progress bars."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, callback=_verbose, show_default=False,
                                help="More log lines (-vv: debug)."),
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help=f"Print the traceback of an internal error "
                                        f"(also ${DEBUG_ENV}=1).")] = False,
) -> None:
    """Event-driven trading simulation: replay, paper trading and the trade ledger."""
    # A callback keeps ``app`` a group of commands even when only the one being run is
    # registered (see COMMAND_MODULES); with a single command Typer would run it bare.
    # --quiet and --verbose did their work in their callbacks.
err_console = Console(stderr=True)


# Every command, in the order ``tradesim --help`` lists them: the module that defines it and the
# line the listing shows. Listing reads this table, so ``--help`` and ``--version`` import no
# command module (each pulls in pandas, SQLAlchemy, numba... as it needs them); a module is imported
# only when its command runs or shows its own help. tests/test_cli_startup.py checks that every
# line here is the real command's first help paragraph, so the two cannot drift.
COMMANDS: dict[str, tuple[str, str]] = {
    "replay": ("replay", "Replay a portfolio over historical prices; every order and fill goes to the ledger."),
    "compare": ("compare", "Replay one strategy with fractional, rounded, buffered and dynamically optimised "
                           "positions."),
    "sweep": ("sweep", "Run many variants of a config (a grid or a sweep file) on Dask; each variant is a run "
                       "in the ledger."),
    "paper": ("paper", "Paper trading: process each trading day once, after the close."),
    "report": ("report", "Write a run's report: equity, risk, positions, tracking error, costs, P&L and the "
                         "last trades."),
    "runs": ("history", "The runs in the ledger: id, portfolio, mode, comparison variant, dates, processed "
                        "days, status, config hash."),
    "trades": ("history", "Trades: fills with their order's side and reason, by fill date."),
    "fills": ("history", "Fills: price, commission, slippage and FX as the simulated broker recorded them."),
    "orders": ("history", "Orders by decision date, with the target position and the unrounded optimum."),
    "positions": ("history", "Holdings at the close: the run's last day unless --since/--until ask for a "
                             "range."),
    "equity": ("history", "NAV, P&L, costs and exposure per day, with the tracking error and what the sizing "
                          "step did."),
    "pnl": ("history", "P&L by instrument, asset class and/or month: gross, costs apart, net (base currency)."),
    "attribution": ("attribution", "Allocation, selection and interaction per period and Carino-linked over "
                                   "the run, plus trading."),
    "check": ("check", "Checks on a strategy before you trust its backtest."),
    "strategies": ("strategy_list", "List the strategies a config's strategy.name can take, with their "
                                    "parameters and defaults."),
    "data": ("data", "Price data: imports into the database's price cache."),
    "db": ("dbcmd", "The ledger database: schema version and migrations."),
    "rebalance": ("rebalance", "Drift against a target mix and the trades that restore it."),
    "profile": ("profile", "Maximum-return allocation across beta categories for each beta band, with and "
                           "without migration."),
    "stress": ("allocation", "Each scenario's return, loss and value after, and pass or fail against a floor."),
    "mix": ("allocation", "Expected return, volatility, Sharpe and each class's contributions; then the "
                          "constraint checks."),
}
COMMAND_MODULES = {name: module for name, (module, _) in COMMANDS.items()}


def _register() -> None:
    """Import every command module, registering all commands on ``app`` (tests that want them all)."""
    from importlib import import_module

    for name in sorted(set(COMMAND_MODULES.values())):
        import_module(f"tradesim.cli.{name}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (README, "Exit codes")."""
    from tradesim.allocator import pin_mmap_threshold
    from tradesim.cli import logs

    pin_mmap_threshold()  # before anything large is allocated: see tradesim/allocator.py
    logs.configure()
    args = sys.argv[1:] if argv is None else list(argv)
    # --debug is read here, wherever it stands (``tradesim replay --debug`` too).
    debug = "--debug" in args or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
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
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO) and not debug:
            # The machine's fault, not a bug: a full disk (or a failing one) under the output.
            _error(f"cannot write {exc.filename or 'the output'}: {exc.strerror}")
            return 2
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
        interrupt(signal.Signals(signum).name, 128 + signum)  # raises, unless a commit is in flight

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run() -> None:
    code = main()
    # The interpreter's last collections walk every object still tracked (pandas', numba's,
    # SQLAlchemy's modules: 0.4 s of CPU after a replay) only to hand memory back that the
    # OS takes back anyway. Frozen objects are skipped; atexit handlers still run, and so
    # does everything freed by reference counting.
    import gc

    gc.freeze()
    sys.exit(code)
