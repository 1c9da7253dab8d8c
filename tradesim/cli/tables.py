"""Rich tables for summaries."""

from __future__ import annotations

from rich.table import Table

from tradesim.schema import PortfolioConfig


def summary_table(config: PortfolioConfig, result, url: str | None) -> Table:  # noqa: ANN001
    s = result.summary
    table = Table(title=f"{config.name}: {result.dates[0].date()} to {result.dates[-1].date()}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    ccy = config.base_currency
    rows = [
        ("Annualised return", f"{s.annual_return:.2%}"),
        ("Annualised volatility", f"{s.annual_volatility:.2%}"),
        ("Sharpe ratio", f"{s.sharpe:.2f}"),
        ("Max drawdown", f"{s.max_drawdown:.2%}"),
        ("Start NAV", f"{s.start_nav:,.2f} {ccy}"),
        ("End NAV", f"{s.end_nav:,.2f} {ccy}"),
        ("Costs", f"{s.total_costs:,.2f} {ccy}"),
        ("Annual turnover", f"{s.annual_turnover:.2f}x"),
        ("Trades", f"{s.trades:,}"),
        ("Trading days", f"{s.days:,}"),
        ("Run id", str(result.run_id) if result.run_id is not None else "(not recorded)"),
    ]
    if url:
        rows.append(("Ledger", url))
    for name, value in rows:
        table.add_row(name, value)
    return table
