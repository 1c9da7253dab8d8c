"""Cumulative net P&L by asset class.

The per-instrument daily P&L is ``db.pnl``'s (what ``tradesim pnl`` reports), so the
classes add up to the run's gross P&L, and gross less costs to the change in NAV.
Roll costs are booked per day, not per instrument, and show as their own line.
The totals are a table beside the figure (``tables.pnl_html``): a bar chart of them
would say less, less exactly.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from tradesim.report.ledger import RunData
from tradesim.report.style import legend, CYCLE, MUTED, axes_grid, date_axis, figure, money_axis


def pnl_figure(run: RunData, per_day: pd.DataFrame) -> Figure:
    fig = figure(4.2)
    ax = axes_grid(fig)
    ax.set_title(f"Cumulative net P&L by asset class ({run.base_currency}, {run.name})")
    if per_day.empty:
        ax.text(0.5, 0.5, "no P&L: the run held nothing", transform=ax.transAxes, ha="center", color=MUTED)
        ax.set_xticks([])  # no scale for nothing
        ax.set_yticks([])
        return fig
    daily = per_day.pivot_table(index="day", columns="asset_class", values="net_pnl", aggfunc="sum")
    daily = daily.reindex(run.days, fill_value=0.0).fillna(0.0)
    cumulative = daily.cumsum()
    order = list(cumulative.iloc[-1].sort_values(ascending=False).index)  # legend top to bottom as lines end
    for k, c in enumerate(order):
        ax.plot(cumulative.index, cumulative[c].to_numpy(), color=CYCLE[k % len(CYCLE)], lw=1.1, label=c)
    ax.axhline(0.0, color=MUTED, lw=0.8)
    ax.set_ylabel(f"net P&L ({run.base_currency})")
    money_axis(ax)
    date_axis(ax, days=run.days)
    legend(ax, loc="upper left", ncols=2 if len(order) > 5 else 1)
    return fig
