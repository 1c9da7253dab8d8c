"""One look for every figure: sizes, margins, colours, date axes, money ticks, PNG encoding.

Figures are ``matplotlib.figure.Figure`` objects drawn by the Agg canvas directly:
no ``pyplot``, so no global figure registry, no interactive backend, and nothing
for a notebook's own pyplot state to collide with.

Margins are fixed, in inches, not found by a layout engine: constrained layout
re-measures every tick label several times per figure, which was half of a
report's drawing time. Every figure is 10 in wide with the same left margin, so
the time axes of the figures line up down the page.
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DayLocator, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import Formatter, LogLocator, MaxNLocator, PercentFormatter

DPI = 100  # 1000 px wide at 10 in: sharp in a browser, small in the HTML
WIDTH = 10.0

# Variants of a comparison keep their colours across figures; other runs take the cycle.
VARIANT_COLOURS = {"fractional": "#7f7f7f", "fractional_costs": "#bcbd22", "rounded": "#d62728",
                   "buffered": "#ff7f0e", "greedy": "#9467bd", "dynamic": "#1f77b4"}
CYCLE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
MUTED = "#555555"

RC = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "#e6e6e6", "grid.linewidth": 0.6, "axes.axisbelow": True, "legend.frameon": False,
    "path.simplify_threshold": 0.5,  # dense daily lines: merge sub-pixel segments
}


# A run of at most this many trading days is drawn day by day (costs, positions): coarser
# periods would give it one or two bars.
DAILY_UP_TO = 45

LEFT, RIGHT, TOP, BOTTOM = 1.0, 0.3, 0.4, 0.45  # inches
LABEL_X = 0.5  # inches from the figure's left edge to the y labels' right side (two lines fit left of it)


def figure(height: float, width: float = WIDTH) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def axes_grid(fig: Figure, nrows: int = 1, ncols: int = 1, *, left: float = LEFT, right: float = RIGHT,
              top: float = TOP, bottom: float = BOTTOM, hgap: float = 0.3, wgap: float = 0.7,
              height_ratios=None, width_ratios=None, sharex: bool = False, squeeze: bool = True):  # noqa: ANN001, ANN201
    """Axes in a grid with margins and gaps in inches (matplotlib's own spacing is relative)."""
    w, h = fig.get_size_inches()
    ax_h = (h - top - bottom - hgap * (nrows - 1)) / nrows
    ax_w = (w - left - right - wgap * (ncols - 1)) / ncols
    gs = fig.add_gridspec(nrows, ncols, left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h,
                          hspace=hgap / ax_h, wspace=wgap / ax_w, height_ratios=height_ratios,
                          width_ratios=width_ratios)
    axes = gs.subplots(sharex=sharex, squeeze=squeeze)
    # Y labels end at a fixed distance from the figure's left edge: aligned down the page, and
    # cheaper than align_ylabels, which measures every sibling's tick labels at each draw.
    for ax in fig.axes:
        box = ax.get_position()
        ax.yaxis.set_label_coords(-(box.x0 * w - LABEL_X) / (box.width * w), 0.5)
    return axes


def run_colour(label: str | None, k: int) -> str:
    return VARIANT_COLOURS.get(label or "", CYCLE[k % len(CYCLE)])


class TradingDayLocator(AutoDateLocator):
    """AutoDateLocator, but never below a day: daily data has no 06:00 (a run of a day or two)."""

    def get_locator(self, dmin, dmax):  # noqa: ANN001, ANN201
        if abs((dmax - dmin).total_seconds()) < 4 * 86400:
            locator = DayLocator()
            locator.set_axis(self.axis)
            return locator
        return super().get_locator(dmin, dmax)


def date_axis(ax, offset: bool = True, days=None) -> None:  # noqa: ANN001
    """``days``: the run's trading days, which the axis then spans exactly, whatever was drawn
    (a year-long rolling figure of a 10-day run draws nothing: still the run's ten days)."""
    if days is not None and len(days):
        lo, hi = date2num(days[0]), date2num(days[-1])
    else:
        spans = [a.dataLim.intervalx for a in ax.get_shared_x_axes().get_siblings(ax) if a.has_data()]
        spans = [s for s in spans if math.isfinite(s[0]) and math.isfinite(s[1])]
        lo, hi = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else (None, None)
    if lo is not None:
        # One day: a day either side, not matplotlib's years around a single point.
        ax.set_xlim(*((lo - 1, hi + 1) if hi - lo < 1 else (lo, hi)))
    locator = TradingDayLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    # The offset names the year when no tick label does (a run shorter than a year).
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=offset))


def step_decimals(locs) -> int:  # noqa: ANN001
    """Decimals that show a linear axis's tick step exactly: its ticks then all differ."""
    locs = sorted(v for v in locs if v == v)
    if len(locs) < 2:
        return 0
    step = min(b - a for a, b in zip(locs, locs[1:]))
    return next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(1.0, abs(step))), 6)


class StepPercent(PercentFormatter):
    """Percent ticks with the decimals the step needs: 0%, -10%, -20%; but 0.0%, -0.5%, -1.0%
    (never 0%, -0%, -1%)."""

    def set_locs(self, locs) -> None:  # noqa: ANN001 - kept here: Formatter.locs is deprecated (Matplotlib 3.11)
        self.tick_values = list(locs)
        super().set_locs(locs)

    def __call__(self, x: float, pos=None) -> str:  # noqa: ANN001
        self.decimals = step_decimals([v * 100 for v in getattr(self, "tick_values", ())])
        return super().__call__(x, pos)


def percent_axis(ax, decimals: int | None = None) -> None:  # noqa: ANN001
    """``decimals`` None: as many as the tick step needs."""
    ax.yaxis.set_major_formatter(StepPercent(1.0) if decimals is None else PercentFormatter(1.0, decimals=decimals))


def short_money(x: float) -> str:
    if x == 0:
        return "0"  # not "0k" or "0m"
    for unit, scale in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            v = x / scale
            return f"{v:.0f}{unit}" if abs(v) >= 100 or v == int(v) else f"{v:.1f}{unit}"
    return f"{x:.0f}"


class ShortMoney(Formatter):
    """Money ticks as 100k, 1.5m...: one unit down a linear axis (its largest tick's), with the
    decimals its tick step needs, so a short run's ticks differ (0.9975m, 1.0000m, not 1.00m
    twice); a log axis, spanning units, labels each tick in its own."""

    def set_locs(self, locs) -> None:  # noqa: ANN001 - kept here: Formatter.locs is deprecated (Matplotlib 3.11)
        self.tick_values = list(locs)
        super().set_locs(locs)

    def __call__(self, x: float, pos=None) -> str:  # noqa: ANN001
        locs = sorted(v for v in getattr(self, "tick_values", ()) if v == v)
        if len(locs) < 2 or self.axis is None or self.axis.get_scale() != "linear":
            return short_money(x)
        top = max(abs(v) for v in locs)
        scale = next((s for s in (1e9, 1e6, 1e3) if top >= s), 1.0)
        unit = {1e9: "bn", 1e6: "m", 1e3: "k", 1.0: ""}[scale]
        if x == 0:
            return "0"  # not "0.0k": zero needs no unit
        return f"{x / scale:,.{step_decimals([v / scale for v in locs])}f}{unit}"


def money_axis(ax, log_minor_labels: bool = False) -> None:  # noqa: ANN001
    if ax.get_yscale() == "linear":  # steps of 1, 2 or 5: short labels (no 2.5k steps needing 4 decimals)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    formatter = ShortMoney()
    ax.yaxis.set_major_formatter(formatter)
    if log_minor_labels:  # label 2x and 5x too: a log axis spanning a decade or so has one number otherwise
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(formatter)


def legend(ax, **kwargs):  # noqa: ANN001, ANN003, ANN201
    """A legend whose line samples are thick enough to tell colours apart (data lines are thin)."""
    leg = ax.legend(**kwargs)
    for handle in leg.legend_handles:
        if isinstance(handle, Line2D) and handle.get_linestyle() not in ("None", "none", ""):
            handle.set_linewidth(max(2.0, handle.get_linewidth()))
    return leg


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()
