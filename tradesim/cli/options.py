"""Options shared by several commands."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from tradesim.errors import TradesimError

ConfigArg = Annotated[Optional[Path], typer.Argument(metavar="CONFIG", help="Portfolio config (TOML); the packaged default if omitted.", show_default=False)]
DbOption = Annotated[Optional[str], typer.Option("--db", metavar="PATH|URL", help="Database file or URL (default: config, then $TRADESIM_DB, then ./tradesim.db).")]
StartOption = Annotated[Optional[str], typer.Option("--start", metavar="DATE", help="First trading day, YYYY-MM-DD.")]
EndOption = Annotated[Optional[str], typer.Option("--end", metavar="DATE", help="Last trading day, YYYY-MM-DD.")]
CapitalOption = Annotated[Optional[float], typer.Option("--capital", metavar="AMOUNT", help="Starting capital in the base currency.")]
SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE", help="Change one config field, e.g. --set optimiser.cost_multiplier=25 "
    "(dotted key; the value is read as TOML, else as a string). Repeatable.")]


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise TradesimError(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def check_writable(path: Path, option: str, folder: bool = False) -> None:
    """Before any work: ``path`` can be written (a file, or a folder with ``folder``), or one line says why."""
    import os

    what = "folder" if folder else "file"
    if path.exists():
        if folder != path.is_dir():
            raise TradesimError(f"{option} {path}: is {'a file' if path.is_file() else 'a folder'}, "
                                f"not the {what} to write")
        if not os.access(path, os.W_OK):
            raise TradesimError(f"{option} {path}: not writable")
        return
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not parent.is_dir():
        raise TradesimError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TradesimError(f"{option} {path}: cannot create it: {parent} is not writable")
