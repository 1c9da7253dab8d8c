"""Small real ledgers for the report tests, each replayed once per session (configs in report_ledgers.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from report_ledgers import futures_config, stocks_config


@dataclass(frozen=True)
class Ledger:
    url: str
    run_ids: tuple[int, ...]
    results: tuple = ()  # the ReplayResults, whose summaries the report must repeat


@pytest.fixture(scope="session")
def stocks(tmp_path_factory) -> Ledger:  # noqa: ANN001
    from tradesim.replay import replay

    url = f"sqlite:///{tmp_path_factory.mktemp('stocks') / 'ledger.db'}"
    result = replay(stocks_config(), url)
    return Ledger(url, (result.run_id,), (result,))


@pytest.fixture(scope="session")
def stocks_written(stocks, tmp_path_factory):  # noqa: ANN001, ANN201
    """The stock run's report, written once (HTML and PNGs) for the tests that only read it."""
    from tradesim.report import write_report

    folder = tmp_path_factory.mktemp("stocks_report")
    return write_report(stocks.url, stocks.run_ids, folder / "r.html", png_dir=folder / "png")


@pytest.fixture(scope="session")
def futures(tmp_path_factory) -> Ledger:  # noqa: ANN001
    from tradesim.replay import replay

    url = f"sqlite:///{tmp_path_factory.mktemp('futures') / 'ledger.db'}"
    result = replay(futures_config(), url)
    return Ledger(url, (result.run_id,))


@pytest.fixture(scope="session")
def compared(tmp_path_factory) -> Ledger:  # noqa: ANN001
    from tradesim.compare import compare
    from tradesim.replay import load_market

    url = f"sqlite:///{tmp_path_factory.mktemp('compare') / 'ledger.db'}"
    cfg = stocks_config(start=date(2020, 6, 1))
    rows, results = compare(cfg, url, load_market(cfg), variants=("fractional", "rounded", "dynamic"))
    return Ledger(url, tuple(r.run_id for r in rows), tuple(results.values()))


@pytest.fixture
def pg_url() -> str:
    """A throwaway PostgreSQL database on $TRADESIM_TEST_PG_URL's server (.ci/run starts one), dropped after."""
    import os
    import uuid

    from sqlalchemy import create_engine, make_url, text

    server = os.environ.get("TRADESIM_TEST_PG_URL")
    if not server:
        pytest.skip("$TRADESIM_TEST_PG_URL is not set: the PostgreSQL report test needs a server (.ci/run starts one)")
    pytest.importorskip("psycopg")
    name = f"tradesim_report_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
