"""``tradesim check lookahead``: replay with the future replaced and look for weights that changed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from db.session import database_url
from tradesim.cli import app, console
from tradesim.cli.options import ConfigArg, DbOption, EndOption, SetOption, StartOption, parse_day
from tradesim.config import load_config
from tradesim.errors import TradesimError

check_app = typer.Typer(help="Checks on a strategy before you trust its backtest.", no_args_is_help=True)
app.add_typer(check_app, name="check")

Days = Annotated[int, typer.Option("--days", min=1, metavar="N", help="How many days t to cut the prices after, spread over the replay.")]


@check_app.command("lookahead")
def lookahead(config: ConfigArg = None, days: Days = 8, start: StartOption = None, end: EndOption = None,
              db: DbOption = None, sets: SetOption = None) -> None:
    """Replay with the prices after day t removed, then replaced, for a spread of days t; any weight up to t
    that changes used the future. Exit 0: none did; exit 2: look-ahead found (listed)."""
    from tradesim.cli.replay import progress_bar
    from tradesim.lookahead import check_lookahead
    from tradesim.replay import first_trading_index, load_market

    cfg = load_config(config, sets=sets or (), start=parse_day(start, "--start"), end=parse_day(end, "--end"))
    market = load_market(cfg, database_url=database_url(db, cfg.database))
    with progress_bar() as bar:
        task = bar.add_task(f"look-ahead {cfg.name}", total=days, day="")
        report = check_lookahead(cfg, market, first_trading_index(market, cfg.start), days,
                                 on_cut=lambda done, total: bar.update(task, completed=done, total=total,
                                                                       day=f"cut {done} of {total}"))
    if not report.cuts:
        raise TradesimError(f"{cfg.name}: check lookahead needs at least two trading days from "
                            f"{cfg.start or 'the start of the data'}")
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    span = f"{len(report.cuts)} cut days from {report.cuts[0]} to {report.cuts[-1]}"
    if not report.leaks:
        console.print(f"no look-ahead: {cfg.strategy.name}'s target weights up to each cut day are the same "
                      f"with the prices after it removed or replaced ({span}).", highlight=False, soft_wrap=True)
        return
    table = Table(title=f"look-ahead in {cfg.strategy.name}", header_style="bold")
    for col in ("cut day", "future", "first changed", "instrument", "weight", "without the future"):
        table.add_column(col, justify="right" if col.startswith(("weight", "without")) else "left")
    for leak in report.leaks:
        table.add_row(leak.cut, leak.future, leak.day, leak.symbol, f"{leak.weight:.6g}", f"{leak.weight_without:.6g}")
    console.print(table)
    cut = len({leak.cut for leak in report.leaks})
    raise TradesimError(f"look-ahead found after {cut} of {len(report.cuts)} cut days: {cfg.strategy.name}'s "
                        "weight on a day up to the cut depends on prices after it")
