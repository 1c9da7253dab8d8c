"""A sweep's figures: one metric over two swept keys as heatmaps, or over one key as lines.

With more keys than the figure's axes, each combination of the others gets its own
panel (heatmaps) or line (lines), so nothing is averaged away. Cells of variants not in
the ledger (failed, or not run yet) stay blank.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from sqlalchemy import Connection

from db.queries import connect
from tradesim.report.html import FigureBlock, Section, page
from tradesim.report.style import CYCLE, axes_grid, figure, legend, png
from tradesim.sweep.results import SweepError, SweepTable, sweep_axes, sweep_table

PERCENT = {"annual_return", "annual_volatility", "max_drawdown", "tracking_error", "drag", "realised_te"}
NAMES = {"annual_return": "annual return", "annual_volatility": "annual volatility", "sharpe": "Sharpe ratio",
         "max_drawdown": "max drawdown", "total_costs": "costs", "annual_notional_turnover": "annual turnover",
         "tracking_error": "tracking error", "adjustment_factor": "adjustment factor", "drag": "drag against the ideal",
         "realised_te": "tracking error against the ideal"}
MAX_PANELS = 12


@dataclass(frozen=True)
class SweepReport:
    html: str
    figures: dict[str, bytes]  # name -> PNG


def fmt(metric: str, v: float) -> str:
    if v is None or not np.isfinite(v):
        return ""
    if metric in PERCENT:
        return f"{v:.1%}"
    return f"{v:,.0f}" if metric == "total_costs" else f"{v:.2f}"


def _label(v) -> str:  # noqa: ANN001
    return v if isinstance(v, str) else json.dumps(v)


def render_sweep(conn: Connection, sweep_id: str, metric: str = "sharpe", x: str | None = None,
                 y: str | None = None, lines: bool = False) -> SweepReport:
    if metric not in NAMES:
        raise SweepError(f"--metric {metric}: choose one of {', '.join(NAMES)}")
    table = sweep_table(conn, sweep_id)
    axes = sweep_axes(conn, sweep_id)
    if not table.rows:
        raise SweepError(f"sweep {sweep_id} has no recorded variants yet")
    keys = table.keys
    for name, key in (("--x", x), ("--y", y)):
        if key is not None and key not in keys:
            raise SweepError(f"{name} {key}: not a key of sweep {sweep_id} (keys: {', '.join(keys)})")
    x = x or keys[0]
    if not lines:
        y = y or next((k for k in keys if k != x), None)
    if y == x:
        raise SweepError(f"--x and --y are both {x}")
    values = {k: _values(table, k, axes.get(k)) for k in keys}
    others = [k for k in keys if k not in (x, y)]
    if y is None:
        fig, name = lines_figure(table, metric, x, values, others), f"sweep-{metric}-{_slug(x)}"
    else:
        fig, name = heatmaps_figure(table, metric, x, y, values, others), f"sweep-{metric}-{_slug(x)}-{_slug(y)}"
    picture = png(fig)
    what = f"{NAMES[metric]} over {x}" + (f" and {y}" if y else "")
    caption = what + (f"; one {'panel' if y else 'line'} per value of {', '.join(others)}" if others else "")
    if metric == "sharpe":
        rates = sorted({r for r in table.column("sharpe_rf") if r is not None})
        known = "" if len(rates) == len(set(table.column("sharpe_rf"))) else ", unknown for runs of an older ledger"
        caption += f"; over a risk-free rate of {' or '.join(f'{r:.2%}' for r in rates) or 'unknown'}{known}"
    section = Section("sweep", f"Sweep {sweep_id}", f"{len(table.rows)} variants recorded.",
                      figures=[FigureBlock(name, picture, caption)])
    return SweepReport(page(f"Sweep {sweep_id}: {what}", f"{len(table.rows)} variants", [section]), {name: picture})


def write_sweep_report(url: str, sweep_id: str, out: Path, png_dir: Path | None = None, **kwargs) -> list[Path]:  # noqa: ANN003
    with connect(url) as conn:
        report = render_sweep(conn, sweep_id, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html)
    written = [out]
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
        for name, data in report.figures.items():
            (png_dir / f"{name}.png").write_bytes(data)
            written.append(png_dir / f"{name}.png")
    return written


def _values(table: SweepTable, key: str, axis: list | None) -> list:
    """The key's values in the grid's order (a sweep file's in order of appearance)."""
    seen = [v for v in (axis or []) if v in table.column(key)]
    for v in table.column(key):
        if v not in seen:
            seen.append(v)
    return seen


def _slug(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _cells(table: SweepTable, metric: str, keys: list[str]) -> dict[tuple, float]:
    cols = [table.columns.index(k) for k in keys]
    m = table.columns.index(metric)
    return {tuple(json.dumps(r[c], sort_keys=True) for c in cols): r[m] for r in table.rows}


def _combos(values: dict[str, list], others: list[str]) -> list[tuple]:
    return list(itertools.product(*(values[k] for k in others)))[:MAX_PANELS]


def heatmaps_figure(table: SweepTable, metric: str, x: str, y: str, values: dict[str, list],
                    others: list[str]) -> Figure:
    combos = _combos(values, others)
    ncols = min(3, len(combos))
    nrows = -(-len(combos) // ncols)
    fig = figure(0.9 + 3.2 * nrows)
    grid = axes_grid(fig, nrows, ncols, squeeze=False, left=1.2, right=0.9, wgap=1.3, hgap=0.8, top=0.6)
    cells = _cells(table, metric, [x, y, *others])
    xs, ys = values[x], values[y]
    matrices = []
    for combo in combos:
        rest = tuple(json.dumps(v, sort_keys=True) for v in combo)
        m = np.full((len(ys), len(xs)), np.nan)
        for i, yv in enumerate(ys):
            for j, xv in enumerate(xs):
                v = cells.get((json.dumps(xv, sort_keys=True), json.dumps(yv, sort_keys=True), *rest))
                m[i, j] = np.nan if v is None else v
        matrices.append(m)
    finite = np.concatenate([m[np.isfinite(m)] for m in matrices])
    lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    for k, (ax, combo, m) in enumerate(zip(grid.flat, combos, matrices)):
        image = ax.imshow(m, origin="lower", aspect="auto", cmap="viridis", vmin=lo, vmax=hi)
        ax.grid(False)
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
        ax.set_xlabel(x)
        if k % ncols == 0:  # axes_grid puts every y label at the page's left edge: the first column's only
            ax.set_ylabel(y)
        if others:
            ax.set_title(", ".join(f"{_slug(k)}={_label(v)}" for k, v in zip(others, combo)))
        for i, j in zip(*np.nonzero(np.isfinite(m))):
            shade = (m[i, j] - lo) / (hi - lo) if hi > lo else 0.5
            ax.text(j, i, fmt(metric, m[i, j]), ha="center", va="center", fontsize=8,
                    color="black" if shade > 0.6 else "white")
        bar = fig.colorbar(image, ax=ax, fraction=0.06, pad=0.02)
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt(metric, v)))
    for ax in list(grid.flat)[len(combos):]:
        ax.set_visible(False)
    fig.suptitle(f"{NAMES[metric]} by {x} and {y}", fontsize=10)
    return fig


def lines_figure(table: SweepTable, metric: str, x: str, values: dict[str, list], others: list[str]) -> Figure:
    fig = figure(4.2)
    ax = axes_grid(fig, left=1.2)
    cells = _cells(table, metric, [x, *others])
    xs = values[x]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs)
    positions = xs if numeric else list(range(len(xs)))
    for k, combo in enumerate(_combos(values, others)):
        rest = tuple(json.dumps(v, sort_keys=True) for v in combo)
        ys = [cells.get((json.dumps(v, sort_keys=True), *rest)) for v in xs]
        ys = [np.nan if v is None else v for v in ys]
        label = ", ".join(f"{_slug(k2)}={_label(v)}" for k2, v in zip(others, combo)) or None
        ax.plot(positions, ys, marker="o", color=CYCLE[k % len(CYCLE)], label=label)
    if numeric and min(xs) > 0 and max(xs) >= 10 * min(xs):  # capital from 100k to 5m: a log axis
        ax.set_xscale("log")
        ax.minorticks_off()
    if not numeric or ax.get_xscale() == "log":
        ax.set_xticks(positions, [_label(v) for v in xs])
    ax.set_xlabel(x)
    ax.set_ylabel(NAMES[metric])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt(metric, v)))
    ax.set_title(f"{NAMES[metric]} by {x}")
    if others:
        legend(ax)
    return fig
