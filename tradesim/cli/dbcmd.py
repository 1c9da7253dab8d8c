"""``tradesim db``: the ledger's schema (Alembic migrations run from code)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from db import migrations
from db.session import database_url, open_engine
from tradesim.cli import app, console
from tradesim.cli.options import DbOption
from tradesim.errors import TradesimError

db_app = typer.Typer(help="The ledger database: schema version and migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _engine(db: str | None):  # noqa: ANN202
    url = database_url(db)
    return url, open_engine(url, create=False)  # no automatic upgrade: these commands are explicit


@db_app.command()
def upgrade(db: DbOption = None) -> None:
    """Bring the ledger's schema to this tradesim's head revision (a new database gets it whole)."""
    url, engine = _engine(db)
    try:
        before, after = migrations.upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        console.print(f"{url}: schema already at {after} (head)", highlight=False, soft_wrap=True)
    else:
        console.print(f"{url}: schema upgraded from {before or 'nothing'} to {after}", highlight=False, soft_wrap=True)


@db_app.command()
def current(db: DbOption = None) -> None:
    """Print the ledger's schema revision and this tradesim's head."""
    url, engine = _engine(db)
    try:
        with engine.connect() as conn:
            revision = migrations.current_revision(conn)
    finally:
        engine.dispose()
    console.print(f"{url}: schema {revision or 'none'}, head {migrations.head()}", highlight=False, soft_wrap=True)


@db_app.command()
def revision(message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")]) -> None:
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
