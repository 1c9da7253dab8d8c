"""The ``fake_yahoo`` fixture: a fresh FakeYahoo with yfinance's process-wide state isolated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import curl_cffi.curl
import pytest
import yfinance.base
import yfinance.cache
import yfinance.data

from yahoo_fakes import FakeYahoo


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """YahooSource fetches through today; these tests' Yahoo ends in January 2024."""
    import tradesim.data.yahoo

    monkeypatch.setattr(tradesim.data.yahoo, "today", lambda: date(2024, 1, 1))


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYahoo]:
    """A fresh fake, with yfinance's process-wide state isolated for the test.

    yfinance keeps a singleton holding the session, cookie and crumb; an lru_cache
    of past-dated chart responses; a counter that limits its quoteSummary timezone
    fallback to two calls per process; and timezone and cookie caches in SQLite
    files under the user's cache directory. Each is reset or replaced here so
    tests neither see each other nor write a fake cookie where real runs read it.
    """
    monkeypatch.setattr(yfinance.data.SingletonMeta, "_instances", {})
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
    monkeypatch.setattr(yfinance.cache._TzCacheManager, "_tz_cache", yfinance.cache._TzCacheDummy())
    monkeypatch.setattr(yfinance.cache._CookieCacheManager, "_Cookie_cache", yfinance.cache._CookieCacheDummy())

    def no_curl(self, *args, **kwargs):  # noqa: ANN001, ANN202
        raise AssertionError("curl ran: a request went past FakeYahoo")

    monkeypatch.setattr(curl_cffi.curl.Curl, "perform", no_curl)
    yfinance.data.YfData.cache_get.cache_clear()
    yield FakeYahoo()
    yfinance.data.YfData.cache_get.cache_clear()
