"""Rolling one-year volatility against the risk target, and rolling one-year Sharpe ratio."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from tradesim.report import stats
from tradesim.report.ledger import RunData
from tradesim.report.tables import run_risk_free
from tradesim.report.style import legend, MUTED, axes_grid, date_axis, figure, percent_axis, run_colour


def risk_figure(runs: Sequence[RunData]) -> Figure:
    fig = figure(5.0)
    vol_ax, sr_ax = axes_grid(fig, 2, 1, sharex=True, hgap=0.2)
    young = True
    for k, run in enumerate(runs):
        colour = run_colour(run.label, k)
        r = stats.returns(run.equity["nav"], run.capital, run.external_flows)
        vol, sr = stats.rolling_volatility(r), stats.rolling_sharpe(r, risk_free=run_risk_free(run))
        young &= bool(vol.isna().all())
        vol_ax.plot(vol.index, vol.to_numpy(), color=colour, lw=1.0, label=run.name)
        sr_ax.plot(sr.index, sr.to_numpy(), color=colour, lw=1.0, label=run.name)
    targets = sorted({run.risk_target for run in runs})
    for target in targets:
        vol_ax.axhline(target, color="black", lw=1.0, ls="--", label=f"risk target {target:.0%}")
    vol_ax.set_ylim(0.0, max(0.05, vol_ax.get_ylim()[1] * 1.15))  # headroom for the legend
    vol_ax.set_ylabel("volatility, annualised")
    vol_ax.set_title("Rolling 1-year volatility and Sharpe ratio (256 trading days)")
    percent_axis(vol_ax)
    legend(vol_ax, loc="upper left", ncols=len(runs) + len(targets))
    if not young:
        sr_ax.axhline(0.0, color=MUTED, lw=0.8)
    rates = sorted({f"{run_risk_free(run).mean():.2%}" for run in runs})
    sr_ax.set_ylabel(f"Sharpe ratio, 1 year (rf {', '.join(rates)})")
    if young:
        sr_ax.set_yticks([])  # no ratio to scale
        for ax in (vol_ax, sr_ax):
            ax.text(0.5, 0.6, "the run is shorter than a year: no rolling figure yet", transform=ax.transAxes,
                    ha="center", va="center", color=MUTED, backgroundcolor="white")
    days = runs[0].days
    date_axis(sr_ax, days=days)
    return fig
