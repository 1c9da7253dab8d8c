"""Fakes for YahooSource tests: Yahoo Finance at the HTTP level, and download functions.

``FakeYahoo``: a fake Yahoo Finance behind a curl_cffi Session, so the real
yfinance code runs offline.

yfinance 1.x talks to Yahoo through a ``curl_cffi.requests.Session`` (vcrpy
cannot intercept curl). ``FakeYahoo`` subclasses that Session and answers at
``request`` (``get``/``post`` call it), so curl never runs and no socket opens.
It serves what yfinance 1.7 asks for (see yfinance/data.py, base.py,
scrapers/history.py):

- the cookie/crumb handshake: GET https://fc.yahoo.com (the 'basic' cookie
  strategy), GET query1.../v1/test/getcrumb; after any HTTP >= 400 yfinance
  switches to the 'csrf' strategy, which starts with GET guce.yahoo.com/consent;
- GET query2.../v8/finance/chart/{SYMBOL}: first with range=1d (yfinance's
  timezone probe), then with period1/period2 (epoch seconds, period2 exclusive);
- GET query2.../v10/finance/quoteSummary/{SYMBOL}: yfinance's fallback timezone
  lookup when the chart endpoint knows no such symbol.

Chart data comes from tests/fixtures/yahoo/{SYMBOL}.json (synthetic, labelled so), or
from ``FakeYahoo.charts[SYMBOL]`` where a test sets a chart body of its own (what Yahoo
knows changes over time: a test swaps the body to model a later day's Yahoo).
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from curl_cffi.requests import Headers, Response, Session
from curl_cffi.requests.exceptions import DNSError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "yahoo"
CRUMB = "synthetic-crumb"


class FakeYahoo(Session):
    """Yahoo Finance as yfinance 1.7 sees it; records every request it is asked for.

    ``rate_limited``: answer 429 (Yahoo's 'Too Many Requests') to the crumb and chart calls.
    ``offline``: raise curl's DNS error, as a machine without network does.
    ``down``: answer with Yahoo's HTML maintenance page.
    """

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, str, dict]] = []
        self.rate_limited = False
        self.offline = False
        self.down = False
        self.charts: dict[str, dict] = {}  # symbol -> chart body, served instead of the fixture file

    def request(self, method, url, params=None, **kwargs) -> Response:  # noqa: ANN001
        self.requests.append((method, url, dict(params or {})))
        parts = urlsplit(url)
        if self.offline:
            raise DNSError(f"Failed to perform, curl: (6) Could not resolve host: {parts.hostname}.", 6)
        if self.down:
            return _response(url, 200, b"<html><body>Will be right back...</body></html>")
        if parts.hostname == "fc.yahoo.com":  # the real one answers 404 and sets a cookie; none needed here
            return _response(url, 404, b"")
        if parts.hostname == "guce.yahoo.com":  # consent page without a form: what non-EU visitors get
            return _response(url, 200, b"<html><body>no consent needed</body></html>")
        if self.rate_limited and parts.hostname.startswith("query"):
            return _response(url, 429, b"Too Many Requests")
        if parts.path == "/v1/test/getcrumb":
            return _response(url, 200, CRUMB.encode())
        if parts.path.startswith("/v8/finance/chart/"):
            return self._chart(url, parts.path.rsplit("/", 1)[1], params or {})
        if parts.path.startswith("/v10/finance/quoteSummary/"):
            return _response(url, 404, (FIXTURES / "quote_not_found.json").read_bytes())
        raise AssertionError(f"FakeYahoo: unexpected request {method} {url}")

    def _chart(self, url: str, symbol: str, params: dict) -> Response:
        path = FIXTURES / f"{symbol}.json"
        if symbol in self.charts:
            body = copy.deepcopy(self.charts[symbol])
        elif not path.exists():
            return _response(url, 404, (FIXTURES / "chart_not_found.json").read_bytes())
        else:
            body = json.loads(path.read_text())
        result = body["chart"]["result"][0]
        stamps = result["timestamp"]
        if params.get("range") == "1d":  # the timezone probe: the latest bar
            keep = [len(stamps) - 1]
        else:
            keep = [i for i, t in enumerate(stamps) if params["period1"] <= t < params["period2"]]
        if not keep:  # a known symbol, no bars in the period: meta and empty indicators
            del result["timestamp"]
            result.pop("events", None)
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        else:
            result["timestamp"] = [stamps[i] for i in keep]
            for block in (*result["indicators"]["quote"], *result["indicators"]["adjclose"]):
                for name, values in block.items():
                    block[name] = [values[i] for i in keep]
            lo, hi = stamps[keep[0]], stamps[keep[-1]]
            for kind, events in result.get("events", {}).items():
                result["events"][kind] = {k: v for k, v in events.items() if lo <= int(k) <= hi}
        return _response(url, 200, json.dumps(body).encode())


def _response(url: str, status: int, body: bytes) -> Response:
    response = Response()
    response.url = url
    response.status_code = status
    response.ok = status < 400
    response.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}[status]
    response.headers = Headers({"content-type": "application/json;charset=utf-8"})
    response.content = body
    return response


def chart_fixture(symbol: str) -> dict:
    return copy.deepcopy(json.loads((FIXTURES / f"{symbol}.json").read_text()))


class Recorder:
    """A download function serving canned results in turn (the last one repeats), recording its calls."""

    def __init__(self, *results: pd.DataFrame | Exception) -> None:
        self.results = list(results)
        self.calls: list[tuple[list[str], date, date]] = []

    def __call__(self, tickers, start, end):  # noqa: ANN001, ANN204
        self.calls.append((list(tickers), start, end))
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result


def ohlc(days: list[str], close: list[float], opens: list[float] | None = None, **extra: list[float]) -> pd.DataFrame:
    """One ticker's bars as yfinance returns them (flat columns, a 'Date' index)."""
    frame = pd.DataFrame({"Open": opens or close, "Close": close, **extra}, index=pd.DatetimeIndex(days, name="Date"))
    frame["Volume"] = 1000
    return frame
