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
from tradesim.report.style import DAILY_UP_TO, MUTED, legend, axes_grid, date_axis, figure, money_axis, run_colour

ROLLS = "#ff7f0e"


# A run's bars: months, unless it is too short for months to say anything (one bar for a
# 10-day run); then weeks, or days.
PERIODS = ((DAILY_UP_TO, "D", "trading day"), (130, "W-FRI", "week"), (None, "M", "month"))


def costs_figure(runs: Sequence[RunData]) -> Figure:
    fig = figure(6.4)
    turn_ax, cost_ax, cum_ax = axes_grid(fig, 3, 1, sharex=True, hgap=0.2)
    freq, period = next((f, name) for most, f, name in PERIODS if most is None or len(runs[0].days) <= most)
    turn_ax.set_title(f"Turnover and costs per {period}; costs since the start")
    cum_ax.xaxis_date()  # before the stairs, whose month edges are in date2num's unit
    single = len(runs) == 1
    for k, run in enumerate(runs):
        colour = run_colour(run.label, k)
        m = _with_gaps(stats.monthly(run.equity, freq), freq)
        edges = _edges(m.index, freq)
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
    if not any(run.equity["traded_notional"].any() for run in runs):
        turn_ax.text(0.5, 0.5, "no trades: no turnover and no costs", transform=turn_ax.transAxes, ha="center",
                     va="center", color=MUTED)
    date_axis(cum_ax, days=runs[0].days)
    return fig


def _with_gaps(m: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Days: an empty row after each day not followed by the next calendar day, so that
    Friday's bar is one day wide and the weekend shows nothing (stairs join their steps)."""
    if freq != "D" or m.empty:
        return m
    day = pd.Timedelta(days=1)
    gaps = [d + day for d in m.index[:-1] if d + day not in m.index]
    return m.reindex(m.index.append(pd.DatetimeIndex(gaps)).sort_values(), fill_value=0.0)


def _edges(starts: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Each period's first day, then the day after the last period: the stairs' edges on the date axis."""
    step = {"D": pd.offsets.Day(1), "W-FRI": pd.offsets.Week(1), "M": pd.offsets.MonthBegin(1)}[freq]
    end = date2num(starts[-1] + step) if len(starts) else np.array([])
    return np.append(date2num(starts), end)
