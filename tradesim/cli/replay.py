"""``tradesim replay``: run a strategy over history, with a progress bar and a summary table."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from db.session import check_database, database_url
from tradesim.cli import app, console, err_console
from tradesim.cli.options import CapitalOption, ConfigArg, DbOption, EndOption, SetOption, StartOption, parse_day
from tradesim.cli.report import ReportOption, ReportPngOption, check_report_options, report_after_run
from tradesim.cli.logs import quiet
from tradesim.cli.output import Format, ResultFormatOption, emit_result
from tradesim.cli.tables import replay_document, replay_row, summary_table
from tradesim.config import load_config
from tradesim.replay import COMMIT_EVERY


CommitEvery = Annotated[int, typer.Option(
    "--commit-every", min=1, metavar="DAYS", help="Days per database commit; each day is all or nothing either way (1: every day).")]


def day_progress(bar: Progress, task, dates) -> Callable[[int, int], None]:  # noqa: ANN001
    """An ``on_day(done, total)`` callback moving ``task`` on, with the day reached (every 64 days)."""

    def on_day(done: int, total: int) -> None:
        if done % 64 == 0 or done == total:
            bar.update(task, completed=done, total=total, day=str(dates[-total + done - 1].date()))

    return on_day


def optimiser_status():  # noqa: ANN201 (a context manager)
    """A spinner on stderr while the optimiser's compiled loops load: a fraction of a second, but
    numba compiles them on the first run after an install or an upgrade, which takes a minute or
    so with nothing else to show. Transient; none under --quiet or when stderr is not a terminal."""
    if quiet() or not err_console.is_terminal:
        return contextlib.nullcontext()
    return err_console.status("loading the optimiser (compiled on the first run: about a minute, once)")


def progress_bar() -> Progress:
    """Progress on stderr (stdout carries the result, maybe JSON), where log records print above it;
    none under --quiet or when stderr is not a terminal (a log file or cron mail wants no bar)."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[day]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=err_console, transient=False, disable=quiet() or not err_console.is_terminal)


@app.command()
def replay(config: ConfigArg = None, start: StartOption = None, end: EndOption = None,
           capital: CapitalOption = None, db: DbOption = None, commit_every: CommitEvery = COMMIT_EVERY,
           report: ReportOption = None, png: ReportPngOption = None, sets: SetOption = None,
           format: ResultFormatOption = Format.table) -> None:  # noqa: A002
    """Replay a portfolio over historical prices; every order and fill goes to the ledger."""
    from tradesim.replay import load_market, replay as run_replay, start_optimiser

    check_report_options(report, png)
    cfg = load_config(config, sets=sets or (), start=parse_day(start, "--start"), end=parse_day(end, "--end"),
                      capital=capital)
    url = database_url(db, cfg.database)
    check_database(url)
    with optimiser_status():
        start_optimiser(cfg)  # before the prices: see its docstring
    market = load_market(cfg, database_url=url)
    with progress_bar() as bar:
        task = bar.add_task(f"replay {cfg.name}", total=None, day="")
        result = run_replay(cfg, url, market=market, on_day=day_progress(bar, task, market.dates),
                            commit_every=commit_every)
    document = replay_document(cfg, result, url)
    emit_result(format, document, [replay_row(document)], lambda: console.print(summary_table(cfg, result, url)))
    report_after_run(url, [result.run_id], report, png)
