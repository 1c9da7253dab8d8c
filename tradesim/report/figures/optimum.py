"""The unrounded optimum against the whole position held, for a few instruments.

The ledger stores the optimum only where an order was made (``orders.optimal``, on
its decision day); on other days it is unknown, so it is drawn as markers on
decision days, never joined into a line. The held position is known at every close
(``positions``; no row means flat) and is drawn as a step line over the markers.
Orders fill at the next bar, so the step reaches the order's target one trading day
after the marker. Each instrument gets its whole run (left) and its last
``ZOOM_DAYS`` trading days (right), where single decisions can be told apart (a run no longer
than that: its whole run only).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from tradesim.report import stats
from tradesim.report.ledger import RunData
from tradesim.report.style import MUTED, axes_grid, date_axis, figure

ZOOM_DAYS = 120
HELD, OPTIMUM = "#1f4e9c", "#ff7f0e"


def optimum_figure(run: RunData, orders: pd.DataFrame, symbols: Sequence[str]) -> Figure:
    n = max(1, len(symbols))
    fig = figure(0.75 + 1.9 * n)
    # A run no longer than the zoom is shown once: a second panel would repeat it.
    zoomed = len(run.days) > ZOOM_DAYS
    axes = axes_grid(fig, n, 2 if zoomed else 1, squeeze=False, width_ratios=(2.2, 1) if zoomed else None, top=0.75,
                     hgap=0.45, wgap=0.75)
    fig.suptitle(f"Unrounded optimum (dots, on decision days) and whole position held (line), {run.name}",
                 fontsize=10, y=1 - 0.12 / fig.get_figheight(), va="top")
    if not symbols:
        for ax in axes[0]:
            ax.set_axis_off()
        axes[0, 0].text(0.5, 0.5, "the run made no orders", transform=axes[0, 0].transAxes, ha="center",
                        color=MUTED)
        return fig
    days = run.days
    zoom = days[-min(ZOOM_DAYS, len(days)):]
    for row, symbol in zip(axes, symbols):
        held = stats.held_quantity(run.positions, symbol, days)
        mine = orders[orders["symbol"] == symbol]
        for ax, span, whole in ((row[0], days, True), *(((row[1], zoom, False),) if zoomed else ())):
            h = held.loc[span[0]:span[-1]]
            o = mine[(mine["day"] >= span[0]) & (mine["day"] <= span[-1])]
            crowded = len(span) > 500  # thousands of decisions: small, translucent dots
            ax.plot(o["day"], o["optimal"], ls="none", marker="o", ms=1.6 if crowded else 3.0, mew=0,
                    color=OPTIMUM, alpha=0.6 if crowded else 1.0, label="unrounded optimum")
            ax.plot(h.index, h.to_numpy(), drawstyle="steps-post", color=HELD, lw=0.8 if crowded else 1.1,
                    label="held")
            lo, hi = min(h.min(), o["optimal"].min() if len(o) else 0.0), max(h.max(), o["optimal"].max() if len(o) else 0.0)
            if lo <= 0.0 <= hi:  # a zero line only where the position crosses or touches zero
                ax.axhline(0.0, color=MUTED, lw=0.6)
            ax.yaxis.set_major_formatter(FuncFormatter(_units))
            date_axis(ax, offset=whole, days=span)  # the zoom's title gives its dates
        row[0].set_ylabel(f"{symbol}\nunits")
        if zoomed:
            row[1].set_title(f"{symbol}: last {len(zoom)} trading days, to {zoom[-1]:%Y-%m-%d}", fontsize=8,
                             color=MUTED, loc="right")
    axes[0, 0].legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, markerscale=3, borderaxespad=0.2)
    return fig


def _units(x: float, _pos) -> str:  # noqa: ANN001
    for unit, scale in (("m", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:g}{unit}"
    return f"{x:g}"


def default_symbols(counts: pd.Series, k: int = 3) -> list[str]:
    """The ``k`` instruments the run ordered most often: the most decisions to look at."""
    return list(counts.index[:k])
