"""Migrations: a new ledger gets head, an old one is upgraded without losing a row, a newer one is refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text

import small_ledger
from db import migrations, queries
from db.models import Base
from db.session import open_engine
from tradesim.cli import main
from tradesim.errors import LedgerError

TABLES = ["portfolios", "runs", "instruments", "orders", "fills", "positions", "equity", "diagnostics",
          "processed_days"]
VIEWS = ["trades_view", "orders_view", "positions_view", "equity_view"]
HEAD = migrations.head()  # tests say "head" where any later revision would do as well
APSCHEDULER = "CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, job_state TEXT)"


def counts(engine) -> dict[str, int]:  # noqa: ANN001
    with engine.connect() as conn:
        return {t: conn.execute(select(func.count()).select_from(text(t))).scalar() for t in TABLES}


def revision(engine) -> str | None:  # noqa: ANN001
    with engine.connect() as conn:
        return migrations.current_revision(conn)


def test_revisions_form_one_numbered_line() -> None:
    revs = migrations.revisions()
    assert list(revs)[:3] == ["0001", "0002", "0003"]
    assert all(down == (None if k == 0 else f"{k:04d}") for k, down in enumerate(revs.values()))
    assert migrations.head() == max(revs)


def test_the_quick_reading_of_revisions_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert {s.revision: s.down_revision for s in script.walk_revisions()} == migrations.revisions()
    assert script.get_current_head() == migrations.head()


def test_a_new_database_gets_head_with_views(new_url) -> None:  # noqa: ANN001
    engine = open_engine(new_url())
    assert revision(engine) == migrations.head()
    insp = inspect(engine)
    assert set(TABLES) <= set(insp.get_table_names())
    assert set(VIEWS) <= set(insp.get_view_names())
    engine.dispose()


def test_upgrade_under_pysqlite_own_transactions(tmp_path) -> None:  # noqa: ANN001
    """Whichever way the engine's SQLite connections handle transactions, the upgrade is one locked transaction."""
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")  # pysqlite's legacy transaction control
    assert migrations.upgrade(engine) == (None, HEAD)
    assert migrations.upgrade(engine) == (HEAD, HEAD)
    engine.dispose()


def test_migrations_build_exactly_the_models_and_leave_apscheduler_alone(new_url) -> None:  # noqa: ANN001
    url = new_url()
    raw = create_engine(url)
    with raw.begin() as conn:  # the scheduler's job store may be there first
        conn.execute(text(APSCHEDULER))
        conn.execute(text("INSERT INTO apscheduler_jobs VALUES ('job', 1.5, 'state')"))
    raw.dispose()
    engine = open_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": migrations.include_object,
                                                         "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert conn.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all() == [("job", "state")]
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_every_row(new_url) -> None:  # noqa: ANN001
    url = new_url()
    old = open_engine(url, create=False)
    migrations.upgrade(old, "0001")
    small_ledger.build(old, with_fx=False)
    before = counts(old)
    assert revision(old) == "0001"
    old.dispose()

    engine = open_engine(url)  # every command's way in: upgrades to head
    assert revision(engine) == HEAD
    assert counts(engine) == before
    with engine.connect() as conn:
        fx = conn.execute(text("SELECT p.run_id, p.day, i.symbol, p.fx FROM positions p "
                               "JOIN instruments i ON i.id = p.instrument_id WHERE p.run_id = 2 "
                               "AND p.day = '2024-07-01' ORDER BY i.symbol")).all()
    # Backfilled where the rows determine it; a EUR future's rate cannot be recovered.
    assert [(r.symbol, r.fx) for r in fx] == [("FGBL", None), ("SPY", 1.0), ("ZN", 1.0)]
    assert len(queries.trades(engine, run=2)) == 6
    with pytest.raises(queries.QueryError, match="FGBL on 2024-06-04 has no FX rate"):
        queries.pnl(engine, run=2)
    assert queries.pnl(engine, run=2, symbol="SPY")["gross_pnl"].tolist() == [72.0]
    engine.dispose()


def test_a_ledger_from_before_migrations_is_stamped_then_upgraded(new_url) -> None:  # noqa: ANN001
    url = new_url()
    old = open_engine(url, create=False)
    migrations.upgrade(old, "0001")
    small_ledger.build(old, with_fx=False)
    with old.begin() as conn:  # what create_all left behind: the tables, no alembic_version
        conn.execute(text("DROP TABLE alembic_version"))
    before = counts(old)
    old.dispose()
    engine = open_engine(url)
    assert revision(engine) == HEAD
    assert counts(engine) == before
    engine.dispose()


def _stamp_future(url: str) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()


def test_a_ledger_newer_than_the_code_is_refused(new_url, capsys) -> None:  # noqa: ANN001
    url = new_url()
    _stamp_future(url)
    with pytest.raises(LedgerError, match=rf"revision 9999\) is newer than this tradesim \(head {HEAD}\)"):
        open_engine(url)
    for argv in (["trades"], ["db", "upgrade"]):
        capsys.readouterr()
        assert main([*argv, "--db", url]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"is newer than this tradesim (head {HEAD}): upgrade tradesim to read it" in err


def test_db_upgrade_command(new_url, capsys) -> None:  # noqa: ANN001
    url = new_url()
    old = open_engine(url, create=False)
    migrations.upgrade(old, "0001")
    old.dispose()
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema 0001, head {HEAD}")
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema upgraded from 0001 to {HEAD}")
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema already at {HEAD} (head)")


def test_downgrade_to_the_first_revision_and_back(new_url) -> None:  # noqa: ANN001
    """Every migration's downgrade runs, so a bad upgrade can be backed out."""
    from alembic import command

    url = new_url()
    engine = open_engine(url)
    small_ledger.build(engine)
    with engine.connect() as conn:
        command.downgrade(migrations.alembic_config(conn), "0001")
        conn.commit()
    assert revision(engine) == "0001"
    assert not set(VIEWS) & set(inspect(engine).get_view_names())
    migrations.upgrade(engine)
    assert revision(engine) == HEAD
    assert len(queries.positions(engine, run=2, since="2024-01-01")) == 10
    engine.dispose()


def test_db_revision_writes_the_next_numbered_migration(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """The developers' way to a new migration: numbered after head, autogenerated against a scratch ledger."""
    import shutil
    from pathlib import Path

    copy = tmp_path / "migrations"
    shutil.copytree(migrations.SCRIPT_LOCATION, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "SCRIPT_LOCATION", str(copy))
    migrations.revisions.cache_clear()
    try:
        assert main(["db", "revision", "-m", "nothing yet"]) == 0
        following = f"{int(HEAD) + 1:04d}"
        written = sorted(p.name for p in (copy / "versions").glob("0*.py"))
        assert written[-1] == f"{following}_nothing_yet.py"
        source = Path(copy / "versions" / written[-1]).read_text()
        assert f"revision = '{following}'" in source and f"down_revision = '{HEAD}'" in source
        # The models match head: nothing to do.
        assert "def upgrade() -> None:\n    # ### commands auto generated by Alembic - please adjust! ###\n    pass" in source
        migrations.revisions.cache_clear()  # read once per process; a new file is seen by the next one
        assert migrations.head() == following
    finally:
        migrations.revisions.cache_clear()
    assert "review it" in capsys.readouterr().out
