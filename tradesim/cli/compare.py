"""``tradesim compare``: fractional vs rounded vs dynamic positions in one table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from db.session import database_url
from tradesim.cli import app, console
from tradesim.cli.options import CapitalOption, ConfigArg, DbOption, EndOption, SetOption, StartOption, parse_day
from tradesim.cli.replay import day_progress, progress_bar
from tradesim.cli.report import ReportOption, ReportPngOption, check_report_options, report_after_run
from tradesim.cli.output import Format, ResultFormatOption, emit_result, variant_name
from tradesim.cli.tables import compare_document, compare_rows
from tradesim.config import load_config
from tradesim.metrics import DAYS_PER_YEAR


COLUMNS = ("", "return", "vol", "SR", "maxDD", "costs", "turn", "TE", "TEideal", "drag", "corr", "alpha")


def compare_cells(r) -> list[str]:  # noqa: ANN001
    s = r.summary
    return [variant_name(r.variant), f"{s.annual_return:.1%}", f"{s.annual_volatility:.1%}", f"{s.sharpe:.2f}",
            f"{s.max_drawdown:.0%}", _short_money(s.total_costs), f"{s.annual_notional_turnover:.1f}",
            f"{r.tracking_error:.2%}", f"{r.realised_te:.2%}", f"{r.drag:.2%}", f"{r.correlation:.3f}",
            f"{r.adjustment_factor:.2f}"]


def _short_money(x: float) -> str:
    for unit, scale in (("m", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.1f}{unit}"
    return f"{x:.0f}"


def compare_table(title: str, rows) -> Table:  # noqa: ANN001
    # Twelve columns in 80 characters: no box lines, one space between columns.
    table = Table(title=title, box=None, padding=(0, 1, 0, 0), pad_edge=False, header_style="bold underline")
    for col in COLUMNS:
        table.add_column(col, justify="left" if not col else "right", no_wrap=True)
    for r in rows:
        table.add_row(*compare_cells(r))
    return table


def compare_markdown(rows) -> str:  # noqa: ANN001
    lines = ["| " + " | ".join(c or "variant" for c in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(compare_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


@app.command()
def compare(config: ConfigArg = None, start: StartOption = None, end: EndOption = None,
            capital: CapitalOption = None, db: DbOption = None,
            markdown: Annotated[bool, typer.Option("--markdown", help="Also print the table as Markdown.")] = False,
            report: ReportOption = None, png: ReportPngOption = None, sets: SetOption = None,
            format: ResultFormatOption = Format.table) -> None:  # noqa: A002
    """Replay one strategy with fractional, rounded and dynamically optimised positions."""
    from tradesim.compare import VARIANTS, compare as run_compare
    from tradesim.replay import load_market

    check_report_options(report, png)
    cfg = load_config(config, sets=sets or (), start=parse_day(start, "--start"), end=parse_day(end, "--end"),
                      capital=capital)
    url = database_url(db, cfg.database)
    market = load_market(cfg, database_url=url)
    with progress_bar() as bar:
        tasks = {name: bar.add_task(f"{variant_name(name):>7}", total=None, day="") for name in VARIANTS}
        progress = {name: day_progress(bar, task, market.dates) for name, task in tasks.items()}
        rows, results = run_compare(cfg, url, market, lambda name, done, total: progress[name](done, total))
    dates = results["fractional"].dates

    def show() -> None:
        title = f"{cfg.name}, capital {cfg.capital:,.0f} {cfg.base_currency}: {dates[0].date()} to {dates[-1].date()}"
        console.print(compare_table(title, rows))
        if markdown:
            console.print(compare_markdown(rows), markup=False, highlight=False, soft_wrap=True)
        console.print(f"ideal: fractional positions traded free of costs. costs in {cfg.base_currency}; turn: annual "
                      "notional turnover (traded value / NAV); SR: Sharpe ratio; TE: average daily tracking error of the held positions against the unrounded optimum; "
                      "TEideal: annualised tracking error of daily returns against the ideal; drag: the ideal's annual "
                      "return minus this one's; corr: correlation with the ideal; alpha: average adjustment factor on "
                      "trading days. Runs " + ", ".join(f"{variant_name(r.variant)}={r.run_id}" for r in rows)
                      + f" in {url}.")
        days = rows[0].summary.days
        if days < DAYS_PER_YEAR:
            console.print(f"{days} trading days, under a year: return, vol, SR and turn are annualised from them; "
                          "--format json has each variant's total_return.", highlight=False)
        warned = [f"{variant_name(r.variant)} {len(results[r.variant].warnings):,}" for r in rows if results[r.variant].warnings]
        if warned:
            console.print("instrument-days without a price (valued at the last price, not traded): " + ", ".join(warned),
                          highlight=False)

    document = compare_document(cfg, rows, results, url)
    emit_result(format, document, compare_rows(document), show)
    report_after_run(url, [r.run_id for r in rows], report, png)
