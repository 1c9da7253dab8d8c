"""Turnover and costs per month, and costs summed since the start.

Per month, turnover is traded value over the month's average NAV and costs are in
basis points of it: a run that grows its NAV a hundredfold stays readable, and
months of different runs compare. The running total is in the base currency, what
the costs took from the account. Months are drawn as stairs (one artist per
series), not as hundreds of bar patches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from tradesim.report import stats
from tradesim.report.ledger import RunData
from tradesim.report.style import legend, axes_grid, date_axis, figure, money_axis, run_colour

ROLLS = "#ff7f0e"


def costs_figure(runs: Sequence[RunData]) -> Figure:
    fig = figure(6.4)
    turn_ax, cost_ax, cum_ax = axes_grid(fig, 3, 1, sharex=True, hgap=0.2)
    turn_ax.set_title("Turnover and costs per month; costs since the start")
    cum_ax.xaxis_date()  # before the stairs, whose month edges are in date2num's unit
    single = len(runs) == 1
    for k, run in enumerate(runs):
        colour = run_colour(run.label, k)
        m = stats.monthly(run.equity)
        edges = _month_edges(m.index)
        if single:
            turn_ax.stairs(m["turnover"].to_numpy(), edges, fill=True, color=colour, lw=0)
            trading = (m["costs_bp"] - m["roll_costs_bp"]).to_numpy()
            cost_ax.stairs(trading, edges, fill=True, color=colour, lw=0, label="commission and slippage")
            if m["roll_costs"].any():
                cost_ax.stairs(m["costs_bp"].to_numpy(), edges, baseline=trading, fill=True, color=ROLLS, lw=0,
                               label="rolls")
                legend(cost_ax, loc="upper left", ncols=2)
        else:
            turn_ax.stairs(m["turnover"].to_numpy(), edges, color=colour, lw=0.9, label=run.name)
            cost_ax.stairs(m["costs_bp"].to_numpy(), edges, color=colour, lw=0.9, label=run.name)
        cum = run.equity["costs"].cumsum()
        cum_ax.plot(cum.index, cum.to_numpy(), color=colour, lw=1.2, label=run.name)
    if not single:
        legend(turn_ax, loc="upper left", ncols=len(runs))
    turn_ax.set_ylabel("turnover\n(x average NAV)")
    cost_ax.set_ylabel("costs\n(bp of average NAV)")
    cum_ax.set_ylabel(f"cumulative costs\n({runs[0].base_currency})")
    money_axis(cum_ax)
    for ax in (turn_ax, cost_ax, cum_ax):
        ax.set_ylim(bottom=0.0)
    days = runs[0].days
    cum_ax.set_xlim(days[0], days[-1])
    date_axis(cum_ax)
    return fig


def _month_edges(months: pd.DatetimeIndex) -> np.ndarray:
    """Each month's first day, then the day after the last month: the stairs' edges on the date axis."""
    starts = date2num(months)
    end = date2num(months[-1] + pd.offsets.MonthBegin(1)) if len(months) else np.array([])
    return np.append(starts, end)
