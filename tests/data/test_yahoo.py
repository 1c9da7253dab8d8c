"""YahooSource: the real yfinance code path against a fake Yahoo, and the adapter on hand-made frames.

No test touches the network: ``fake_yahoo`` (conftest.py) answers yfinance's
HTTP calls at the curl_cffi Session level and fails the test if curl ever runs.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import yfinance
import yfinance.base
from curl_cffi.requests import Session
from yfinance.exceptions import YFRateLimitError

from tradesim.data.yahoo import YahooSource
from tradesim.errors import DataError
from yahoo_fakes import CRUMB, Recorder, chart_fixture, ohlc

JAN2, JAN12 = date(2024, 1, 2), date(2024, 1, 12)


def expected(symbol: str) -> tuple[pd.Series, pd.Series]:
    """(close, open) a fixture should give: as traded (it has no split), Yahoo's adjclose unused."""
    result = chart_fixture(symbol)["chart"]["result"][0]
    days = pd.to_datetime(result["timestamp"], unit="s").normalize().as_unit("us")
    quote = result["indicators"]["quote"][0]
    raw_close, raw_open = (np.array(quote[k], dtype=float) for k in ("close", "open"))
    return pd.Series(raw_close, index=days), pd.Series(raw_open, index=days)


# -- the real yfinance code path, offline ---------------------------------------------------


def test_real_yfinance_success_gives_as_traded_closes_opens_and_actions(fake_yahoo) -> None:
    bars = YahooSource(session=fake_yahoo, sleep=pytest.fail).load(["AAPL", "MSFT"], JAN2, JAN12)

    for symbol in ("AAPL", "MSFT"):
        close, opens = expected(symbol)
        pd.testing.assert_series_equal(bars.close[symbol], close, check_names=False, check_freq=False)
        pd.testing.assert_series_equal(bars.open[symbol], opens, check_names=False, check_freq=False, rtol=1e-12)
    assert bars.close.index.tz is None and bars.close.index[0] == pd.Timestamp(JAN2)
    # The dividend is an action, not a change to past prices.
    assert bars.close.loc["2024-01-08", "AAPL"] == 185.56
    assert bars.actions.to_dict("list") == {"symbol": ["AAPL"], "ex_date": [pd.Timestamp("2024-01-09")],
                                            "kind": ["dividend"], "value": [0.24], "pay_date": [pd.NaT]}
    # MSFT's all-null bar on 2024-01-10 is a missing day, left for the engine, not an error.
    assert np.isnan(bars.close.loc["2024-01-10", "MSFT"]) and not np.isnan(bars.close.loc["2024-01-10", "AAPL"])

    urls = [url for _, url, _ in fake_yahoo.requests]
    assert "https://fc.yahoo.com" in urls and "https://query1.finance.yahoo.com/v1/test/getcrumb" in urls
    charts = [p for _, url, p in fake_yahoo.requests if url.endswith("/v8/finance/chart/AAPL") and "period1" in p]
    # yfinance's end is exclusive: load() asked for the day after JAN12, midnight New York.
    assert charts == [{"period1": 1704171600, "period2": 1705122000, "interval": "1d", "includePrePost": False,
                       "events": "div,splits,capitalGains", "crumb": CRUMB}]


@pytest.mark.parametrize("fallbacks_used", [0, 2])
def test_real_yfinance_missing_ticker_is_an_error_naming_it(fake_yahoo, monkeypatch, fallbacks_used: int) -> None:
    """yfinance asks quoteSummary for an unknown symbol's timezone only twice per process, then gives up at once."""
    monkeypatch.setattr(yfinance.base, "_tz_info_fetch_ctr", fallbacks_used)
    with pytest.raises(DataError, match=r"^Yahoo Finance: no prices for 'NOPE' between 2024-01-02 and 2024-01-12$"):
        YahooSource(session=fake_yahoo).load(["AAPL", "NOPE"], JAN2, JAN12)
    asked_quote_summary = any(url.endswith("/v10/finance/quoteSummary/NOPE") for _, url, _ in fake_yahoo.requests)
    assert asked_quote_summary == (fallbacks_used < 2)


def test_real_yfinance_empty_response_is_an_error(fake_yahoo) -> None:
    # AAPL exists, but the fixture has no bars in February: Yahoo answers with meta and no prices.
    with pytest.raises(DataError, match=r"^Yahoo Finance: no prices for 'AAPL' between 2024-02-05 and 2024-02-09$"):
        YahooSource(session=fake_yahoo).load(["AAPL"], date(2024, 2, 5), date(2024, 2, 9))


def test_real_yfinance_429_backs_off_then_succeeds(fake_yahoo) -> None:
    fake_yahoo.rate_limited = True
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # Yahoo lets us back in once we have waited
        sleeps.append(seconds)
        fake_yahoo.rate_limited = False

    bars = YahooSource(session=fake_yahoo, sleep=sleep).load(["AAPL"], JAN2, JAN12)
    assert sleeps == [1.0]
    pd.testing.assert_series_equal(bars.close["AAPL"], expected("AAPL")[0], check_names=False, check_freq=False)


def test_real_yfinance_429_forever_gives_up_clearly(fake_yahoo) -> None:
    fake_yahoo.rate_limited = True
    sleeps: list[float] = []
    with pytest.raises(DataError, match=r"^Yahoo Finance rate limit: gave up after 4 attempts \(fetching AAPL, MSFT "
                                        r"from 2024-01-02 to 2024-01-12\)$"):
        YahooSource(session=fake_yahoo, sleep=sleeps.append).load(["AAPL", "MSFT"], JAN2, JAN12)
    assert sleeps == [1.0, 2.0, 4.0]


def test_real_yfinance_without_network_is_a_clear_failure_not_a_missing_ticker(fake_yahoo) -> None:
    fake_yahoo.offline = True
    with pytest.raises(DataError, match=r"^Yahoo Finance: fetching 'AAPL' failed: .*Could not resolve host"):
        YahooSource(session=fake_yahoo, sleep=pytest.fail).load(["AAPL"], JAN2, JAN12)


def test_real_yfinance_maintenance_page_is_a_clear_failure(fake_yahoo) -> None:
    fake_yahoo.down = True
    with pytest.raises(DataError, match=r"^Yahoo Finance: fetching 'AAPL' failed: JSONDecodeError"):
        YahooSource(session=fake_yahoo, sleep=pytest.fail).load(["AAPL"], JAN2, JAN12)


def test_yfinance_download_hides_rate_limits_which_is_why_the_adapter_uses_history(fake_yahoo) -> None:
    """Pins the yfinance 1.7 behaviour behind the design: download() logs a 429 and returns no rows."""
    fake_yahoo.rate_limited = True
    frame = yfinance.download(["AAPL"], start=JAN2, end=date(2024, 1, 13), auto_adjust=True, progress=False,
                              threads=False, session=fake_yahoo)
    assert frame.empty
    with pytest.raises(YFRateLimitError):
        yfinance.Ticker("AAPL", session=fake_yahoo).history(start=JAN2, end=date(2024, 1, 13))


def test_the_fake_fails_the_test_if_curl_would_run(fake_yahoo) -> None:
    with pytest.raises(AssertionError, match="curl ran"):
        Session.request(fake_yahoo, "GET", "https://query2.finance.yahoo.com/v8/finance/chart/AAPL")


# -- the adapter on hand-made frames ------------------------------------------------------

DAYS = ["2024-01-02", "2024-01-03", "2024-01-04"]


def test_multiindex_columns_in_both_orientations() -> None:
    by_ticker = pd.concat({"AAA": ohlc(DAYS, [10.0, 11.0, 12.0], [9.5, 10.5, 11.5]),
                           "BBB": ohlc(DAYS, [20.0, 21.0, 22.0])}, axis=1, names=["Ticker", "Price"])
    by_field = by_ticker.swaplevel(0, 1, axis=1).sort_index(axis=1)  # yf.download's group_by='column'
    for frame in (by_ticker, by_field):
        bars = YahooSource(download=Recorder(frame)).load(["AAA", "BBB"], JAN2, date(2024, 1, 4))
        assert bars.close["AAA"].tolist() == [10.0, 11.0, 12.0] and bars.close["BBB"].tolist() == [20.0, 21.0, 22.0]
        assert bars.open["AAA"].tolist() == [9.5, 10.5, 11.5]
        assert list(bars.close.columns) == ["AAA", "BBB"]


def test_single_ticker_flat_columns_and_yfinance_upper_casing() -> None:
    bars = YahooSource(download=Recorder(ohlc(DAYS, [1.0, 2.0, 3.0]))).load(["brk-b"], JAN2, date(2024, 1, 4))
    assert bars.close["brk-b"].tolist() == [1.0, 2.0, 3.0]
    frame = pd.concat({"BRK-B": ohlc(DAYS, [1.0, 2.0, 3.0])}, axis=1)  # yfinance upper-cases what it was asked
    assert YahooSource(download=Recorder(frame)).load(["brk-b"], JAN2, date(2024, 1, 4)).close["brk-b"].sum() == 6.0


def test_split_adjusted_close_is_multiplied_back_to_as_traded_and_adj_close_is_unused() -> None:
    """Yahoo divides past closes by every later split; the 2:1 on Jan 4 doubles Jan 2 and 3 back,
    and the split after the requested end (Jan 5) still counts: Yahoo already applied it."""
    days = [*DAYS, "2024-01-05"]
    frame = ohlc(days, [25.0, 26.0, 27.0, 28.0], [24.0, 25.0, 26.0, 28.0],
                 **{"Adj Close": [1.0] * 4, "Stock Splits": [0.0, 0.0, 2.0, 2.0], "Dividends": [0.0, 0.1, 0.0, 0.0]})
    bars = YahooSource(download=Recorder(frame)).load(["X"], JAN2, date(2024, 1, 4))
    assert bars.close["X"].tolist() == [100.0, 104.0, 54.0]
    assert bars.open["X"].tolist() == [96.0, 100.0, 52.0]
    assert bars.actions[["ex_date", "kind", "value"]].values.tolist() == [
        [pd.Timestamp("2024-01-03"), "dividend", pytest.approx(0.4)], [pd.Timestamp("2024-01-04"), "split", 2.0]]


def test_nan_block_ticker_is_an_error_but_a_nan_day_is_not() -> None:
    good = ohlc(DAYS, [10.0, np.nan, 12.0])
    dead = ohlc(DAYS, [np.nan] * 3)
    frame = pd.concat({"AAA": good, "DEAD": dead}, axis=1)
    with pytest.raises(DataError, match=r"^Yahoo Finance: no prices for 'DEAD' between 2024-01-02 and 2024-01-04$"):
        YahooSource(download=Recorder(frame)).load(["AAA", "DEAD"], JAN2, date(2024, 1, 4))
    bars = YahooSource(download=Recorder(frame)).load(["AAA"], JAN2, date(2024, 1, 4))
    assert bars.close["AAA"].isna().tolist() == [False, True, False]
    # A ticker yfinance left out of the frame altogether is the same error.
    with pytest.raises(DataError, match="'CCC'"):
        YahooSource(download=Recorder(frame)).load(["AAA", "CCC"], JAN2, date(2024, 1, 4))


def test_empty_frame_is_an_error_naming_instrument_and_dates() -> None:
    with pytest.raises(DataError, match=r"^Yahoo Finance: no prices for 'AAA' between 2024-01-02 and 2024-01-04$"):
        YahooSource(download=Recorder(pd.DataFrame())).load(["AAA"], JAN2, date(2024, 1, 4))


def test_timezone_aware_index_keeps_the_exchange_date() -> None:
    """Tokyo midnight is the previous day in UTC; the bar belongs to the Tokyo date."""
    frame = ohlc(DAYS, [1.0, 2.0, 3.0])
    frame.index = frame.index.tz_localize("Asia/Tokyo")
    bars = YahooSource(download=Recorder(frame)).load(["7203.T"], JAN2, date(2024, 1, 4))
    assert bars.close.index.tz is None
    assert list(bars.close.index) == list(pd.DatetimeIndex(DAYS))


def test_end_is_inclusive_and_extra_rows_are_dropped() -> None:
    """load()'s end is inclusive, yfinance's exclusive; a price appended after the end is not kept."""
    download = Recorder(ohlc([*DAYS, "2024-01-05"], [1.0, 2.0, 3.0, 4.0]))
    bars = YahooSource(download=download).load(["X"], JAN2, date(2024, 1, 4))
    assert download.calls == [(["X"], JAN2, date(2024, 1, 5))]
    assert bars.close["X"].tolist() == [1.0, 2.0, 3.0]


def test_infinite_price_is_an_error_naming_instrument_and_date() -> None:
    with pytest.raises(DataError, match=r"instrument 'X' on 2024-01-03: close inf"):
        YahooSource(download=Recorder(ohlc(DAYS, [1.0, np.inf, 3.0]))).load(["X"], JAN2, date(2024, 1, 4))


def test_rate_limit_retries_with_exponential_backoff_then_succeeds() -> None:
    download = Recorder(YFRateLimitError(), YFRateLimitError(), ohlc(DAYS, [1.0, 2.0, 3.0]))
    sleeps: list[float] = []
    bars = YahooSource(download=download, sleep=sleeps.append, backoff=0.5).load(["X"], JAN2, date(2024, 1, 4))
    assert sleeps == [0.5, 1.0]
    assert len(download.calls) == 3 and bars.close["X"].tolist() == [1.0, 2.0, 3.0]


def test_rate_limit_forever_gives_up_after_retries() -> None:
    download = Recorder(YFRateLimitError())
    sleeps: list[float] = []
    with pytest.raises(DataError, match=r"^Yahoo Finance rate limit: gave up after 3 attempts"):
        YahooSource(download=download, sleep=sleeps.append, retries=2).load(["X"], JAN2, date(2024, 1, 4))
    assert sleeps == [1.0, 2.0] and len(download.calls) == 3


def test_session_only_with_the_default_download(fake_yahoo) -> None:
    with pytest.raises(ValueError, match="session"):
        YahooSource(download=Recorder(pd.DataFrame()), session=fake_yahoo)
