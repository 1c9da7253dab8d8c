"""``tradesim paper run`` and ``tradesim paper schedule``: daily paper trading."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from db.session import check_database, database_url
from tradesim.cli import app, console, err_console
from tradesim.cli.output import Format, ResultFormatOption, emit_result
from tradesim.cli.options import DbOption, SetOption, parse_day
from tradesim.config import load_config
from tradesim.errors import ConfigError, NotReady, SomeFailed, TradesimError

log = logging.getLogger(__name__)

paper_app = typer.Typer(help="Paper trading: process each trading day once, after the close.", no_args_is_help=True)
app.add_typer(paper_app, name="paper")

PaperConfig = Annotated[Optional[Path], typer.Argument(metavar="CONFIG", help="Portfolio config (TOML); the packaged default if omitted.", show_default=False)]


def print_day(day, when, symbols, currency: str) -> None:  # noqa: ANN001
    fills = ", ".join(f"{'BUY' if q > 0 else 'SELL'} {abs(q):g} {symbols[j]} @ {p:,.4g}"
                      for j, q, p in zip(day.fills.instrument, day.fills.quantity, day.fills.price)) or "no fills"
    orders = ", ".join(f"{'BUY' if q > 0 else 'SELL'} {abs(q):g} {symbols[j]}"
                       for j, q in zip(day.orders.instrument, day.orders.quantity)) or "no orders"
    why = f" ({day.reason})" if day.reason else ""
    console.print(f"[bold]{when}[/] NAV {day.nav:,.2f} {currency}; filled: {fills}; orders{why}: {orders}",
                  highlight=False, soft_wrap=True)
    for f in day.cash_flows:  # dividends, withholding, a split's fractional share paid in cash
        console.print(f"  {symbols[f.instrument]} {f.kind.replace('_', ' ')} {f.amount_base:+,.2f} {currency} "
                      f"({f.note})", highlight=False, soft_wrap=True)
    for f in day.external_flows:  # the owner's money in or out: not P&L
        console.print(f"  {f.kind} {f.amount_base:+,.2f} {currency}" + (f" ({f.note})" if f.note else ""),
                      highlight=False, soft_wrap=True)
    if day.cash_flows:
        console.print(f"  NAV change {day.net_pnl:+,.2f} = price P&L {day.price_pnl:+,.2f} + income "
                      f"{day.income:+,.2f} - costs {day.costs:,.2f}", highlight=False, soft_wrap=True)
    for w in day.warnings:
        console.print(f"  [yellow]warning:[/] {escape(w)}", highlight=False)  # a message may hold [brackets]


PaperConfigs = Annotated[Optional[list[Path]], typer.Argument(
    metavar="CONFIG", help="Portfolio configs (TOML) or folders of them; the packaged default if omitted.", show_default=False)]

# The worst outcome of several portfolios, most severe first: an internal error, a user's
# mistake, prices not in yet, done.
SEVERITY = (1, 2, 3, 0)


@paper_app.command("run")
def run(configs: PaperConfigs = None,
        as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="DATE", help="Process sessions up to this date (default: the latest completed session).")] = None,
        db: DbOption = None, sets: SetOption = None, format: ResultFormatOption = Format.table) -> None:  # noqa: A002
    """Catch up every unprocessed trading day up to the as-of date; print each day's orders and fills.

    Several portfolios are independent: each is processed once, one's failure does not
    stop the others, and the exit code is the worst outcome.
    """
    paths = portfolio_files(configs or [])
    day = parse_day(as_of, "--as-of")
    if len(paths) <= 1:
        paper_one(paths[0] if paths else None, day, db, sets or (), format)
        return
    outcomes: dict[Path, int] = {}
    names: dict[str, Path] = {}
    documents, failures = [], []
    for path in paths:
        try:
            document = paper_one(path, day, db, sets or (), format, names)
            names[document["portfolio"]] = path
            documents.append(document)
            outcomes[path] = 0
        except TradesimError as exc:
            err_console.print(f"[bold red]error:[/] {path}: {exc}", highlight=False, soft_wrap=True)
            outcomes[path] = exc.exit_code
            failures.append({"config": str(path), "exit_code": exc.exit_code, "error": str(exc)})
        except Exception as exc:  # a bug in one portfolio's run: the others still run
            log.debug("paper run of %s failed", path, exc_info=True)
            err_console.print(f"[bold red]internal error:[/] {path}: {type(exc).__name__}: {exc}",
                              highlight=False, soft_wrap=True)
            outcomes[path] = 1
            failures.append({"config": str(path), "exit_code": 1, "error": f"{type(exc).__name__}: {exc}"})
    worst = min(outcomes.values(), key=SEVERITY.index)
    summary = f"paper run: {len(paths)} portfolios, {len(paths) - len(failures)} done"
    if format is not Format.table:  # one document (or one CSV) for them all
        emit_result(format, {"schema": "tradesim.paper-runs/1", "portfolios": documents, "failed": failures},
                    [row for d in documents for row in paper_rows(d)], lambda: None)
    if worst:
        raise SomeFailed(f"{summary}, {len(failures)} not (exit {worst})", worst)
    if format is Format.table:
        console.print(summary, highlight=False)


def portfolio_files(args: list[Path]) -> list[Path]:
    """The configs named, a folder's *.toml files in name order, each file once."""
    found: list[Path] = []
    for arg in args:
        if arg.is_dir():
            inside = sorted(arg.glob("*.toml"))
            if not inside:
                raise ConfigError(f"{arg}: no portfolio configs (*.toml) in this folder")
            found += inside
        else:
            found.append(arg)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def paper_one(config: Path | None, as_of, db: str | None, sets, format: Format,  # noqa: ANN001, A002
              names: dict | None = None) -> dict:
    """One portfolio's paper run; its result document. ``names``: the portfolios already run
    by this command (several portfolios: their JSON or CSV is emitted together, by the caller)."""
    from tradesim.paper import paper_run

    cfg = load_config(config, sets=sets)
    if names is not None and cfg.name in names:
        raise ConfigError(f"portfolio {cfg.name!r} is also {names[cfg.name]}: a portfolio runs once per session")
    url = database_url(db, cfg.database)
    live = format is Format.table  # people see each day as it is done; scripts get the document at the end
    check_database(url)
    result = paper_run(cfg, url, as_of,
                       on_day=(lambda day, when: print_day(day, when, cfg.symbols, cfg.base_currency)) if live else None)

    def show() -> None:
        if result.skipped:
            console.print(f"paper {cfg.name}: nothing to do: {result.skipped}.", highlight=False, soft_wrap=True)
        elif result.dates:
            console.print(f"paper {cfg.name}: processed {len(result.dates)} session(s), "
                          f"{result.dates[0]} to {result.dates[-1]} (run {result.run_id} in {url}).",
                          highlight=False, soft_wrap=True)

    document = paper_document(cfg, result, url)
    if names is None or live:
        emit_result(format, document, paper_rows(document), show, columns=PAPER_CSV_COLUMNS)
    if result.waiting:
        raise NotReady(f"paper {cfg.name}: {result.waiting}; run again later (exit 3: not ready)")
    return document


def paper_document(config, result, url: str) -> dict:  # noqa: ANN001
    """``tradesim paper run --format json``: schema tradesim.paper-run/1 (README, "Machine-readable output")."""
    symbols = config.symbols
    sessions = [{
        "day": when, "nav": day.nav, "pnl": day.net_pnl, "price_pnl": day.price_pnl, "income": day.income,
        "costs": day.costs, "reason": day.reason,
        "fills": [{"symbol": symbols[j], "quantity": q, "price": p}
                  for j, q, p in zip(day.fills.instrument, day.fills.quantity, day.fills.price)],
        "orders": [{"symbol": symbols[j], "quantity": q} for j, q in zip(day.orders.instrument, day.orders.quantity)],
        "cash_flows": [{"symbol": symbols[f.instrument], "kind": f.kind, "amount_base": f.amount_base,
                        "note": f.note} for f in day.cash_flows]
        + [{"symbol": None, "kind": f.kind, "amount_base": f.amount_base, "note": f.note} for f in day.external_flows],
        "warnings": list(day.warnings),
    } for day, when in zip(result.processed, result.dates)]
    return {"schema": "tradesim.paper-run/1", "portfolio": config.name, "base_currency": config.base_currency,
            "ledger": url, "run_id": result.run_id if result.run_id >= 0 else None, "as_of": result.as_of,
            "skipped": result.skipped, "waiting": result.waiting, "sessions": sessions}


PAPER_CSV_COLUMNS = ("portfolio", "base_currency", "run_id", "day", "nav", "pnl", "costs", "reason", "fills",
                     "orders", "warnings")


def paper_rows(document: dict) -> list[dict]:
    """One CSV line per processed session (fills and orders counted; the JSON has them in full)."""
    head = {k: document[k] for k in ("portfolio", "base_currency", "run_id")}
    return [{**head, "day": s["day"], "nav": s["nav"], "pnl": s["pnl"], "costs": s["costs"], "reason": s["reason"],
             "fills": len(s["fills"]), "orders": len(s["orders"]), "warnings": len(s["warnings"])}
            for s in document["sessions"]]


@paper_app.command("schedule")
def schedule(config: PaperConfig = None, db: DbOption = None, sets: SetOption = None) -> None:
    """Run the paper job every weekday after the close until SIGTERM/SIGINT (APScheduler)."""
    from tradesim.cli.logs import show_info
    from tradesim.schedule import run_scheduler

    show_info()
    cfg = load_config(config, sets=sets or ())
    url = database_url(db, cfg.database)
    check_database(url)
    run_scheduler(str(config) if config else None, cfg, url, sets=sets or ())
