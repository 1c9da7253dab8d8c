"""The report reads a PostgreSQL ledger as it reads SQLite (dates, booleans and NULLs come back differently)."""

from __future__ import annotations

from report_ledgers import futures_config
from tradesim.replay import replay
from tradesim.report import render_report


def test_a_postgresql_ledger_gives_the_same_page_as_sqlite(pg_url, tmp_path) -> None:  # noqa: ANN001
    sqlite_url = f"sqlite:///{tmp_path / 'same.db'}"
    pg_run = replay(futures_config(), pg_url).run_id
    lite_run = replay(futures_config(), sqlite_url).run_id
    pg, lite = render_report(pg_url, [pg_run]), render_report(sqlite_url, [lite_run])
    assert pg.figures.keys() == lite.figures.keys()
    # Same figures, pixel for pixel; the pages differ only where they say when they were made
    # and name the runs' wall-clock times.
    assert pg.figures == lite.figures
    assert _without_times(pg.html) == _without_times(lite.html)


def _without_times(html: str) -> str:
    import re

    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?", "T", html)
