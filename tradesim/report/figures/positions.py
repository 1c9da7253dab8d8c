"""Positions over time: a heatmap of every instrument's weight (held value / NAV), week by week.

Weights, not quantities, share one colour scale across instruments: 300 shares of
one stock and 2 contracts of a bond future mean nothing side by side, 8% and -15%
of NAV do. Rows are grouped by asset class, the groups named on the right. One
column per week (the week's last close) keeps 30 years to ~1,700 columns, about
the figure's width in pixels.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from tradesim.report import stats
from tradesim.report.ledger import RunData
from tradesim.report.style import DAILY_UP_TO, LEFT, MUTED, WIDTH, date_axis, figure

ROW = 0.16  # inches per instrument: 20 stocks in 5 in, 100 futures in 18 in, labels legible
CLASS_LABELS, COLOURBAR = 0.8, 0.12  # inches on the right: asset class names, then the colour bar


def positions_figure(run: RunData) -> Figure:
    daily = len(run.days) <= DAILY_UP_TO  # a few weeks: every close, not one column a week
    weights = stats.weekly_weights(run.positions, run.equity["nav"], daily=daily)
    symbols = _ordered(run, list(weights.columns))
    n = len(symbols)
    height = max(2.6, 1.0 + ROW * n)
    fig = figure(height)
    top, bottom = 0.4 / height, 0.45 / height
    several_classes = run.instruments["asset_class"].reindex(symbols).nunique() > 1
    right = WIDTH - 0.7 - COLOURBAR - (CLASS_LABELS if several_classes else 0.25)
    ax = fig.add_axes((LEFT / WIDTH, bottom, (right - LEFT) / WIDTH, 1 - top - bottom))
    when = "each close" if daily else "each week's last close"
    ax.set_title(f"Positions: value held as a share of NAV at {when}, {run.name}")
    if n == 0:
        ax.text(0.5, 0.5, "no positions held", transform=ax.transAxes, ha="center", va="center", color=MUTED)
        ax.set_axis_off()
        return fig
    grid = weights[symbols].to_numpy().T
    held = np.abs(grid[grid != 0])
    # The colour scale covers 99% of the weights, so one outlier week does not wash out the rest.
    limit = float(np.percentile(held, 99)) if held.size else 1.0
    if np.any(grid < 0):
        norm, cmap = TwoSlopeNorm(0.0, -limit, limit), "RdBu"
    else:  # long-only: white to blue, every shade spent on the side in use
        norm, cmap = Normalize(0.0, limit), "Blues"
    closes = date2num(weights.index)
    if daily:  # each close's holding lasts until the next close (over a weekend too)
        edges = np.append(closes, closes[-1] + 1)
        image = ax.pcolormesh(edges, np.arange(n + 1) - 0.5, grid, cmap=cmap, norm=norm)
        ax.set_ylim(n - 0.5, -0.5)
    else:  # each column is the week that ends at its close
        image = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap=cmap, norm=norm,
                          extent=(closes[0] - 6, closes[-1] + 1, n - 0.5, -0.5))
    ax.set_yticks(range(n), symbols, fontsize=8 if n <= 40 else 6.5)
    ax.grid(False)
    date_axis(ax, days=run.days)
    if several_classes:
        _asset_class_labels(ax, run, symbols)
    cax = fig.add_axes(((WIDTH - 0.7 - COLOURBAR) / WIDTH, bottom, COLOURBAR / WIDTH, 1 - top - bottom))
    bar = fig.colorbar(image, cax=cax, extend="both" if grid.min() < 0 else "max")
    bar.ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    bar.set_label("held value / NAV")
    return fig


def _ordered(run: RunData, symbols: list[str]) -> list[str]:
    classes = run.instruments["asset_class"]
    return sorted(symbols, key=lambda s: (classes.get(s, ""), s))


def _asset_class_labels(ax, run: RunData, symbols: list[str]) -> None:  # noqa: ANN001
    classes = [run.instruments["asset_class"].get(s, "") for s in symbols]
    start = 0
    for k in range(1, len(classes) + 1):
        if k == len(classes) or classes[k] != classes[start]:
            if k < len(classes):
                ax.axhline(k - 0.5, color="black", lw=0.8)
            ax.annotate(classes[start], xy=(1.0, (start + k - 1) / 2), xycoords=("axes fraction", "data"),
                        xytext=(5, 0), textcoords="offset points", va="center", ha="left", fontsize=8)
            start = k
