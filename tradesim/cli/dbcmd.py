"""``tradesim db``: the ledger's schema (Alembic migrations run from code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from db import migrations
from db.session import database_url, open_engine
from tradesim.cli import app, console
from tradesim.cli.options import DbOption
from tradesim.errors import LedgerError, TradesimError

db_app = typer.Typer(help="The ledger database: schema version and migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _engine(db: str | None, write: bool = False):  # noqa: ANN202
    url = database_url(db)
    return url, open_engine(url, create=False, write=write)  # no automatic upgrade: these commands are explicit


def _must_exist(url: str) -> Path | None:
    """The SQLite file of ``url``, refused in one line if there is none (None for a server)."""
    from db.guard import sqlite_path

    path = sqlite_path(url) if url.startswith("sqlite") else None
    if path is not None and not path.exists():
        raise TradesimError(f"{path}: no such ledger")
    return path


@db_app.command()
def upgrade(db: DbOption = None) -> None:
    """Bring the ledger's schema to this tradesim's head revision (a new database gets it whole)."""
    from sqlalchemy.exc import OperationalError

    url, engine = _engine(db, write=True)  # a writable, sound ledger (db.guard), before anything changes
    try:
        before, after = migrations.upgrade(engine)
    except OperationalError as exc:  # e.g. locked by a writer for longer than the busy timeout; nothing changed
        raise LedgerError(f"{url}: cannot upgrade the ledger: {str(exc.orig).strip().splitlines()[0]}; "
                          "nothing was changed") from None
    finally:
        engine.dispose()
    if before == after:
        console.print(f"{url}: schema already at {after} (head)", highlight=False, soft_wrap=True)
    else:
        console.print(f"{url}: schema upgraded from {before or 'nothing'} to {after}", highlight=False, soft_wrap=True)


@db_app.command()
def current(db: DbOption = None) -> None:
    """Print the ledger's schema revision and this tradesim's head."""
    _must_exist(database_url(db))  # a question about a ledger must not create one at a mistyped path
    url, engine = _engine(db)
    try:
        with engine.connect() as conn:
            revision = migrations.current_revision(conn)
    finally:
        engine.dispose()
    console.print(f"{url}: schema {revision or 'none'}, head {migrations.head()}", highlight=False, soft_wrap=True)


@db_app.command()
def revision(message: Annotated[str, typer.Option("--message", "-m", metavar="MESSAGE", help="What the migration does.")]) -> None:
    """(Developers) write a new migration for db/models.py's changes, compared with a scratch ledger at head."""
    import tempfile

    from alembic import command

    versions = Path(migrations.SCRIPT_LOCATION) / "versions"
    if not versions.is_dir():
        raise TradesimError(f"{versions}: no migrations directory to write to (use a source checkout)")
    number = f"{int(migrations.head()) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        try:
            with engine.connect() as conn:
                script = command.revision(migrations.alembic_config(conn), message=message, autogenerate=True,
                                          rev_id=number)
        finally:
            engine.dispose()
    console.print(f"wrote {script.path}: review it (autogenerate misses renames and data moves)", highlight=False,
                  soft_wrap=True)


@db_app.command()
def check(db: DbOption = None) -> None:
    """Integrity, schema version and run states, including runs a killed process left `running`."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from db.guard import integrity_check

    url = database_url(db)
    path = _must_exist(url)
    engine = open_engine(url, create=False, write=False)  # refuses what is not a tradesim ledger
    problems = []
    try:
        if path is not None:
            damage = integrity_check(path)
            console.print(f"integrity: {'ok' if damage is None else 'DAMAGED: ' + damage}", highlight=False,
                          soft_wrap=True)
            if damage is not None:
                problems.append("the ledger is damaged: restore a backup")
        else:
            console.print("integrity: checked by the database server", highlight=False)
        try:
            with engine.connect() as conn:
                revision = migrations.current_revision(conn)
                runs = conn.execute(text(
                    "SELECT r.id, r.mode, p.name, r.status, r.started_at, r.error, "
                    "(SELECT max(day) FROM processed_days d WHERE d.run_id = r.id) "
                    "FROM runs r JOIN portfolios p ON p.id = r.portfolio_id ORDER BY r.id")).all()
        except DatabaseError as exc:
            raise TradesimError(f"{url}: cannot read the ledger: {str(exc.orig).strip()}") from None
    finally:
        engine.dispose()
    head = migrations.head()
    state = "at head" if revision == head else (
        "behind: `tradesim db upgrade`" if revision in migrations.revisions() else "unknown to this tradesim")
    console.print(f"schema: {revision or 'none'} (head {head}: {state})", highlight=False)
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    console.print("runs: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"), highlight=False)
    for run in runs:
        last = f"last committed day {run[6]}" if run[6] else "no day committed"
        if run.status == "running":
            console.print(f"  run {run.id} ({run.mode} {run.name}) is marked running since {run.started_at}, "
                          f"{last}: if no tradesim process is writing it, its process was killed "
                          "(its committed days stand)", highlight=False, soft_wrap=True)
        elif run.status in ("interrupted", "failed"):
            console.print(f"  run {run.id} ({run.mode} {run.name}) {run.status}, {last}: {run.error}",
                          highlight=False, soft_wrap=True)
    if problems:
        raise TradesimError(f"{url}: " + "; ".join(problems))
