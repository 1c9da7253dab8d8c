"""``tradesim sweep``: many variants of one config on Dask, each a run in the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from db.session import database_url
from tradesim.cli import app, console, err_console
from tradesim.cli.options import ConfigArg, DbOption, SetOption
from tradesim.cli.compare import short_money
from tradesim.cli.logs import quiet
from tradesim.cli.output import Format, emit, num
from tradesim.config import load_config
from tradesim.errors import SomeFailed, TradesimError

Grid = Annotated[Optional[list[str]], typer.Option(
    "--grid", "-g", metavar="KEY=V1,V2,...", help="An axis KEY=V1,V2,... (dotted keys as --set); several axes run their cartesian product.")]
SweepFile = Annotated[Optional[Path], typer.Option(
    "--file", metavar="PATH", help="A sweep file: [[variant]] tables of overrides, instead of --grid.")]
Scheduler = Annotated[Optional[str], typer.Option(
    "--scheduler", metavar="ADDRESS", help="An existing Dask scheduler, tcp://HOST:PORT (default: a local cluster).")]
Workers = Annotated[Optional[int], typer.Option(
    "--workers", min=1, metavar="N", help="Local cluster: worker processes (default: one per core).")]
LedgerMode = Annotated[str, typer.Option(
    "--ledger", metavar="summary|full", help="summary: run row, figures, daily equity and diagnostics; full: every order and fill too.")]
Compare = Annotated[bool, typer.Option(
    "--compare", help="Also run each variant's ideal (fractional positions, no costs): adds drag and TEideal.")]
SweepId = Annotated[Optional[str], typer.Option(
    "--id", metavar="SWEEP", help="Name the sweep (default: from the config, variants and ledger mode; rerunning resumes it).")]
Sort = Annotated[Optional[str], typer.Option(
    "--sort", metavar="COLUMN", help="Sort the results by a column (e.g. sharpe); -sharpe sorts descending.")]
Fmt = Annotated[Format, typer.Option("--format", "-f", help="table, or csv / json to stdout.")]


def _pct(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:.1%}"


def _pct2(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:.2%}"


def _fixed(digits: int):  # noqa: ANN202
    return lambda v: "" if v is None else f"{v:.{digits}f}"


def _value(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:,}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


FIGURE_COLS = {"annual_return": num("annual_return", "return", _pct), "annual_volatility": num("annual_volatility", "vol", _pct),
               "sharpe": num("sharpe", "SR", _fixed(2)), "sharpe_rf": num("sharpe_rf", "rf", _pct2),
               "max_drawdown": num("max_drawdown", "maxDD", _pct),
               "total_costs": num("total_costs", "costs", short_money), "annual_notional_turnover": num("annual_notional_turnover", "turn", _fixed(1)),
               "tracking_error": num("tracking_error", "TE", _pct2), "adjustment_factor": num("adjustment_factor", "alpha", _fixed(2)),
               "drag": num("drag", "drag", _pct2), "realised_te": num("realised_te", "TEideal", _pct2)}


def show_sweep(url: str, sweep_id: str, sort: str | None, fmt: Format) -> None:
    """The sweep's results: a table for people, CSV or JSON with every column for programs."""
    from db import queries
    from tradesim.sweep.results import sweep_table

    with queries.connect(url) as conn:
        table = sweep_table(conn, sweep_id, sort)
    spec = [num("run_id", "run", str)] + [num(k, k.rsplit(".", 1)[-1], _value) for k in table.keys]
    spec += [c for name, c in FIGURE_COLS.items() if table.compared or name not in ("drag", "realised_te")]
    emit(fmt, f"sweep {sweep_id}: {len(table.rows)} variants", table.columns, table.rows, spec)
    if fmt is Format.table:
        console.print("return, vol, SR, maxDD: annualised; rf: the annual risk-free rate beside the Sharpe ratio "
                      "(SR) it is measured against; costs in the base currency; turn: annual turnover; "
                      "TE: the average of each day's tracking error against the unrounded optimum, annualised; alpha: average adjustment "
                      "factor on trading days" + ("; drag and TEideal: against the variant's ideal (fractional "
                      "positions, no costs)" if table.compared else "") + ".", highlight=False)


@app.command()
def sweep(config: ConfigArg = None, grid: Grid = None, file: SweepFile = None,
          scheduler: Scheduler = None, workers: Workers = None, ledger: LedgerMode = "summary",
          compare: Compare = False, id: SweepId = None, sort: Sort = None,  # noqa: A002
          format: Fmt = Format.table, db: DbOption = None, sets: SetOption = None) -> None:  # noqa: A002
    """Run many variants of a config (a grid or a sweep file) on Dask; each variant is a run in the ledger."""
    from tradesim.replay import load_market
    from tradesim.sweep import run as sweep_run
    from tradesim.sweep.cluster import dask_client, require_dask

    if scheduler and workers:
        raise TradesimError("--workers sizes the local cluster: with --scheduler, the cluster's own workers run")
    plan = sweep_run.plan(lambda assignments: load_config(config, sets=assignments), grid or (), file, sets=sets or (), ledger_mode=ledger, compare=compare, name=id)
    require_dask()
    url = database_url(db, plan.config.database)
    # With CSV or JSON on stdout, messages go to stderr.
    out: Console = console if format is Format.table else err_console
    with dask_client(scheduler, workers) as client:
        # On stderr, as replay's: none under --quiet or when stderr is not a terminal.
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                      disable=quiet() or not err_console.is_terminal) as bar:
            task = bar.add_task(f"sweep {plan.sweep_id}", total=None)

            def started(todo: int, already: int) -> None:
                bar.update(task, total=todo)
                if already:
                    out.print(f"sweep {plan.sweep_id}: {already} of {len(plan.variants)} variants already recorded, "
                              f"running {todo}", highlight=False)

            def finished(key: str, run_id: int | None, error: BaseException | None) -> None:
                bar.advance(task)
                if error is not None:
                    out.print(f"[bold red]failed:[/] variant {key}: {error}", highlight=False, soft_wrap=True)

            outcome = sweep_run.run(plan, url, client, load_market=lambda cfg: load_market(cfg, database_url=url),
                                    on_start=started, on_variant=finished)
    show_sweep(url, plan.sweep_id, sort, format)
    if outcome.failed:
        raise SomeFailed(f"sweep {plan.sweep_id}: {len(outcome.failed)} of {len(plan.variants)} variants failed "
                         "(not recorded; rerun the sweep to retry them)", outcome.exit_code)
