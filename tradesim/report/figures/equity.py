"""Equity curve with the drawdown beneath it; several runs (a comparison) share both panels."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from tradesim.report import stats
from tradesim.report.ledger import RunData
from tradesim.report.style import legend, axes_grid, date_axis, figure, money_axis, percent_axis, run_colour


# A NAV spanning more than this factor is drawn on a log scale: on a linear one, a run that
# grew 400-fold shows its first fifteen years as a flat line.
LOG_ABOVE = 10.0


def log_scale_suits(runs: Sequence[RunData]) -> bool:
    lo = min(r.equity["nav"].min() for r in runs)
    hi = max(r.equity["nav"].max() for r in runs)
    return bool(lo > 0 and hi / lo > LOG_ABOVE)


def equity_figure(runs: Sequence[RunData], log: bool | None = None) -> Figure:
    """``log`` None: log scale when the NAV spans more than LOG_ABOVE times, else linear."""
    if log is None:
        log = log_scale_suits(runs)
    fig = figure(5.2)
    top, bottom = axes_grid(fig, 2, 1, sharex=True, height_ratios=(3, 1.3), hgap=0.15)
    first = runs[0]
    for k, run in enumerate(runs):
        colour = run_colour(run.label, k)
        nav = run.equity["nav"]
        # a run of a day or two is points, not a line too short to see
        top.plot(nav.index, nav.to_numpy(), color=colour, lw=1.0, label=run.name, marker="o" if len(nav) < 3 else None)
        dd = stats.drawdown(nav)
        if len(runs) == 1:
            bottom.fill_between(dd.index, dd.to_numpy(), 0.0, color=colour, alpha=0.3, lw=0)
        bottom.plot(dd.index, dd.to_numpy(), color=colour, lw=0.7)
    top.axhline(first.capital, color="#888888", lw=0.8, ls=":", label="starting capital")
    if log:
        top.set_yscale("log")
    lo, hi = (min(r.equity["nav"].min() for r in runs), max(r.equity["nav"].max() for r in runs))
    money_axis(top, log_minor_labels=log and lo > 0 and hi / lo < 100)
    top.set_ylabel(f"NAV ({first.base_currency}{', log scale' if log else ''})")
    names = " vs ".join(dict.fromkeys(r.portfolio for r in runs))
    top.set_title(f"{names}: equity and drawdown, {first.days[0]:%Y-%m-%d} to {first.days[-1]:%Y-%m-%d}")
    legend(top, loc="upper left")
    bottom.set_ylabel("drawdown")
    percent_axis(bottom)
    bottom.set_ylim(top=0.0)
    date_axis(bottom, days=first.days)
    return fig
