"""``tradesim runs``: the runs recorded in a ledger."""

from __future__ import annotations

from rich.table import Table
from sqlalchemy import select

from db.models import Portfolio, Run
from db.session import database_url, open_engine
from tradesim.cli import app, console
from tradesim.cli.options import DbOption
from tradesim.errors import TradesimError


@app.command()
def runs(db: DbOption = None) -> None:
    """List past runs: id, portfolio, mode, dates, status."""
    url = database_url(db)
    if url.startswith("sqlite:///") and not __import__("pathlib").Path(url.removeprefix("sqlite:///")).exists():
        raise TradesimError(f"{url}: no such ledger")
    engine = open_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Run.id, Portfolio.name, Run.mode, Run.label, Run.start_date, Run.end_date, Run.status,
                   Run.config_hash, Run.started_at).join(Portfolio, Portfolio.id == Run.portfolio_id).order_by(Run.id)
        ).all()
    table = Table(title=f"runs in {url}")
    for col in ("id", "portfolio", "mode", "from", "to", "status", "config"):
        table.add_column(col)
    for r in rows:
        mode = f"{r.mode}:{r.label}" if r.label else r.mode
        table.add_row(str(r.id), r.name, mode, str(r.start_date), str(r.end_date), r.status, r.config_hash[:8])
    console.print(table)
