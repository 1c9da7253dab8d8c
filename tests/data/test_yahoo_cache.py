"""YahooSource with a cache: every fetched price lands in the price cache; only the tail is fetched."""

from __future__ import annotations

import logging
import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from yfinance.exceptions import YFRateLimitError

from db.models import Instrument, Price, PriceBasis
from db.session import open_engine
from tradesim.config import parse_config
from tradesim.data.cached import CachedSource
from tradesim.resolve import source_for
from tradesim.data.yahoo import YahooSource
from tradesim.errors import DataError
from yahoo_fakes import Recorder, ohlc

JAN2, JAN4, JAN8, JAN12 = date(2024, 1, 2), date(2024, 1, 4), date(2024, 1, 8), date(2024, 1, 12)
DAYS = ["2024-01-02", "2024-01-03", "2024-01-04"]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def offline(*_args, **_kwargs) -> pd.DataFrame:
    raise AssertionError("download called: should have been served from the cache")


def cached_rows(url: str) -> list[tuple[str, date, float, str]]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(Instrument.symbol, Price.day, Price.close, Price.source)
                .join(Price, Price.instrument_id == Instrument.id).order_by(Instrument.symbol, Price.day))]
    finally:
        engine.dispose()


def test_real_yfinance_fetch_is_cached_and_a_replay_needs_no_network(fake_yahoo, url: str) -> None:
    fetched = YahooSource(session=fake_yahoo, cache_url=url).load(["AAPL", "MSFT"], JAN2, JAN12)
    requests = len(fake_yahoo.requests)

    again = YahooSource(download=offline, cache_url=url).load(["AAPL", "MSFT"], JAN2, JAN12)
    replay = CachedSource(url).load(["AAPL", "MSFT"], JAN2, JAN12)  # [data] source = "database"
    assert len(fake_yahoo.requests) == requests
    for bars in (again, replay):
        pd.testing.assert_frame_equal(bars.close, fetched.close)
        pd.testing.assert_frame_equal(bars.open, fetched.open)
    rows = cached_rows(url)
    assert len(rows) == 9 + 8  # MSFT has no bar on 2024-01-10: no row, not a NaN row
    assert {source for *_, source in rows} == {"yfinance"}


def test_only_the_tail_is_fetched_from_the_last_cached_day(url: str) -> None:
    YahooSource(download=Recorder(ohlc(DAYS, [10.0, 11.0, 12.0])), cache_url=url).load(["X"], JAN2, JAN4)
    tail = Recorder(ohlc(["2024-01-04", "2024-01-05", "2024-01-08"], [12.0, 13.0, 14.0]))

    bars = YahooSource(download=tail, cache_url=url).load(["X"], JAN2, JAN8)
    assert tail.calls == [(["X"], JAN4, date(2024, 1, 9))]  # from the last cached day, inclusive
    assert bars.close["X"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert len(cached_rows(url)) == 5


def test_a_rebased_refetch_never_rewrites_a_cached_day_and_records_the_factor(
        url: str, caplog: pytest.LogCaptureFixture) -> None:
    """Jan 4 comes back at 11.88 where the record has 12: the new days are stored on the record's
    basis (x 12/11.88) and the factor is kept; the cached days stay as they were."""
    YahooSource(download=Recorder(ohlc(DAYS, [10.0, 11.0, 12.0])), cache_url=url).load(["X"], JAN2, JAN4)
    tail = Recorder(ohlc(["2024-01-04", "2024-01-05", "2024-01-08"], [11.88, 13.0, 14.0]))

    with caplog.at_level(logging.WARNING, logger="db.price_record"):
        bars = YahooSource(download=tail, cache_url=url).load(["X"], JAN2, JAN8)
    assert "instrument 'X': the re-fetched price on 2024-01-04 is 0.99 times the recorded one" in caplog.text
    factor = 12.0 / 11.88
    assert bars.close["X"].tolist() == pytest.approx([10.0, 11.0, 12.0, 13.0 * factor, 14.0 * factor], rel=1e-15)
    assert [r[2] for r in cached_rows(url)][:3] == [10.0, 11.0, 12.0]
    engine = open_engine(url)
    with engine.connect() as conn:
        bases = [tuple(r) for r in conn.execute(select(PriceBasis.first_day, PriceBasis.checked_day,
                                                       PriceBasis.factor).order_by(PriceBasis.id))]
    engine.dispose()
    assert bases == [(JAN2, None, 1.0), (date(2024, 1, 5), JAN4, factor)]


def test_a_missing_head_refetches_the_whole_span(url: str) -> None:
    later = ["2024-01-10", "2024-01-11", "2024-01-12"]
    YahooSource(download=Recorder(ohlc(later, [5.0, 6.0, 7.0])), cache_url=url).load(["X"], date(2024, 1, 10), JAN12)
    download = Recorder(ohlc([*DAYS, *later], [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]))

    bars = YahooSource(download=download, cache_url=url).load(["X"], JAN2, JAN4)
    assert [c[1:] for c in download.calls] == [(JAN2, date(2024, 1, 13))]  # kept contiguous with the cache
    assert bars.close["X"].tolist() == [2.0, 3.0, 4.0]
    assert len(cached_rows(url)) == 6


def test_missing_ticker_keeps_the_others_cached_and_creates_no_instrument(url: str) -> None:
    frame = pd.concat({"AAA": ohlc(DAYS, [1.0, 2.0, 3.0]), "NOPE": ohlc(DAYS, [float("nan")] * 3)}, axis=1)
    with pytest.raises(DataError, match=r"^Yahoo Finance: no prices for 'NOPE' between 2024-01-02 and 2024-01-04$"):
        YahooSource(download=Recorder(frame), cache_url=url).load(["AAA", "NOPE"], JAN2, JAN4)
    assert [r[0] for r in cached_rows(url)] == ["AAA"] * 3
    engine = open_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(Instrument.symbol)).scalars().all() == ["AAA"]
    engine.dispose()


def test_no_new_prices_keeps_the_cache_and_warns(url: str, caplog: pytest.LogCaptureFixture) -> None:
    YahooSource(download=Recorder(ohlc(DAYS, [1.0, 2.0, 3.0])), cache_url=url).load(["X"], JAN2, JAN4)
    with caplog.at_level(logging.WARNING, logger="tradesim.data.yahoo"):
        bars = YahooSource(download=Recorder(pd.DataFrame()), cache_url=url).load(["X"], JAN2, JAN8)
    assert bars.close["X"].tolist() == [1.0, 2.0, 3.0]
    assert "no prices for 'X' from 2024-01-04" in caplog.text


def test_rate_limited_fetch_stores_nothing(url: str) -> None:
    YahooSource(download=Recorder(ohlc(DAYS, [1.0, 2.0, 3.0])), cache_url=url).load(["X"], JAN2, JAN4)
    before = cached_rows(url)
    with pytest.raises(DataError, match="rate limit"):
        YahooSource(download=Recorder(YFRateLimitError()), cache_url=url, sleep=lambda s: None).load(["X"], JAN2, JAN8)
    assert cached_rows(url) == before


def test_config_source_yfinance_caches_in_the_ledger_database(url: str) -> None:
    raw = tomllib.loads((Path(__file__).parents[2] / "tradesim" / "defaults" / "default.toml").read_text())
    raw["data"] = {"source": "yfinance"}
    source = source_for(parse_config(raw))
    assert isinstance(source, YahooSource) and source.cache_url.startswith("sqlite:///")
    assert source_for(parse_config(raw), url).cache_url == url
    assert source_for(parse_config({**raw, "database": url})).cache_url == url
