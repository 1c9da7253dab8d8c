"""``tradesim paper run`` and ``tradesim paper schedule``: daily paper trading."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from db.session import database_url
from tradesim.cli import app, console
from tradesim.cli.options import DbOption, SetOption, parse_day
from tradesim.config import load_config

paper_app = typer.Typer(help="Paper trading: process each trading day once, after the close.", no_args_is_help=True)
app.add_typer(paper_app, name="paper")

PaperConfig = Annotated[Optional[Path], typer.Argument(help="Portfolio config (TOML); the packaged default if omitted.")]


def print_day(day, when, symbols, currency: str) -> None:  # noqa: ANN001
    fills = ", ".join(f"{'BUY' if q > 0 else 'SELL'} {abs(q):g} {symbols[j]} @ {p:,.4g}"
                      for j, q, p in zip(day.fills.instrument, day.fills.quantity, day.fills.price)) or "no fills"
    orders = ", ".join(f"{'BUY' if q > 0 else 'SELL'} {abs(q):g} {symbols[j]}"
                       for j, q in zip(day.orders.instrument, day.orders.quantity)) or "no orders"
    why = f" ({day.reason})" if day.reason else ""
    console.print(f"[bold]{when}[/] NAV {day.nav:,.2f} {currency}; filled: {fills}; orders{why}: {orders}",
                  highlight=False, soft_wrap=True)
    for w in day.warnings:
        console.print(f"  [yellow]warning:[/] {w}", highlight=False)


@paper_app.command("run")
def run(config: PaperConfig = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", help="Process sessions up to this date (default: the latest completed session).")] = None,
        db: DbOption = None, sets: SetOption = None) -> None:
    """Catch up every unprocessed trading day up to the as-of date; print each day's orders and fills."""
    from tradesim.paper import paper_run

    cfg = load_config(config, sets=sets or ())
    url = database_url(db, cfg.database)
    result = paper_run(cfg, url, parse_day(as_of, "--as-of"),
                       on_day=lambda day, when: print_day(day, when, cfg.symbols, cfg.base_currency))
    if result.skipped:
        console.print(f"paper {cfg.name}: nothing to do: {result.skipped}.")
    else:
        console.print(f"paper {cfg.name}: processed {len(result.dates)} session(s), "
                      f"{result.dates[0]} to {result.dates[-1]} (run {result.run_id} in {url}).")


@paper_app.command("schedule")
def schedule(config: PaperConfig = None, db: DbOption = None, sets: SetOption = None) -> None:
    """Run the paper job every weekday after the close until SIGTERM/SIGINT (APScheduler)."""
    from tradesim.schedule import run_scheduler

    logging.getLogger().setLevel(logging.INFO)
    cfg = load_config(config, sets=sets or ())
    url = database_url(db, cfg.database)
    run_scheduler(str(config) if config else None, cfg, url, sets=sets or ())
