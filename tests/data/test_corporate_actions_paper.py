"""A paper account through a 4:1 split and a quarterly dividend, on the real yfinance code (offline).

Synthetic stock SYN (no real prices): 125 shares bought on the first day and held
(fixed weights at fixed capital: the target stays 125, then 500, in the price band
chosen). A $0.96 dividend goes ex on 2024-02-08 (15% withheld); a 4:1 split goes ex
on 2024-02-15, the close exactly a quarter of the day before's.

Yahoo is served as it was known on two dates: on 2024-02-09 (no split yet; closes
as traded, adjclose lowered by the dividend) and on 2024-03-01, after the split, when
Yahoo's "close" of every earlier day is divided by 4, the dividend reads $0.24 and
the whole adjclose history has moved. The paper account runs to 02-09 on the first,
then to 03-01 on the second.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text

import tradesim.data.yahoo
from db.models import CashFlow, CorporateAction, Equity, PositionRow, Price, PriceBasis
from db.session import open_engine
from tradesim import calendar
from tradesim.config import parse_config
from tradesim.paper import paper_run
from tradesim.replay import load_market, replay
from yahoo_fakes import chart_fixture

FIRST, FIRST_FETCH, LATER = date(2024, 1, 2), date(2024, 2, 9), date(2024, 3, 1)
DIVIDEND_EX, SPLIT_EX = pd.Timestamp("2024-02-08"), pd.Timestamp("2024-02-15")
DIVIDEND = 0.96  # per share as traded on its ex-date (before the split)
SESSIONS = calendar.sessions("XNYS", FIRST, LATER)


def as_traded_closes() -> pd.Series:
    """400.9x, then 400.0x from the dividend (its drop), exactly a quarter of the last from the split on."""
    prices = []
    for k, day in enumerate(SESSIONS):
        p = 400.96 + 0.01 * (k % 7)
        if day >= DIVIDEND_EX:
            p -= DIVIDEND
        prices.append(p)
    close = pd.Series(prices, index=SESSIONS)
    close[SESSIONS >= SPLIT_EX] = [round(close[SESSIONS < SPLIT_EX].iloc[-1] / 4 + 0.0025 * k, 4)
                                   for k in range(int((SESSIONS >= SPLIT_EX).sum()))]
    return close


def chart(known_on: date) -> dict:
    """Yahoo's chart response for SYN as Yahoo knew it on ``known_on``."""
    close = as_traded_closes()
    close = close[close.index <= pd.Timestamp(known_on)]
    split_known = known_on >= SPLIT_EX.date()
    yahoo_close = close.where(~((close.index < SPLIT_EX) & split_known), close / 4)  # Yahoo's split-adjusted "close"
    adj = yahoo_close.copy()
    adj[adj.index < DIVIDEND_EX] *= 1 - (DIVIDEND / 4 if split_known else DIVIDEND) / yahoo_close[
        yahoo_close.index < DIVIDEND_EX].iloc[-1]
    stamps = [int(pd.Timestamp(f"{d.date()} 09:30", tz="America/New_York").timestamp()) for d in close.index]
    stamp = dict(zip(close.index, stamps))
    body = chart_fixture("AAPL")
    result = body["chart"]["result"][0]
    result["meta"].update(symbol="SYN", regularMarketPrice=float(close.iloc[-1]), regularMarketTime=stamps[-1])
    result["timestamp"] = stamps
    values = yahoo_close.round(6).tolist()
    result["indicators"] = {"quote": [{"open": values, "high": values, "low": values, "close": values,
                                       "volume": [1_000_000] * len(values)}],
                            "adjclose": [{"adjclose": adj.round(6).tolist()}]}
    events = {"dividends": {str(stamp[DIVIDEND_EX]): {"amount": DIVIDEND / 4 if split_known else DIVIDEND,
                                                      "date": stamp[DIVIDEND_EX]}}}
    if split_known:
        events["splits"] = {str(stamp[SPLIT_EX]): {"date": stamp[SPLIT_EX], "numerator": 4, "denominator": 1,
                                                   "splitRatio": "4:1"}}
    result["events"] = events
    return body


def config(source: str, url: str, end: date | None = None) -> object:
    return parse_config({
        "name": "syn-paper", "capital": 100_000, "start": str(FIRST), "database": url,
        **({"end": str(end)} if end else {}), "sizing_capital": "fixed",
        "data": {"source": source}, "strategy": {"name": "fixed_weights", "params": {"weights": {"SYN": 0.5}}},
        "optimiser": {"method": "round"}, "dividends": {"withholding_tax": 0.15},
        "instruments": [{"symbol": "SYN"}]})


TABLES = {
    "orders": "day, instrument_id, quantity, side, target, optimal, reason, status",
    "fills": "day, decided_on, instrument_id, quantity, price, contract_price, commission, slippage, fx, cost_base",
    "positions": "day, instrument_id, quantity, price, notional_base",
    "equity": "day, nav, cash, costs, gross_pnl, net_pnl, price_pnl, income, gross_exposure, traded_notional",
    "cash_flows": "day, kind, external, instrument_id, amount, currency, fx, amount_base, note",
    "processed_days": "day",
}


def ledger_rows(url: str, mode: str) -> dict[str, list[tuple]]:
    with open_engine(url).connect() as conn:
        run = conn.execute(text("SELECT max(id) FROM runs WHERE mode = :m"), {"m": mode}).scalar()
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT {c} FROM {t} WHERE run_id = :r"), {"r": run}))
                for t, c in TABLES.items()}


def price_rows(url: str) -> list[tuple]:
    with open_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(select(Price.day, Price.close, Price.open).order_by(Price.day))]


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The paper account after both runs, the price record after each, and a replay from the cache."""
    url = f"sqlite:///{tmp_path_factory.mktemp('syn') / 'ledger.db'}"
    with pytest.MonkeyPatch.context() as mp:
        from yahoo_fakes import FakeYahoo
        import yfinance.base
        import yfinance.cache
        import yfinance.data

        mp.setattr(yfinance.data.SingletonMeta, "_instances", {})
        mp.setattr(yfinance.base, "_tz_info_fetch_ctr", 0)
        mp.setattr(yfinance.cache._TzCacheManager, "_tz_cache", yfinance.cache._TzCacheDummy())
        mp.setattr(yfinance.cache._CookieCacheManager, "_Cookie_cache", yfinance.cache._CookieCacheDummy())
        mp.setattr(tradesim.data.yahoo, "today", lambda: date(2024, 1, 1))
        fake = FakeYahoo()
        real = tradesim.data.yahoo.yfinance_download
        mp.setattr(tradesim.data.yahoo, "yfinance_download", lambda session=None: real(fake))

        fake.charts["SYN"] = chart(FIRST_FETCH)
        yfinance.data.YfData.cache_get.cache_clear()
        paper_run(config("yfinance", url), url, FIRST_FETCH)
        first_record = price_rows(url)
        fake.charts["SYN"] = chart(LATER)
        yfinance.data.YfData.cache_get.cache_clear()
        paper_run(config("yfinance", url), url, LATER)
        yfinance.data.YfData.cache_get.cache_clear()
    replayed = config("database", url, end=LATER)
    replay(replayed, url, market=load_market(replayed, database_url=url))  # as `tradesim replay --db` does
    engine = open_engine(url)
    with engine.connect() as conn:
        equity = pd.DataFrame(conn.execute(select(Equity.day, Equity.nav, Equity.cash, Equity.price_pnl,
                                                  Equity.income, Equity.costs).where(Equity.run_id == 1)
                                           .order_by(Equity.day)).all()).set_index("day")
        held = dict(conn.execute(select(PositionRow.day, PositionRow.quantity).where(PositionRow.run_id == 1)).all())
        flows = [tuple(r) for r in conn.execute(select(CashFlow.day, CashFlow.kind, CashFlow.amount, CashFlow.note)
                                                .where(CashFlow.run_id == 1).order_by(CashFlow.id))]
        actions = [tuple(r) for r in conn.execute(select(CorporateAction.ex_date, CorporateAction.kind,
                                                         CorporateAction.value).order_by(CorporateAction.ex_date))]
        bases = [tuple(r) for r in conn.execute(select(PriceBasis.first_day, PriceBasis.factor))]
    engine.dispose()
    return {"url": url, "equity": equity, "held": held, "flows": flows, "actions": actions, "bases": bases,
            "first_record": first_record}


def test_the_share_count_is_multiplied_by_four_on_the_ex_date(account: dict) -> None:
    held = account["held"]
    before = max(d for d in held if d < SPLIT_EX.date())
    assert held[before] == 125 and held[SPLIT_EX.date()] == 500 and held[LATER] == 500


def test_nav_is_continuous_through_the_split_to_the_cent(account: dict) -> None:
    equity = account["equity"]
    k = equity.index.get_loc(SPLIT_EX.date())
    assert abs(equity["nav"].iloc[k] - equity["nav"].iloc[k - 1]) < 0.005  # the split-day close is exactly 1/4
    assert equity["price_pnl"].iloc[k] == pytest.approx(0.0, abs=1e-6)
    assert equity["cash"].iloc[k] == equity["cash"].iloc[k - 1]  # 125 x 4 is whole: no cash in lieu


def test_the_dividend_is_credited_on_its_ex_date_net_of_withholding(account: dict) -> None:
    equity = account["equity"]
    k = equity.index.get_loc(DIVIDEND_EX.date())
    assert account["flows"] == [(DIVIDEND_EX.date(), "dividend", pytest.approx(120.0), "0.96/share on 125"),
                                (DIVIDEND_EX.date(), "withholding", pytest.approx(-18.0), "0.15 of 120.00 withheld")]
    assert equity["cash"].iloc[k] - equity["cash"].iloc[k - 1] == pytest.approx(102.0, abs=1e-9)
    assert equity["income"].iloc[k] == pytest.approx(102.0, abs=1e-9)
    # NAV change = price P&L (125 x the day's move, the dividend's drop included) + income - costs.
    closes = as_traded_closes()
    move = 125 * (closes[DIVIDEND_EX] - closes.iloc[closes.index.get_loc(DIVIDEND_EX) - 1])
    assert equity["price_pnl"].iloc[k] == pytest.approx(move, abs=1e-6)
    assert equity["nav"].iloc[k] - equity["nav"].iloc[k - 1] == pytest.approx(move + 102.0, abs=1e-6)
    assert np.allclose(equity["nav"].diff().iloc[1:], (equity["price_pnl"] + equity["income"] - equity["costs"]).iloc[1:],
                       atol=1e-6)


def test_the_refetch_rewrote_no_cached_day_and_actions_are_as_traded(account: dict) -> None:
    now = dict((d, (c, o)) for d, c, o in price_rows(account["url"]))
    assert all(now[d] == (c, o) for d, c, o in account["first_record"])
    assert len(now) == len(SESSIONS) > len(account["first_record"])
    assert now[date(2024, 2, 14)][0] == pytest.approx(as_traded_closes()[pd.Timestamp("2024-02-14")], abs=1e-9)
    assert account["actions"] == [(DIVIDEND_EX.date(), "dividend", pytest.approx(0.96)),
                                  (SPLIT_EX.date(), "split", 4.0)]
    assert account["bases"] == [(FIRST, 1.0)]  # the as-traded record never needed a new basis


def test_paper_equals_a_replay_from_the_cache_row_by_row(account: dict) -> None:
    paper, replayed = ledger_rows(account["url"], "paper"), ledger_rows(account["url"], "replay")
    assert len(paper["processed_days"]) == len(SESSIONS)
    assert len(paper["cash_flows"]) == 2
    assert paper == replayed
