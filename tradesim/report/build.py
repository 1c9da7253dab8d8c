"""A run report: read the ledger, draw the figures, assemble one HTML page (and PNGs on request)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from matplotlib import rc_context
from sqlalchemy import Connection, Engine

from db.queries import connect
from tradesim.report import tables
from tradesim.report.figures.costs import costs_figure
from tradesim.report.figures.equity import equity_figure
from tradesim.report.figures.optimum import default_symbols, optimum_figure
from tradesim.report.figures.pnl import pnl_figure
from tradesim.report.figures.positions import positions_figure
from tradesim.report.figures.risk import risk_figure
from tradesim.report.figures.tracking import tracking_figure
from tradesim.report.html import FigureBlock, Section, page
from tradesim.report.ledger import (
    ReportError, RunData, compare_group, instrument_pnl, load_orders, load_run, named, order_counts, run_meta,
)
from tradesim.report.style import RC, png

log = logging.getLogger(__name__)

# Section ids, in page order: the test checks every one is there.
SECTIONS = ("summary", "equity", "risk", "positions", "optimum", "tracking", "costs", "pnl", "trades")
# Figure names (PNG files with --png), in page order.
FIGURES = ("equity", "risk", "positions", "optimum", "tracking", "costs", "pnl")


@dataclass(frozen=True)
class Report:
    html: str
    figures: dict[str, bytes]  # name -> PNG
    run_ids: tuple[int, ...]
    symbols: tuple[str, ...]  # instruments in the optimum-vs-held figure
    seconds: dict[str, float]  # load / draw / total, for the benchmark


@dataclass(frozen=True)
class Written:
    html: Path
    pngs: tuple[Path, ...]
    report: Report


def resolve_runs(conn: Connection, run_ids: Sequence[int]) -> list[int]:
    """The runs to report: as named, except that one compare run stands for its whole comparison."""
    if not run_ids:
        raise ReportError("name at least one run (tradesim runs lists them)")
    if len(set(run_ids)) != len(run_ids):
        raise ReportError(f"run {next(r for r in run_ids if list(run_ids).count(r) > 1)} is named twice")
    if len(run_ids) == 1 and run_meta(conn, run_ids[0])["mode"] == "compare":
        return compare_group(conn, run_ids[0])
    return list(run_ids)


def render_report(db: str | Engine | Connection, run_ids: Sequence[int], *, log_scale: bool | None = None,
                  symbols: Sequence[str] = (), attribution: dict | None = None) -> Report:
    """Everything in memory: the page and each figure's PNG.

    Several runs share the equity, risk, tracking and cost figures; the figures of a
    single run (positions, optimum, P&L, trades) show the last run named (for a
    comparison, the dynamic one). ``attribution``: the keyword arguments of
    ``tradesim.run_attribution.attribute_run`` (benchmark, by, freq, method) for an
    attribution section of the last run named.
    """
    t0 = time.perf_counter()
    with connect(db) as conn:
        ids = resolve_runs(conn, run_ids)
        runs = named([load_run(conn, i) for i in ids])
        _same_currency(runs)
        main = runs[-1]
        chosen = _symbols(main, symbols, order_counts(conn, main.run_id))
        orders = load_orders(conn, main.run_id, chosen)
        attributed = None
        if attribution is not None:
            from tradesim.run_attribution import attribute_run

            attributed = attribute_run(conn, main.run_id, **attribution)
    per_day = instrument_pnl(main)
    t1 = time.perf_counter()
    figures: dict[str, bytes] = {}
    with rc_context(RC):
        # Each figure is encoded as soon as it is drawn, so only one is in memory at a time.
        figures["equity"] = png(equity_figure(runs, log=log_scale))  # None: by the range of the NAV
        figures["risk"] = png(risk_figure(runs))
        figures["positions"] = png(positions_figure(main))
        figures["optimum"] = png(optimum_figure(main, orders, chosen))
        figures["tracking"] = png(tracking_figure(runs))
        figures["costs"] = png(costs_figure(runs))
        figures["pnl"] = png(pnl_figure(main, per_day))
    t2 = time.perf_counter()
    sections = _sections(runs, main, chosen, figures, per_day)
    if attributed is not None:
        sections.insert(-1, Section("attribution", "Attribution", tables.attribution_intro(main, attributed,
                                                                                           attribution["benchmark"]),
                                    html=tables.attribution_html(attributed)))
    html = page(_title(runs), _subtitle(runs), sections)
    seconds = {"load": t1 - t0, "draw": t2 - t1, "total": time.perf_counter() - t0}
    return Report(html, figures, tuple(ids), tuple(chosen), seconds)


def write_report(db: str | Engine | Connection, run_ids: Sequence[int], out: str | Path, *,
                 png_dir: str | Path | None = None, log_scale: bool | None = None, symbols: Sequence[str] = (),
                 attribution: dict | None = None) -> Written:
    """Render and write ``out`` (HTML) and, with ``png_dir``, one PNG per figure there."""
    report = render_report(db, run_ids, log_scale=log_scale, symbols=symbols, attribution=attribution)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    pngs: list[Path] = []
    if png_dir is not None:
        folder = Path(png_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in report.figures.items():
            path = folder / f"{name}.png"
            path.write_bytes(data)
            pngs.append(path)
    return Written(out, tuple(pngs), report)


def default_output(run_ids: Sequence[int]) -> Path:
    return Path(f"report-run{'-'.join(str(r) for r in run_ids)}.html")


def _same_currency(runs: Sequence[RunData]) -> None:
    currencies = {run.base_currency for run in runs}
    if len(currencies) > 1:
        raise ReportError("runs in one report share money axes: "
                          + ", ".join(f"{run.name} is in {run.base_currency}" for run in runs))


def _symbols(run: RunData, asked: Sequence[str], counts) -> list[str]:  # noqa: ANN001
    if not asked:
        return default_symbols(counts)
    traded = set(counts.index) | set(run.positions["symbol"].unique())
    for symbol in asked:
        if symbol not in traded:
            raise ReportError(f"--symbol: {run.name} never ordered or held {symbol!r}")
    return list(dict.fromkeys(asked))


def portfolios(runs: Sequence[RunData]) -> str:
    """The portfolios shown, each once, in order: what a title names."""
    return " vs ".join(dict.fromkeys(r.portfolio for r in runs))


def _title(runs: Sequence[RunData]) -> str:
    if len(runs) > 1:
        return f"tradesim report: {portfolios(runs)}, runs {', '.join(str(r.run_id) for r in runs)}"
    return f"tradesim report: {runs[0].portfolio}, run {runs[0].run_id}"


def _subtitle(runs: Sequence[RunData]) -> str:
    first = runs[0]
    modes = ", ".join(sorted({r.mode for r in runs}))
    return (f"{modes}; {first.days[0]:%Y-%m-%d} to {first.days[-1]:%Y-%m-%d}, {len(first.days):,} trading days; "
            f"base currency {first.base_currency}; made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


def _sections(runs: Sequence[RunData], main: RunData, chosen: Sequence[str], figures: dict[str, bytes],
              per_day) -> list[Section]:  # noqa: ANN001
    many = len(runs) > 1
    which = f" Figures of one run show {main.name}." if many else ""
    fig = lambda name, caption: FigureBlock(name, figures[name], caption)  # noqa: E731
    notes = [f"{r.name} is {r.status}: the report shows the days processed so far." for r in runs
             if r.status != "finished"]
    return [
        Section("summary", "Summary", "The replay's own summary (as tradesim replay prints it), the config behind "
                "it, the data and the code that ran it." + which, html=tables.summary_html(runs), notes=notes),
        Section("equity", "Equity and drawdown", figures=[fig(
            "equity", "Net asset value in the base currency after all costs; beneath, the fall from the running "
            "peak." + (" The runs of a comparison (the ideal: fractional and cost-free) share the "
                       "chart." if many else ""))]),
        Section("risk", "Risk", figures=[fig(
            "risk", "Annualised volatility of daily returns over the last 256 trading days against the risk "
            "target (dashed), and the Sharpe ratio over the same window, over the config's risk-free rate "
            "(its value on the axis). Blank until the "
            "run is a year old.")]),
        Section("positions", "Positions", figures=[fig(
            "positions", f"Every instrument {main.name} held, as value held over NAV at each week's last close "
            "(blue long, red short), grouped by asset class. The colour scale stops at the 99th percentile of "
            "the weights.")]),
        Section("optimum", "Optimum and whole positions", figures=[fig(
            "optimum", "The unrounded optimum is stored only when an order is made, so it shows as markers on "
            "decision days; the whole position held is a step line at each close, reaching the order's target "
            "a trading day later, when the order fills. Instruments: " + ", ".join(chosen)
            + " (the most often ordered unless --symbol names them). Right: the last 120 trading days.")]),
        Section("tracking", "Tracking error and trading", figures=[fig(
            "tracking", "Daily tracking error of the whole positions against the unrounded portfolio; the "
            "dashed line is the optimiser's buffer (buffer_fraction x risk target), below which it does not "
            "trade. The adjustment factor scales each trade towards the optimum (shown on days with a trade). "
            "Ticks: days with orders, by the trigger that fired.")]),
        Section("costs", "Turnover and costs", figures=[fig(
            "costs", "Per month: traded value over the month's average NAV, and costs (commission, slippage, "
            "rolls) in basis points of it. Bottom: costs summed since the start, in the base currency.")]),
        Section("pnl", "P&L by asset class", figures=[fig(
            "pnl", "Net P&L (gross less commission and slippage) summed by asset class, from the ledger's "
            "positions and fills as tradesim pnl computes it; roll costs are the (rolls) line. Below: the totals, "
            "and the instruments that made and lost the most.")], html=tables.pnl_html(main, per_day)),
        Section("trades", "Last trades", html=tables.trades_html(main)),
    ]
