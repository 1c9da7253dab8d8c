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

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter

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


def date_axis(ax, offset: bool = True) -> None:  # noqa: ANN001
    locator = AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    # The offset names the year when no tick label does (a run shorter than a year).
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=offset))


def percent_axis(ax, decimals: int = 0) -> None:  # noqa: ANN001
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def short_money(x: float) -> str:
    for unit, scale in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            v = x / scale
            return f"{v:.0f}{unit}" if abs(v) >= 100 or v == int(v) else f"{v:.1f}{unit}"
    return f"{x:.0f}"


def money_axis(ax, log_minor_labels: bool = False) -> None:  # noqa: ANN001
    formatter = FuncFormatter(lambda x, _pos: short_money(x))
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
