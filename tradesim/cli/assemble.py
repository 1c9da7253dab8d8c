"""The command tree as users meet it, finished in one place for every command.

Typer labels an option without a metavar by its Python type (``<bool>``,
``<str>``, ``<list[str]>``) and gives ``--quiet``/``--verbose`` to the root only,
where nobody types them (``tradesim replay --quiet`` is what people write).
Rather than repeat the same fixes on each of ~40 commands (and miss the next one
someone adds), ``finish`` walks the commands as the root group is built (the lazy root
of cli/__init__.py builds a group again for each command it resolves):

- flags and counters show no metavar, arguments show only their name (``CONFIG``,
  ``RUN``), choices list themselves (``table|csv|json``); every other option that
  takes a value names it in its declaration (``DATE``, ``N``, ``PATH``...):
  tests/cli/test_help.py fails on any type label left;
- help text is plain text: a ``[weights]`` table name in a help line is shown, not
  swallowed as Rich markup;
- every command takes ``--quiet``/``-q`` and ``--verbose``/``-v``, with the root's
  meaning (the last one given wins: ``tradesim -v replay -q`` is quiet).
"""

from __future__ import annotations

import copy

import typer
from rich.markup import escape

VERBOSITY = ("quiet", "verbose")


def finish(cmd, verbosity: list = ()) -> None:  # noqa: ANN001 - Typer's command types (its vendored click)
    """Finish ``cmd`` and its subcommands (once: a second call changes nothing); a command
    without subcommands gets a copy of each of ``verbosity``'s --quiet/--verbose options (the root's)."""
    if getattr(cmd, "tradesim_finished", False):
        return
    cmd.tradesim_finished = True
    if cmd.help:
        cmd.help = escape(cmd.help)
    subcommands = getattr(cmd, "commands", None)
    if subcommands is None and not any(p.name in VERBOSITY for p in cmd.params):
        for option in (p for p in verbosity if p.name in VERBOSITY):
            own = copy.copy(option)
            own.expose_value = False  # the command's function never sees it: the callback set the log level
            cmd.params.append(own)
    help_option = cmd.get_help_option(typer.Context(cmd))
    for param in [*cmd.params, *([help_option] if help_option else [])]:
        if param.help:
            param.help = escape(param.help)
        if param.param_type_name == "argument":
            # The first column already shows the argument's name (its metavar): no type beside it.
            param.display_type_rich = lambda ctx: None  # noqa: ARG005
        elif getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        elif param.metavar is None and param.type_descriptor.is_choice:
            # Typer's "<table|csv|json>" in the style of the other metavars: table|csv|json
            param.metavar = param.display_type(typer.Context(cmd)).strip("<>")
    for sub in (subcommands or {}).values():
        finish(sub, verbosity)
