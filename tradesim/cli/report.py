"""``tradesim report``: one self-contained HTML page of figures for a run or a comparison.

The report package (and with it matplotlib) is imported only when a report is made,
so other commands start as fast as before. ``replay`` and ``compare`` call
``report_after_run`` for their ``--report`` option.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from db.session import database_url
from tradesim.cli import app, console
from tradesim.cli.options import DbOption, check_writable
from tradesim.errors import TradesimError

Runs = Annotated[Optional[list[int]], typer.Argument(
    help="Run id; several ids overlay their runs; one run of a comparison stands for all three.", show_default=False,
    metavar="RUN")]
Out = Annotated[Optional[Path], typer.Option("--out", "-o", metavar="PATH", help="HTML file to write (default: report-run<ID>.html).")]
PngDir = Annotated[Optional[Path], typer.Option("--png", metavar="FOLDER", help="Also write each figure as a PNG file in this folder.")]
Log = Annotated[Optional[bool], typer.Option(
    "--log/--linear", help="Equity axis scale (default: log when the NAV spans more than 10x, else linear).",
    show_default=False)]
Symbols = Annotated[Optional[list[str]], typer.Option(
    "--symbol", "-s", metavar="SYMBOL", help="Instrument for the optimum-vs-held figure; repeat for several (default: the 3 most ordered).")]

# For replay and compare: the same two options, named the same way.
ReportOption = Annotated[Optional[Path], typer.Option("--report", metavar="PATH", help="After the run, write its HTML report here.")]
ReportPngOption = Annotated[Optional[Path], typer.Option("--png", metavar="FOLDER", help="With --report: also write the figures as PNGs in this folder.")]


Benchmark = Annotated[Optional[str], typer.Option(
    "--benchmark", "-b", metavar="RUN|MIX", help="Add an attribution section against this run id or policy mix (SEGMENT=W,...).")]
By = Annotated[str, typer.Option("--by", metavar="SEGMENT", help="With --benchmark: asset_class or instrument.")]
Freq = Annotated[str, typer.Option("--freq", metavar="M|Q|Y", help="With --benchmark: M, Q or Y periods.")]


SweepOpt = Annotated[Optional[str], typer.Option(
    "--sweep", metavar="SWEEP", help="A sweep's figures instead of a run's: --metric over its keys, as heatmaps or lines.")]
Metric = Annotated[str, typer.Option("--metric", metavar="METRIC", help="With --sweep: sharpe, annual_return, max_drawdown, "
                                     "total_costs, annual_turnover, tracking_error, drag...")]
XKey = Annotated[Optional[str], typer.Option("--x", metavar="KEY", help="With --sweep: the key along the x axis (default: the first).")]
YKey = Annotated[Optional[str], typer.Option("--y", metavar="KEY", help="With --sweep: the key along the y axis (default: the next).")]
Lines = Annotated[bool, typer.Option("--lines", help="With --sweep: lines over --x (one per value of the other keys).")]


@app.command()
def report(runs: Runs = None, db: DbOption = None, out: Out = None, png: PngDir = None, log: Log = None,
           symbol: Symbols = None, sweep: SweepOpt = None, metric: Metric = "sharpe", x: XKey = None,
           y: YKey = None, lines: Lines = False, benchmark: Benchmark = None, by: By = "asset_class",
           freq: Freq = "Q") -> None:
    """Write a run's report: equity, risk, positions, tracking error, costs, P&L and the last trades."""
    if sweep is not None:
        if runs:
            raise TradesimError("--sweep draws a sweep's figures: name no runs with it")
        from tradesim.report.sweep import write_sweep_report

        written = write_sweep_report(database_url(db), sweep, out or Path(f"report-{sweep}.html"), png,
                                     metric=metric, x=x, y=y, lines=lines)
        console.print(f"sweep {sweep}: {', '.join(str(p) for p in written)}", highlight=False, soft_wrap=True)
        return
    from tradesim.report import write_report
    from tradesim.report.build import default_output

    symbols = [s.strip() for part in symbol or () for s in part.split(",") if s.strip()]
    runs = runs or []
    attribution = None
    if benchmark is not None:
        from tradesim.cli.attribution import parse_benchmark

        attribution = {"benchmark": parse_benchmark(benchmark), "by": by, "freq": freq.upper()}
    check_writable(out or default_output(runs), "--out")
    if png is not None:
        check_writable(png, "--png", folder=True)
    with report_files():
        written = write_report(database_url(db), runs, out or default_output(runs), png_dir=png, log_scale=log,
                               symbols=symbols, attribution=attribution)
    _print(written)


def check_report_options(report_path: Path | None, png_dir: Path | None) -> None:
    """Before a run starts: --png without --report is a mistake, caught before hours of replay."""
    if png_dir is not None and report_path is None:
        raise TradesimError("--png DIR writes the report's figures: give --report PATH too")
    if report_path is not None:
        check_writable(report_path, "--report")
    if png_dir is not None:
        check_writable(png_dir, "--png", folder=True)


def report_after_run(url: str, run_ids: list[int], report_path: Path | None, png_dir: Path | None) -> None:
    if report_path is None:
        return
    from tradesim.report import write_report

    with report_files():
        written = write_report(url, run_ids, report_path, png_dir=png_dir)
    _print(written)


@contextmanager
def report_files() -> Iterator[None]:
    """A report that cannot be written (a full disk, a path that vanished) is one line, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise TradesimError(f"{exc.filename or 'report'}: cannot write the report: {exc.strerror or exc}") from None


def _print(written) -> None:  # noqa: ANN001
    r = written.report
    runs = ", ".join(str(i) for i in r.run_ids)
    console.print(f"report of run{'s' if len(r.run_ids) > 1 else ''} {runs}: {written.html} "
                  f"({len(r.figures)} figures, {r.seconds['total']:.1f} s)", highlight=False, soft_wrap=True)
    if written.pngs:
        console.print(f"figures: {', '.join(str(p) for p in written.pngs)}", highlight=False, soft_wrap=True)
