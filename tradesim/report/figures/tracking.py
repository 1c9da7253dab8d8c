"""How closely the whole positions tracked the unrounded portfolio, and when and why it traded.

Top: each day's tracking error of the held positions against the unrounded optimum
(``diagnostics.tracking_error``) with the optimiser's buffer, buffer_fraction x risk
target: below it the optimiser does not trade. Middle: the adjustment factor on the
days the run traded (on other days there is no trade for it to scale). Bottom: the
trading days, one tick each, coloured by the trigger that fired (``diagnostics.reason``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tradesim.report.ledger import RunData
from tradesim.report.style import legend, MUTED, axes_grid, date_axis, figure, percent_axis, run_colour

BUFFER = "#d62728"
COLUMNS = 870  # date bins in the trading-day strip: about its width in pixels
TRIGGERS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#1f77b4", "#ff7f0e")


def tracking_figure(runs: Sequence[RunData]) -> Figure:
    strip_h = 0.2 + 0.22 * len(runs)
    fig = figure(5.6 + strip_h)
    te_ax, alpha_ax, strip = axes_grid(fig, 3, 1, sharex=True, height_ratios=(2.4, 1.4, strip_h), hgap=0.2,
                                       bottom=0.85)
    te_ax.set_title("Tracking error against the unrounded portfolio, adjustment factor, trading days")
    days = runs[0].days
    short = len(days) <= 60  # a few weeks: each day is wide enough for a visible mark
    for k, run in enumerate(runs):
        colour = run_colour(run.label, k)
        e = run.equity
        te_ax.plot(e.index, e["tracking_error"].to_numpy(), color=colour, lw=1.0 if short else 0.5, label=run.name,
                   alpha=1.0 if len(runs) == 1 else 0.75, marker="o" if len(e) < 3 else None)
        traded = e[e["rebalanced"]]
        alpha_ax.plot(traded.index, traded["adjustment_factor"].to_numpy(), ls="none", marker="o",
                      ms=4.0 if short else 1.8, mew=0, color=colour, label=run.name)
    for buffer in sorted({run.buffer for run in runs}):
        te_ax.axhline(buffer, color=BUFFER, lw=1.2, ls="--", label=f"buffer {buffer:.2%}", zorder=5)
    te_ax.set_ylabel("tracking error, annualised")
    top = float(np.nanmax([run.equity["tracking_error"].max() for run in runs] + [run.buffer for run in runs]))
    te_ax.set_ylim(0.0, top * 1.3 or 0.01)  # headroom above the data for the legend
    percent_axis(te_ax, decimals=1)
    legend(te_ax, loc="upper left", ncols=len(runs) + 1)
    alpha_ax.set_ylabel("adjustment factor\n(days with a trade)")
    alpha_ax.set_ylim(-0.05, 1.05)
    _trading_days(fig, strip, runs)
    date_axis(strip, days=days)
    return fig


def _trading_days(fig: Figure, ax, runs: Sequence[RunData]) -> None:  # noqa: ANN001
    """One row per run: a column is coloured where any of its days had orders, by the trigger that fired.

    Drawn as an image of ``COLUMNS`` date bins (about one per pixel) rather than thousands
    of tick lines: the same picture for a fraction of the drawing time. Each bin takes the
    colour of its most frequent trigger, so no trading day disappears between pixels.
    """
    traded = [run.equity.loc[run.equity["rebalanced"], "reason"] for run in runs]
    reasons = sorted({str(r) for t in traded for r in t.dropna()})
    colours = [TRIGGERS[k % len(TRIGGERS)] for k in range(len(reasons))] + [MUTED]  # last: no reason recorded
    days = runs[0].days
    x0, x1 = date2num(days[0]), date2num(days[-1]) + 1
    edges = np.linspace(x0, x1, COLUMNS + 1)
    grid = np.full((len(runs), COLUMNS), np.nan)
    for row, t in enumerate(traded):
        codes = np.array([reasons.index(str(r)) if isinstance(r, str) else len(reasons) for r in t.to_numpy()], dtype=int)
        bins = np.clip(np.searchsorted(edges, date2num(t.index), side="right") - 1, 0, COLUMNS - 1)
        counts = np.zeros((len(colours), COLUMNS))
        np.add.at(counts, (codes, bins), 1)
        grid[row] = np.where(counts.sum(axis=0) > 0, counts.argmax(axis=0), np.nan)
    ax.imshow(np.ma.masked_invalid(grid), aspect="auto", interpolation="nearest", cmap=ListedColormap(colours),
              vmin=-0.5, vmax=len(colours) - 0.5, extent=(x0, x1, len(runs), 0))
    handles = [Line2D([], [], color=colours[k], lw=3, label=r) for k, r in enumerate(reasons)]
    if any(t.isna().any() for t in traded):
        handles.append(Line2D([], [], color=MUTED, lw=3, label="no reason recorded"))
    # Row labels fit the 1 in margin: the variant (or run id) and its number of days with orders.
    ax.set_yticks(np.arange(len(runs)) + 0.5, [f"{(run.label or f'run {run.run_id}') + ' ' if len(runs) > 1 else ''}"
                                                f"{len(t):,}{'' if len(runs) > 1 else ' day' if len(t) == 1 else ' days'}"
                                                for run, t in zip(runs, traded)], fontsize=7)
    for row in range(1, len(runs)):
        ax.axhline(row, color="white", lw=2)
    ax.set_ylim(len(runs), 0)
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if handles:
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.1, 0.0), ncols=4,
                   title="days with orders (number at left), by the trigger that fired", title_fontsize=8,
                   alignment="left")
    else:
        ax.text(0.5, 0.5, "no trades", transform=ax.transAxes, ha="center", va="center", color=MUTED)
