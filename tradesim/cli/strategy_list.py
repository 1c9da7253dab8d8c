"""``tradesim strategies``: every strategy a config can name, with its parameters and defaults."""

from __future__ import annotations

import inspect
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from tradesim.cli import app, console
from tradesim.errors import ConfigError


def _summary(cls: type) -> str:
    """The first line of the class's own docstring, else of its module's."""
    doc = cls.__dict__.get("__doc__") or getattr(inspect.getmodule(cls), "__doc__", None) or ""
    return escape(doc.strip().splitlines()[0]) if doc.strip() else ""


def _params(cls: type) -> str:
    from strategies.params import parameters

    out = []
    for p in parameters(cls):
        if p.name in getattr(cls, "python_only_params", ()):
            continue
        kind = f": {p.annotation}" if p.annotation else ""
        out.append(f"{p.name}{kind} (required)" if p.default is inspect.Parameter.empty else f"{p.name}{kind} = {p.default!r}")
    return escape("\n".join(out)) or "(none)"


@app.command("strategies")
def strategies(spec: Annotated[Optional[str], typer.Argument(
        metavar="STRATEGY", help="Show one strategy: a name, 'path/to/file.py:Class' or 'package.module:Class'.")] = None) -> None:
    """List the strategies a config's strategy.name can take, with their parameters and defaults."""
    from strategies import registered, strategy_class

    entries = [(spec, "file" if spec.partition(":")[0].endswith(".py") else "module")] if spec and ":" in spec else \
        [(e.name, e.origin) for e in registered() if spec in (None, e.name)]
    if spec and not entries:
        strategy_class(spec)  # raises the one-line "unknown strategy" error naming the known ones
    table = Table(show_lines=True, header_style="bold")
    for column in ("name", "from", "parameters", "what it does"):
        table.add_column(column, overflow="fold")
    for name, origin in entries:
        try:
            cls = strategy_class(name)
        except ConfigError as exc:
            if spec is not None:
                raise  # the one asked for: its error is the answer
            # One broken plugin must not hide the others: its row says what is wrong.
            table.add_row(name, origin, "(cannot load)", escape(str(exc).removeprefix("field 'strategy.name': ")))
            continue
        table.add_row(name, origin, _params(cls), _summary(cls))
    console.print(table)
    if spec is None:
        console.print("Also: name = \"path/to/file.py:Class\" (relative to the config file) or "
                      "\"package.module:Class\"; installed packages add names through the entry-point "
                      "group tradesim.strategies.", highlight=False, soft_wrap=True)
