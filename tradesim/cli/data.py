"""``tradesim data ...``: bringing price data into the database's price cache.

    tradesim data import-pysystemtrade PATH [--db PATH|URL]

PATH is either pysystemtrade's own ``data/futures`` folder (csvconfig/, adjusted_prices_csv/,
multiple_prices_csv/, fx_prices_csv/) or a folder of the daily files (instruments.csv,
adjusted_prices.csv.gz, multiple_prices.csv.gz, fx_prices.csv.gz). Every instrument with
back-adjusted prices and a row in the instrument table is stored with its held-contract
and carry prices, and its multiplier, currency, asset class and description; then the FX
rates. The import is one transaction: it lands whole or not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
from sqlalchemy import update

from db.models import Instrument
from db.price_cache import store_bars
from db.session import check_database, database_url, open_engine
from tradesim.cli import app, console, err_console
from tradesim.cli.options import DbOption
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.data.source import PriceBars

data_app = typer.Typer(help="Price data: imports into the database's price cache.", no_args_is_help=True)
app.add_typer(data_app, name="data")

SOURCE = "pysystemtrade"  # the price cache's ``source`` column for imported rows


@dataclass
class ImportReport:
    instruments: list[str] = field(default_factory=list)
    rows: int = 0
    fx_pairs: list[str] = field(default_factory=list)
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    skipped: list[str] = field(default_factory=list)  # prices but no row in the instrument table


def import_pysystemtrade(path: Path, url: str,
                         on_instrument: Callable[[int, int, str], None] | None = None,
                         symbols: Sequence[str] | None = None) -> ImportReport:
    """Store every instrument of the folder at ``path`` (or only ``symbols``) in the price cache at ``url``."""
    source = PysystemtradeSource(path)
    table = source.instrument_table()
    symbols = source.symbols() if symbols is None else list(symbols)
    report = ImportReport(skipped=[s for s in symbols if s not in table.rows])
    wanted = [s for s in symbols if s in table.rows]
    attributes = {s: table.rows[s].ledger_attributes(table.label) for s in wanted}
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            source.read_all(wanted)  # one pass over each file for all of them, not one per symbol
            for k, symbol in enumerate(wanted):
                bars = dataclasses.replace(source.load([symbol]), fx=pd.DataFrame())
                report.rows += store_bars(conn, bars, SOURCE, {symbol: attributes[symbol]})
                # An instrument already in the table (an earlier import, a replay) takes the data's values.
                conn.execute(update(Instrument).where(Instrument.symbol == symbol).values(**attributes[symbol]))
                days = bars.close[symbol].dropna().index
                if len(days):
                    report.instruments.append(symbol)
                    report.first = min(report.first, days[0]) if report.first is not None else days[0]
                    report.last = max(report.last, days[-1]) if report.last is not None else days[-1]
                if on_instrument is not None:
                    on_instrument(k + 1, len(wanted), symbol)
            fx = source.fx_rates()
            if not fx.empty:
                store_bars(conn, PriceBars(close=pd.DataFrame(index=fx.index), fx=fx), SOURCE)
                report.fx_pairs = [str(c) for c in fx.columns if fx[c].notna().any()]
    finally:
        engine.dispose()
    return report


@data_app.command("import-pysystemtrade")
def import_pysystemtrade_command(
    path: Annotated[Path, typer.Argument(metavar="FOLDER", help="pysystemtrade's data/futures folder, or a folder of the daily files.")],
    db: DbOption = None,
) -> None:
    """Import pysystemtrade-format futures prices (and FX) into the database's price cache."""
    from tradesim.cli.replay import progress_bar

    url = database_url(db)
    check_database(url)
    with progress_bar() as bar:
        task = bar.add_task(f"import {path}", total=None, day="")

        def on_instrument(done: int, total: int, symbol: str) -> None:
            bar.update(task, completed=done, total=total, day=symbol)

        report = import_pysystemtrade(path, url, on_instrument)
    for symbol in report.skipped:
        err_console.print(f"skipped {symbol}: prices but no row in the instrument table", highlight=False)
    summary = Table(title=f"imported {path}", show_header=False)
    summary.add_column("", style="bold")
    summary.add_column("", justify="right")
    span = f"{report.first.date()} to {report.last.date()}" if report.first is not None else "-"
    for name, value in (("Instruments", f"{len(report.instruments):,}"), ("Price rows", f"{report.rows:,}"),
                        ("Days", span), ("FX pairs", ", ".join(report.fx_pairs) or "-"),
                        ("Skipped", f"{len(report.skipped):,}"), ("Database", url)):
        summary.add_row(name, value)
    console.print(summary)
