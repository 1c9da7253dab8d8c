"""Log records at the command line: printed by Rich on stderr, above any progress bar.

The progress bars draw on the same stderr console, so a warning that arrives
mid-replay prints on its own line above the bar instead of being glued onto it.
``--quiet`` shows errors only and no progress bars; ``--verbose`` adds the
INFO records (``-vv`` DEBUG).
"""

from __future__ import annotations

import logging

from rich.logging import RichHandler

LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}


def configure(verbosity: int = 0) -> None:
    """Route every log record through one Rich handler on stderr, at the level ``verbosity`` asks for."""
    from tradesim.cli import err_console

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "tradesim_cli", False)]:
        root.removeHandler(handler)
    handler = RichHandler(console=err_console, show_time=False, show_path=False, markup=False,
                          highlighter=None, rich_tracebacks=False)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.tradesim_cli = True
    level = LEVELS[max(-1, min(2, verbosity))]
    # --quiet filters at the console, not at the loggers: the warnings a run raises are
    # still logged, counted and stored with the run (tradesim/run_warnings.py).
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(level, logging.WARNING))


def quiet() -> bool:
    """True under --quiet: commands then draw no progress bars."""
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "tradesim_cli", False)]
    return bool(handlers) and handlers[0].level > logging.WARNING


def show_info() -> None:
    """A daemon's INFO records (each session processed, each retry) are its output: show them
    unless --quiet asked for errors only."""
    root = logging.getLogger()
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))  # NOTSET (0) means WARNING at the root
    for handler in root.handlers:
        if getattr(handler, "tradesim_cli", False) and handler.level <= logging.WARNING:
            handler.setLevel(min(handler.level, logging.INFO))
