"""P&L summed by the database equals the row-by-row reference, on SQLite and PostgreSQL.

``tradesim pnl`` lets the database sum each holding's and fill's terms (``db.pnl_sql``);
``reference=True`` reads every row and sums the definition term for term, as the ledger
lock's figures were computed. The two must give the same rows and figures (up to the
order of the additions) for every grouping and filter, on ledgers with futures and stocks,
USD and EUR, several runs, days without fills, positions that open, flip and close, and a
window that starts after the run does.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, text

from db import queries
from db.models import PositionRow
from db.pnl import table
from db.queries import QueryError
from db.session import open_engine

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
from bench_ledger import fill_ledger  # noqa: E402

GROUPINGS = ["instrument", "asset_class", "month", "day", "asset_class,month", "instrument,month", "instrument,day"]


def same(url: str, **kwargs) -> pd.DataFrame:  # noqa: ANN003
    summed = queries.pnl(url, **kwargs)
    reference = queries.pnl(url, reference=True, **kwargs)
    pd.testing.assert_frame_equal(summed, reference, check_exact=False, rtol=0, atol=1e-6, check_dtype=False)
    # and the rows ``tradesim pnl`` prints, labelled and ordered without pandas
    asked = {k: v for k, v in kwargs.items() if k != "by"}
    with queries.connect(url) as conn:
        columns, rows = table(conn, queries.filters(**asked), kwargs.get("by", "instrument"))
    printed = pd.DataFrame(rows, columns=columns)
    pd.testing.assert_frame_equal(printed, reference, check_exact=False, rtol=0, atol=1e-6, check_dtype=False)
    return summed


@pytest.mark.parametrize("by", GROUPINGS)
def test_every_grouping_of_every_run_matches_the_reference(small_url: str, by: str) -> None:
    for run in (1, 2, 3):
        same(small_url, run=run, by=by)


@pytest.mark.parametrize("window", [dict(since="2024-06-05"), dict(until="2024-06-05"),
                                    dict(since="2024-06-05", until="2024-07-01"), dict(since="2024-07-02"),
                                    dict(since="2030-01-01")])
def test_windows_and_symbols_match_the_reference(small_url: str, window: dict) -> None:
    for by, symbol in itertools.product(("instrument", "asset_class,month", "day"), (None, "FGBL", "SPY,ZN")):
        same(small_url, run=2, by=by, symbol=symbol, **window)


def test_the_hand_computed_total_is_the_databases(small_url: str) -> None:
    # small_ledger's gross P&L by hand: 2300, -1072.5, 1026 and 1131 on run 2's days after the first
    frame = same(small_url, run=2, by="day")
    assert frame["gross_pnl"].tolist() == pytest.approx([2300.0, -1072.5, 1026.0, 1131.0], abs=1e-9)


@pytest.fixture(params=["sqlite", "postgresql"])
def random_url(request: pytest.FixtureRequest, tmp_path) -> str:  # noqa: ANN001
    """A synthetic ledger (the benchmark's filler): 30 stocks in three classes over 200 days."""
    url = f"sqlite:///{tmp_path / 'random.db'}" if request.param == "sqlite" else \
        request.getfixturevalue("pg_databases").new()
    engine = open_engine(url)
    fill_ledger(engine, 6_000, 30)
    engine.dispose()
    return url


def test_a_synthetic_run_matches_the_reference(random_url: str) -> None:
    for by in GROUPINGS:
        same(random_url, by=by)
    same(random_url, by="month", since="1985-03-01", until="1985-06-30", symbol="S003,S017")


def test_a_holding_that_vanishes_without_a_fill_is_the_same_error(new_url) -> None:  # noqa: ANN001
    import small_ledger

    url = new_url()
    engine = open_engine(url)
    small_ledger.build(engine)
    with engine.begin() as conn:  # FGBL (a future) held on 06-05, gone on 07-01 with no fill that day
        conn.execute(delete(PositionRow).where(PositionRow.run_id == 2, PositionRow.instrument_id == 3,
                                               PositionRow.day == pd.Timestamp("2024-07-01").date()))
    engine.dispose()
    for by in ("instrument", "day", "instrument,day"):  # by day the holdings are summed apart (_held_by_day)
        messages = []
        for reference in (False, True):
            with pytest.raises(QueryError) as caught:
                queries.pnl(url, run=2, reference=reference, by=by)
            messages.append(str(caught.value))
        assert messages[0] == messages[1] == ("FGBL on 2024-07-01: a holding vanished without a fill, "
                                              "P&L cannot be attributed")


def test_fills_on_a_day_that_was_not_processed_count_in_neither(new_url) -> None:  # noqa: ANN001
    """The database sums an instrument's fills by ranges of days, which holds while every fill is
    on a processed day; when one is not (its equity row is gone), both sums leave it out."""
    import small_ledger

    from db.models import Equity

    url = new_url()
    engine = open_engine(url)
    small_ledger.build(engine)
    with engine.begin() as conn:  # SPY's sale on 07-01 now falls on no processed day
        conn.execute(delete(Equity).where(Equity.run_id == 2, Equity.day == pd.Timestamp("2024-07-01").date()))
    engine.dispose()
    for by in GROUPINGS:
        for window in ({}, dict(since="2024-06-05"), dict(symbol="SPY")):
            same(url, run=2, by=by, **window)
    everything = same(url, run=2, by="instrument")
    kept = same(url, run=2, by="instrument", until="2024-06-30")
    # SPY's costs: 1.5 on 06-04 only (the 1.25 of 07-01's fill is left out)
    assert everything.set_index("symbol").loc["SPY", "costs"] == kept.set_index("symbol").loc["SPY", "costs"] == 1.5


def test_tradesim_pnl_starts_without_pandas(tmp_path) -> None:  # noqa: ANN001
    """``tradesim pnl`` labels and orders the database's sums in plain Python: pandas (about
    half a second to import, half its start-up) and numpy (about 0.1 s) are only for
    ``queries.pnl``'s frames and the reference."""
    import subprocess

    db = tmp_path / "l.db"
    engine = open_engine(f"sqlite:///{db}")
    fill_ledger(engine, 600, 6)
    engine.dispose()
    for by, header in (("instrument", "symbol,asset_class,currency,"), ("asset_class,month", "asset_class,month,"),
                       ("day", "day,")):
        code = ("import sys; from tradesim.cli import main; "
                f"rc = main(['pnl', '--by', {by!r}, '--db', {str(db)!r}, '-f', 'csv']); "
                "print(rc, 'pandas' in sys.modules or 'numpy' in sys.modules)")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        lines = result.stdout.splitlines()
        assert lines[-1] == "0 False", result.stdout + result.stderr
        assert lines[0].startswith(header) and len(lines) > 3


def _ledgers(tmp_path) -> list[str]:  # noqa: ANN001
    """SQLite files: the small ledger (futures, EUR, three runs) and a synthetic one (30
    instruments, two thirds of them futures in EUR and JPY, in three classes, over 200 days)."""
    import small_ledger

    urls = [f"sqlite:///{tmp_path / 'small.db'}", f"sqlite:///{tmp_path / 'random.db'}"]
    engine = open_engine(urls[0])
    small_ledger.build(engine)
    engine.dispose()
    engine = open_engine(urls[1])
    fill_ledger(engine, 6_000, 30)
    with engine.begin() as conn:  # two thirds futures, in three currencies: nothing cancels, every bit counts
        conn.execute(text("UPDATE instruments SET kind = 'future', multiplier = 10.0 + id, "
                          "currency = CASE id % 3 WHEN 0 THEN 'EUR' ELSE 'JPY' END WHERE id % 3 != 1"))
        for table_name in ("positions", "fills"):
            conn.execute(text(f"UPDATE {table_name} SET fx = 1.0 + (instrument_id % 3) / 7.0 "
                              "+ (julianday(day) % 11) / 1300.0"))
    engine.dispose()
    return urls


def test_sums_in_two_halves_are_the_whole_querys_to_the_last_bit(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """On a SQLite file the holdings (by day the fills too) are summed in two halves on two
    connections (``_halves``): every figure must be the one query's, bit for bit, in the same order."""
    import db.pnl_sql as pnl_sql

    cut = []
    halves = pnl_sql._halves

    def counted(query, *args):  # noqa: ANN001, ANN002, ANN202
        parts = halves(query, *args)
        cut.append(len(parts))
        return parts

    cases = [dict(run=run) for run in (1, 2, 3)] + [dict(run=2, since="2024-06-05"), dict(run=2, symbol="SPY,FGBL")]
    random_cases = [{}, dict(since="1985-03-01", until="1985-06-30"), dict(symbol="S003,S017,S029")]
    checked = 0
    for url, windows in zip(_ledgers(tmp_path), (cases, random_cases)):
        for by, window in itertools.product(GROUPINGS + ["month,asset_class", "day,instrument"], windows):
            f = queries.filters(**window)
            with queries.connect(url) as conn:
                monkeypatch.setattr(pnl_sql, "_halves", counted)
                cut.clear()
                split = table(conn, f, by)
                monkeypatch.setattr(pnl_sql, "_halves", lambda query, *args: [query])  # noqa: ARG005
                whole = table(conn, f, by)
            assert repr(split) == repr(whole), (url, by, window)
            checked += max(cut, default=1) == 2 and len(whole[1]) > 0
    assert checked >= 30  # most cases were cut in two, so the comparison means something


def test_groups_are_ordered_by_their_labels_a_missing_one_last() -> None:
    from datetime import date

    from db.pnl import _grouped_rows

    book = {"id": [1, 2, 3], "symbol": ["B", "A", "C"], "asset_class": ["Equity", None, "Bond"],
            "currency": ["USD", "USD", None]}
    days = [date(2024, 1, 31), date(2024, 2, 1)]
    code, t, gross, costs = [0, 1, 2, 0, 1], [0, 0, 1, 1, 1], [1.0, 2.0, 4.0, 8.0, 16.0], [0.5, 0.0, 0.0, 0.25, 0.0]
    by_class = _grouped_rows(["asset_class", "month"], "USD", book, days, code, t, gross, costs)
    assert by_class == [("Bond", "2024-02", "USD", 4.0, 0.0, 4.0), ("Equity", "2024-01", "USD", 1.0, 0.5, 0.5),
                        ("Equity", "2024-02", "USD", 8.0, 0.25, 7.75), (None, "2024-01", "USD", 2.0, 0.0, 2.0),
                        (None, "2024-02", "USD", 16.0, 0.0, 16.0)]
    by_day_first = _grouped_rows(["day", "instrument"], "USD", book, days, code, t, gross, costs)
    assert [row[:3] for row in by_day_first] == [(days[0], "A", None), (days[0], "B", "Equity"),
                                                 (days[1], "A", None), (days[1], "B", "Equity"),
                                                 (days[1], "C", "Bond")]


def test_stocks_read_on_their_groups_last_days_only_are_the_same_bits(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Stocks only: a holding adds something only on its group's last day, so the other days are
    not read (``_only_stocks``); the figures are those of reading them all, bit for bit; and a
    holding without FX on any day is still the same error."""
    import db.pnl_sql as pnl_sql

    url = f"sqlite:///{tmp_path / 'stocks.db'}"
    engine = open_engine(url)
    fill_ledger(engine, 6_000, 30)
    engine.dispose()
    for by, window in itertools.product(GROUPINGS + ["month,asset_class"],
                                        ({}, dict(since="1985-03-01", until="1985-06-30"), dict(symbol="S003,S017"))):
        f = queries.filters(**window)
        with queries.connect(url) as conn:
            monkeypatch.setattr(pnl_sql, "_only_stocks", lambda book: True)  # noqa: ARG005
            edges = table(conn, f, by)
            monkeypatch.setattr(pnl_sql, "_only_stocks", lambda book: False)  # noqa: ARG005
            every_day = table(conn, f, by)
        assert repr(edges) == repr(every_day), (by, window)
    monkeypatch.undo()
    engine = open_engine(url)
    with engine.begin() as conn:  # S017's holding on a day in the middle of March 1985 lost its FX rate
        conn.execute(text("UPDATE positions SET fx = NULL WHERE day = '1985-03-13' AND instrument_id = "
                          "(SELECT id FROM instruments WHERE symbol = 'S017')"))
    engine.dispose()
    for by in ("instrument", "month", "asset_class,month", "day"):
        messages = []
        for reference in (False, True):
            with pytest.raises(QueryError) as caught:
                queries.pnl(url, reference=reference, by=by)
            messages.append(str(caught.value))
        assert messages[0] == messages[1]
        assert messages[0].startswith("run 1: the holding of S017 on 1985-03-13 has no FX rate")
