"""The price cache's packed series (``db.price_series``) give a replay the same market as the rows, bit for bit.

A replay from the cache reads each instrument's series (one row per instrument) instead of
its rows (one per day). These tests pin down that the two are the same numbers, on SQLite
and PostgreSQL: after an import, a re-import, the price record's additions and an upgrade
of a cache from before the series; that a change to the rows made any other way (a raw
statement, an older tradesim) drops the instrument's series, so the rows are read instead;
and that the market equals the one read from the files themselves.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text

from db import migrations, price_series
from db.models import Instrument, PriceSeries
from db.price_cache import load_bars
from db.price_record import record_bars
from db.session import open_engine
from tradesim.cli.data import import_pysystemtrade
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.data.source import PriceBars

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pysystemtrade_roll_gap"
SYMBOLS = ["GAP_SOY", "GAP_NOTE", "GAP_LATE"]
ROLL_DAY = date(2024, 3, 26)  # GAP_SOY: no price, a new contract
# Whole, from the roll day, to before GAP_LATE's first price, and one day.
WINDOWS = [(None, None), (ROLL_DAY, None), (None, date(2024, 4, 30)), (date(2024, 5, 21), date(2024, 5, 21))]
FIELDS = ("close", "open", "contract_price", "carry_price", "contract", "carry_contract")


def bars(url: str, start: date | None = None, end: date | None = None, rows_only: bool = False) -> PriceBars:
    """``load_bars`` as a replay calls it; ``rows_only``: with every series deleted first (rolled back)."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            if rows_only:
                conn.execute(PriceSeries.__table__.delete())
            found = load_bars(conn, SYMBOLS, start, end)
            conn.rollback()
            return found
    finally:
        engine.dispose()


def same_bits(a: PriceBars, b: PriceBars) -> None:
    for field in FIELDS:
        left, right = getattr(a, field), getattr(b, field)
        assert (left is None) == (right is None), field
        if left is not None:
            assert left.index.equals(right.index) and list(left.columns) == list(right.columns), field
            assert left.to_numpy().tobytes() == right.to_numpy().tobytes(), field
    pd.testing.assert_frame_equal(a.fx, b.fx, check_exact=True)


def packed(url: str) -> set[str]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(Instrument.symbol).join(
                PriceSeries, PriceSeries.instrument_id == Instrument.id)).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def cache(new_url) -> str:  # noqa: ANN001
    url = new_url()
    import_pysystemtrade(FIXTURE, url)
    return url


def test_the_series_give_the_rows_market_bit_for_bit(cache: str) -> None:
    assert packed(cache) == set(SYMBOLS)
    for start, end in WINDOWS:
        same_bits(bars(cache, start, end), bars(cache, start, end, rows_only=True))
    whole = bars(cache)
    assert np.isnan(whole.close.loc[str(ROLL_DAY), "GAP_SOY"]) and whole.contract.loc[str(ROLL_DAY), "GAP_SOY"] == 20240500
    assert whole.close["GAP_LATE"].first_valid_index() == pd.Timestamp("2024-05-21")


def test_the_market_from_the_cache_is_the_files_market(cache: str) -> None:
    """Every value the files give, exactly; the cache's extra days are the days other instruments have."""
    for start, end in WINDOWS:
        mine, files = bars(cache, start, end), PysystemtradeSource(FIXTURE).load(SYMBOLS, start, end)
        for field in ("close", "contract_price", "carry_price", "contract", "carry_contract"):
            ours, theirs = getattr(mine, field), getattr(files, field)
            assert theirs.index.difference(ours.index).empty
            assert np.array_equal(ours.reindex(theirs.index).to_numpy(), theirs.to_numpy(), equal_nan=True), field
            extra = ours.drop(index=theirs.index)
            assert extra.isna().all().all(), field


def test_rows_changed_any_other_way_drop_that_instrument_s_series(cache: str) -> None:
    engine = open_engine(cache)
    try:
        with engine.begin() as conn:
            ids = dict(conn.execute(select(Instrument.symbol, Instrument.id)).all())
            conn.execute(text("UPDATE prices SET close = close + 1 WHERE instrument_id = :i AND day = :d"),
                         {"i": ids["GAP_SOY"], "d": date(2024, 3, 25)})
        assert packed(cache) == {"GAP_NOTE", "GAP_LATE"}
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM prices WHERE instrument_id = :i AND day = :d"),
                         {"i": ids["GAP_NOTE"], "d": date(2024, 3, 25)})
        assert packed(cache) == {"GAP_LATE"}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO prices (instrument_id, day, close, source) VALUES (:i, :d, 7.5, 'hand')"),
                         {"i": ids["GAP_LATE"], "d": date(2030, 1, 2)})
        assert packed(cache) == set()
    finally:
        engine.dispose()
    files, mine = PysystemtradeSource(FIXTURE).load(SYMBOLS), bars(cache)
    day = pd.Timestamp("2024-03-25")
    assert mine.close.loc[day, "GAP_SOY"] == files.close.loc[day, "GAP_SOY"] + 1  # the rows, as changed
    assert np.isnan(mine.close.loc[day, "GAP_NOTE"]) and mine.close.loc["2030-01-02", "GAP_LATE"] == 7.5
    import_pysystemtrade(FIXTURE, cache)  # a re-import puts the files' values and the series back
    assert packed(cache) == set(SYMBOLS)
    same_bits(bars(cache), bars(cache, rows_only=True))
    assert bars(cache).close.loc[day, "GAP_SOY"] == files.close.loc[day, "GAP_SOY"]


def test_a_cache_from_before_the_series_upgrades_with_them(cache: str) -> None:
    from alembic import command

    engine = open_engine(cache)
    with engine.connect() as conn:
        command.downgrade(migrations.alembic_config(conn), "0011")
        conn.commit()
    engine.dispose()
    before = bars(cache)  # opening upgrades it again: the series are built from the rows
    assert packed(cache) == set(SYMBOLS)
    same_bits(before, bars(cache, rows_only=True))


def test_the_price_record_keeps_the_series_of_the_days_it_adds(new_url) -> None:  # noqa: ANN001
    url = new_url()
    days = pd.DatetimeIndex(["2024-01-02", "2024-01-03", "2024-01-05"])
    close = pd.DataFrame({"AAA": [10.0, np.nan, 10.5], "BBB": [20.0, 20.25, 20.5]}, index=days)
    opens = pd.DataFrame({"AAA": [9.75, np.nan, np.nan], "BBB": [19.5, 20.0, 20.25]}, index=days)
    engine = open_engine(url)
    try:
        for cut in (2, 3):  # the record grows: its last day arrives later
            with engine.begin() as conn:
                record_bars(conn, PriceBars(close=close.iloc[:cut], open=opens.iloc[:cut]), "test")
            with engine.connect() as conn:
                ids = list(dict(conn.execute(select(Instrument.symbol, Instrument.id)).all()).values())
                parts, have = price_series.read(conn, ids)
                table = np.concatenate(parts)
                rows = price_series.price_rows(conn, ids)
                assert have == set(ids) and conn.execute(select(func.count()).select_from(PriceSeries)).scalar() == 2
            order = lambda t: t[np.lexsort((t["day"], t["id"]))]  # noqa: E731
            assert order(table).tobytes() == order(rows).tobytes()
            assert len(rows) == 2 + 2 * (cut - 2) + 1
    finally:
        engine.dispose()
