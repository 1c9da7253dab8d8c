"""``tradesim profile``: the beta-profile allocation over a list of beta bands, and its figure.

Inputs are given as options, or, without ``--returns``/``--betas``, estimated from the
bundled data: the 20 S&P 500 stocks' betas against the bundled S&P 500 index at the
last quarter end, cut into low/medium/high thirds, with migration, returns,
volatilities and correlations from the whole history (``strategies.beta_categories``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich import box
from rich.table import Table

from tradesim.cli import app, console
from tradesim.cli.options import check_writable
from tradesim.cli.output import Format
from tradesim.errors import TradesimError

DEFAULT_BANDS = "0.6:0.8,0.8:0.9,0.9:1.0,1.0:1.1,1.1:1.3"


def parse_numbers(text: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise TradesimError(f"{option}: {text!r} is not a comma-separated list of numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise TradesimError(f"{option}: {text!r} contains a non-finite number")
    return values


def parse_bands(text: str) -> list[tuple[float, float]]:
    bands = []
    for part in text.split(","):
        lo, sep, hi = part.partition(":")
        try:
            band = (float(lo), float(hi))
        except ValueError:
            raise TradesimError(f"--bands: {part!r} is not LOW:HIGH") from None
        if not sep or band[0] > band[1]:
            raise TradesimError(f"--bands: {part!r} is not LOW:HIGH with LOW <= HIGH")
        bands.append(band)
    return bands


def read_matrix(path: Path, option: str) -> np.ndarray:
    if not path.is_file():
        raise TradesimError(f"{option}: {path}: file not found")
    rows = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        return np.array([[float(x) for x in line.split(",")] for line in rows])
    except ValueError:
        raise TradesimError(f"{option}: {path}: expected rows of comma-separated numbers") from None


def bundled_inputs() -> tuple[dict, str]:
    from strategies.beta_categories import quarterly_inputs
    from tradesim.data.bundled import bundled_prices

    close, index = bundled_prices("sp500"), bundled_prices("sp500_index")["SP500"]
    q = quarterly_inputs(close.index, close.pct_change().to_numpy(), index.pct_change().to_numpy())[-1]
    inputs = {"returns": q.returns, "betas": q.category_betas, "vols": q.vols, "correlations": q.correlations,
              "migration": q.migration}
    where = (f"estimated from the bundled S&P 500 stocks at {close.index[q.t].date()} "
             f"({q.migrations_seen:,} quarterly migrations, {q.days_of_history:,} days of category returns)")
    return inputs, where


def category_names(k: int) -> list[str]:
    return ["low", "medium", "high"] if k == 3 else [f"c{i + 1}" for i in range(k)]


@dataclass(frozen=True)
class Infeasible:
    """A band no allocation reaches: shown as a row, not an error, in a table over many bands."""

    lowest: float
    highest: float


def solve(inputs: dict, band: tuple[float, float], migrate: bool):  # noqa: ANN201
    from strategies.beta_profile import optimise_profile, reachable_betas

    P = inputs["migration"] if migrate else None
    try:
        lo, hi = reachable_betas(inputs["betas"], P)
        if band[1] < lo or band[0] > hi:
            return Infeasible(lo, hi)
        return optimise_profile(inputs["returns"], inputs["betas"], band[0], band[1], P, inputs["vols"],
                                inputs["correlations"])
    except ValueError as exc:
        raise TradesimError(f"profile: {exc}") from None


def inputs_table(inputs: dict, names: list[str], where: str) -> Table:
    table = Table(title="category inputs", caption=where)
    table.add_column("category")
    for col in ("return r", "beta b", "vol s"):
        table.add_column(col, justify="right")
    if inputs["migration"] is not None:
        for n in names:
            table.add_column(f"P from {n}", justify="right")
    for i, n in enumerate(names):
        row = [n, f"{inputs['returns'][i]:.2%}", f"{inputs['betas'][i]:.3f}",
               "" if inputs["vols"] is None else f"{inputs['vols'][i]:.2%}"]
        if inputs["migration"] is not None:
            row += [f"{p:.3f}" for p in inputs["migration"][i]]
        table.add_row(*row)
    return table


def _mix(v: np.ndarray) -> str:
    return "/".join(f"{100 * x:.1f}" for x in v)


def results_table(results: list, names: list[str]) -> Table:
    parts = "/".join(names)
    table = Table(title="maximum return per beta band", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
                  show_edge=False, caption=f"x: % bought now, w = P x: % after migration ({parts}); "
                  "an infeasible band shows the betas that can be reached")
    for col in ("beta band", "migr.", "x", "w", "return", "beta", "vol"):
        table.add_column(col, justify="left" if col in ("beta band", "migr.") else "right", no_wrap=True)
    for band, migrate, res in results:
        label = f"{band[0]:g}-{band[1]:g}"
        if isinstance(res, Infeasible):
            table.add_row(label, "yes" if migrate else "no", "[red]infeasible[/]", "", "",
                          f"[red]{res.lowest:.2f}-{res.highest:.2f}[/]", "")
            continue
        table.add_row(label, "yes" if migrate else "no", _mix(res.allocation), _mix(res.weights),
                      f"{res.expected_return:.2%}", f"{res.beta:.3f}",
                      "" if res.volatility is None else f"{res.volatility:.2%}")
    return table


def duals_table(results: list) -> Table:
    """The LP's dual values: the Lagrange multipliers of the beta band and of full investment."""
    table = Table(title="shadow prices (the LP's duals)", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  caption="change in the maximum return per unit of beta_high (λ high) and of beta_low (λ low), "
                  "and per unit more invested (μ); 0 where the bound does not bind")
    for col in ("beta band", "migr.", "λ high", "λ low", "μ budget"):
        table.add_column(col, justify="left" if col in ("beta band", "migr.") else "right", no_wrap=True)
    for band, migrate, res in results:
        if not isinstance(res, Infeasible):
            table.add_row(f"{band[0]:g}-{band[1]:g}", "yes" if migrate else "no", f"{res.shadow_beta_high + 0.0:+.4f}",
                          f"{res.shadow_beta_low + 0.0:+.4f}", f"{res.shadow_budget + 0.0:+.4f}")
    return table


def plot(path: Path, inputs: dict, band: tuple[float, float], vary: int | list[int], grid: np.ndarray | None,
         names: list[str], where: str) -> None:
    """Figure 1: the maximum return against one category's return, with and without migration;
    ``vary`` a list draws one panel per category, side by side, each on a grid of +-15 points
    around its estimated return (``grid`` None) or on ``grid``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = vary if isinstance(vary, list) else [vary]
    fig, axes = plt.subplots(1, len(panels), figsize=(8 if len(panels) == 1 else 4.6 * len(panels), 5), dpi=120,
                             sharey=True, squeeze=False)
    for ax, k in zip(axes[0], panels):
        centre = inputs["returns"][k]
        _panel(ax, inputs, band, k, np.linspace(centre - 0.15, centre + 0.15, 121) if grid is None else grid, names)
    if len(panels) > 1:
        for ax, k in zip(axes[0], panels):
            ax.set_title(f"varying the {names[k]}-beta category's return", fontsize=10)
        for ax in axes[0][1:]:
            ax.set_ylabel("")
        fig.suptitle(f"Beta profile: maximum return for beta in [{band[0]:g}, {band[1]:g}], each category in turn")
    fig.text(0.01, 0.01, f"inputs {where}", fontsize=7, color="dimgrey")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _panel(ax, inputs: dict, band: tuple[float, float], vary: int, grid: np.ndarray, names: list[str]) -> None:  # noqa: ANN001
    for migrate, style in ((False, "-"), (True, "--")):
        if migrate and inputs["migration"] is None:
            continue
        best = []
        for r_k in grid:
            varied = dict(inputs, returns=np.array(inputs["returns"], dtype=float))
            varied["returns"][vary] = r_k
            res = solve(varied, band, migrate)
            best.append(np.nan if isinstance(res, Infeasible) else res.expected_return)
        label = "with migration (w = P x)" if migrate else "without migration (w = x)"
        ax.plot(grid * 100, np.array(best) * 100, style, linewidth=2, label=label)
    ax.axvline(inputs["returns"][vary] * 100, color="grey", linewidth=0.8, linestyle=":",
               label=f"estimated r ({names[vary]}) = {inputs['returns'][vary]:.1%}")
    ax.set_xlabel(f"expected return of the {names[vary]}-beta category, % a year")
    ax.set_ylabel("maximum portfolio return r . w, % a year")
    ax.set_title(f"Beta profile: maximum return for beta in [{band[0]:g}, {band[1]:g}]", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


@app.command()
def profile(
    returns: Annotated[Optional[str], typer.Option(metavar="R,...", help="Expected return per category, e.g. 0.04,0.07,0.11.")] = None,
    betas: Annotated[Optional[str], typer.Option(metavar="BETA,...", help="Beta per category, e.g. 0.6,1.0,1.5.")] = None,
    vols: Annotated[Optional[str], typer.Option(metavar="VOL,...", help="Volatility per category (for the portfolio volatility).")] = None,
    correlations: Annotated[Optional[Path], typer.Option(metavar="CSV", help="CSV of the K x K correlation matrix (default: uncorrelated).")] = None,
    migration: Annotated[Optional[Path], typer.Option(metavar="CSV", help="CSV of the K x K migration matrix, P[i, j] = P(j -> i).")] = None,
    bands: Annotated[str, typer.Option(metavar="LOW:HIGH,...", help="Beta bands LOW:HIGH, comma-separated.")] = DEFAULT_BANDS,
    plot_path: Annotated[Optional[Path], typer.Option("--plot", metavar="PNG", help="Save the figure (PNG) here.")] = None,
    plot_band: Annotated[Optional[str], typer.Option("--plot-band", metavar="LOW:HIGH", help="LOW:HIGH band of the figure (default: 0.9:1.1).")] = None,
    vary: Annotated[Optional[str], typer.Option(metavar="K|all", help="Category whose return the figure varies, 1-based, or 'all' "
                                                     "for one panel per category (default: the last).")] = None,
    output: Annotated[Format, typer.Option("--format", "-f", help="table, json, or csv (one line per band and migration).")] = Format.table,
) -> None:
    """Maximum-return allocation across beta categories for each beta band, with and without migration."""
    if plot_path is not None:
        check_writable(plot_path, "--plot")
    if (returns is None) != (betas is None):
        raise TradesimError("--returns and --betas go together (or give neither to estimate from the bundled data)")
    if returns is None:
        if vols or correlations or migration:
            raise TradesimError("--vols, --correlations and --migration need --returns and --betas")
        inputs, where = bundled_inputs()
    else:
        inputs = {"returns": parse_numbers(returns, "--returns"), "betas": parse_numbers(betas, "--betas"),
                  "vols": parse_numbers(vols, "--vols") if vols else None,
                  "correlations": read_matrix(correlations, "--correlations") if correlations else None,
                  "migration": read_matrix(migration, "--migration") if migration else None}
        where = "given on the command line"
    k = len(inputs["returns"])
    names = category_names(k)
    results = [(band, migrate, solve(inputs, band, migrate)) for band in parse_bands(bands)
               for migrate in ((False, True) if inputs["migration"] is not None else (False,))]
    if output == "json":
        out = [{"band": list(band), "migration": migrate,
                **({"infeasible": {"reachable_betas": [res.lowest, res.highest]}} if isinstance(res, Infeasible) else
                   {"allocation": res.allocation.tolist(), "weights": res.weights.tolist(),
                    "expected_return": res.expected_return, "beta": res.beta, "volatility": res.volatility,
                    "shadow_prices": {"beta_high": res.shadow_beta_high, "beta_low": res.shadow_beta_low,
                                      "budget": res.shadow_budget}})}
               for band, migrate, res in results]
        typer.echo(json.dumps({"inputs": where, "results": out}, indent=2))
    elif output == "csv":
        from tradesim.cli.output import write_csv

        weights = [f"weight_{name}" for name in names]
        write_csv(["band_low", "band_high", "migration", "feasible", "expected_return", "beta", "volatility", *weights],
                  ([band[0], band[1], migrate, False, None, None, None, *([None] * k)] if isinstance(res, Infeasible)
                   else [band[0], band[1], migrate, True, res.expected_return, res.beta, res.volatility,
                         *res.weights.tolist()] for band, migrate, res in results))
    else:
        console.print(inputs_table(inputs, names, where))
        console.print(results_table(results, names))
        console.print(duals_table(results))
    if plot_path is not None:
        if vary == "all":
            vary_index: int | list[int] = list(range(k))
        else:
            try:
                vary_index = (k if vary is None else int(vary)) - 1
            except ValueError:
                raise TradesimError(f"--vary: {vary!r} is not a category number or 'all'") from None
            if not 0 <= vary_index < k:
                raise TradesimError(f"--vary: category {vary} is not between 1 and {k}")
        band = parse_bands(plot_band)[0] if plot_band else (0.9, 1.1)
        plot(plot_path, inputs, band, vary_index, None, names, where)
        if output == "table":
            console.print(f"figure: {plot_path}")
