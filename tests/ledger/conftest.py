"""Ledger tests run against SQLite and, when $TRADESIM_TEST_PG_URL names one, a real PostgreSQL.

``.ci/run`` starts a PostgreSQL and sets the variable; without it the PostgreSQL
cases skip and say why. Each PostgreSQL case gets a database of its own, created
from the server URL's database and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from db.session import open_engine
import small_ledger

PG_ENV = "TRADESIM_TEST_PG_URL"
BACKENDS = ["sqlite", "postgresql"]


def pg_server_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"${PG_ENV} is not set: PostgreSQL ledger tests need a server (.ci/run starts one)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]'")
    return url


class PgDatabases:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self, server: str) -> None:
        self.server = make_url(server)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def new(self) -> str:
        name = f"tradesim_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return self.server.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with self.admin.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    dbs = PgDatabases(pg_server_url())
    yield dbs
    dbs.close()


@pytest.fixture(params=BACKENDS)
def new_url(request: pytest.FixtureRequest, tmp_path) -> Callable[[], str]:  # noqa: ANN001
    """A factory of empty databases (URLs) on the test's backend."""
    if request.param == "sqlite":
        counter = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path / f'ledger{next(counter)}.db'}"
    dbs = request.getfixturevalue("pg_databases")
    return dbs.new


@pytest.fixture(scope="session", params=BACKENDS)
def small_url(request: pytest.FixtureRequest, tmp_path_factory) -> str:  # noqa: ANN001
    """The hand-written small ledger, built once per backend; tests only read it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('small') / 'small.db'}"
    else:
        url = request.getfixturevalue("pg_databases").new()
    engine = open_engine(url)
    small_ledger.build(engine)
    engine.dispose()
    return url
