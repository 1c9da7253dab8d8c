"""Triggers inside a replay of the default portfolio (20 US stocks, 1990-1992): the ledger's reasons and days."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, select

from db.models import Order
from tradesim.config import load_config
from tradesim.engine import Engine
from tradesim.replay import load_market, replay
from tradesim.triggers.cron import review_days

END = "1992-12-31"
# Pinned so these tests follow the triggers, not changes to the default portfolio's sizing.
ROUND = {"method": "round"}
# XNYS Fridays without a session in 1990-1992, and the Mondays their reviews move to.
HOLIDAY_MONDAYS = {
    date(1990, 4, 16),  # Good Friday 13 April 1990
    date(1991, 4, 1),  # Good Friday 29 March 1991
    date(1992, 4, 20),  # Good Friday 17 April 1992
    date(1992, 7, 6),  # Independence Day observed on Friday 3 July 1992
    date(1992, 12, 28),  # Christmas Day, Friday 25 December 1992
}


@pytest.fixture(scope="module")
def market():
    return load_market(load_config(end=END))


def decisions(config, market) -> list[tuple[date, str, int]]:
    """(decision day, reason, number of orders) for every day that placed orders."""
    engine = Engine(config, market)
    book, out = engine.opening_book(), []
    for t in range(market.n_days):
        book, day = engine.step(book, t)
        if len(day.orders.instrument):
            out.append((market.dates[t].date(), day.orders.reason, len(day.orders.instrument)))
    return out


def test_weekly_calendar_replay_records_calendar_orders_on_fridays_only(market, tmp_path: Path):
    config = load_config(end=END, optimiser=ROUND, trigger={"kind": "calendar", "cron": "0 16 * * fri"})
    db_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    replay(config, db_url, market=market)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(Order.day, Order.reason)).all()
    engine.dispose()

    # The account invests on the first day the strategy has targets (22 February 1990, when
    # volatility estimates go live, a Thursday between reviews), then only on review days.
    first = min(day for day, _ in rows)
    assert first == date(1990, 2, 22) and {r for d, r in rows if d == first} == {"initial"}
    assert {reason for day, reason in rows if day != first} == {"calendar"}
    days = sorted({day for day, _ in rows if day != first})
    assert {d for d in days if d.weekday() != 4} == HOLIDAY_MONDAYS
    assert days[0] == date(1990, 2, 23)
    reviews = review_days("0 16 * * fri", "XNYS", market.dates)
    expected = [d.date() for d in market.dates[reviews] if d.date() >= days[0]]
    assert days == expected


def test_a_calendar_account_starting_between_reviews_invests_on_its_first_day(market):
    """The old trap: a quarterly review that starts in February sat in cash until the end of March."""
    config = load_config(start="1991-02-05", end=END, optimiser=ROUND,
                         trigger={"kind": "calendar", "cron": "0 16 last mar,jun,sep,dec *", "snap": "previous"})
    result = replay(config, None, market=market)
    assert result.paths_traded[0]  # 5 February 1991, a Tuesday far from any review
    engine = Engine(config, market)
    start = int(market.dates.searchsorted(np.datetime64("1991-02-05")))
    book = engine.opening_book(start)
    book, day = engine.step(book, start)
    assert day.reason == "initial" and book.invested
    # The same orders a daily rebalance places that day.
    daily = Engine(load_config(start="1991-02-05", end=END, optimiser=ROUND), market)
    _, daily_day = daily.step(daily.opening_book(start), start)
    np.testing.assert_array_equal(day.orders.quantity, daily_day.orders.quantity)


def test_never_buys_once_then_holds(market):
    orders = decisions(load_config(end=END, optimiser=ROUND, trigger={"kind": "never"}), market)
    assert len(orders) == 1
    daily = decisions(load_config(end=END, optimiser=ROUND), market)
    assert orders[0] == (date(1990, 2, 22), "initial", daily[0][2])


def test_threshold_trigger_makes_the_first_trades_by_itself(market):
    """An empty account against a nonzero optimum has drifted by the whole target."""
    daily = decisions(load_config(end=END, optimiser=ROUND), market)
    threshold = decisions(load_config(end=END, optimiser=ROUND,
                                      trigger={"kind": "threshold", "measure": "drift", "band": 0.01}), market)
    assert daily[0][:2] == (date(1990, 2, 22), "daily")
    assert threshold[0][0] == daily[0][0] and threshold[0][1] == "threshold:drift"
    assert {reason for _, reason, _ in threshold} == {"threshold:drift"}
    assert len(threshold) < len(daily)  # holding between crossings saves order days


def test_example_hybrid_config_reviews_on_fridays_and_trades_in_emergencies(market):
    path = Path(__file__).parents[2] / "strategies" / "configs" / "stocks_weekly_hybrid.toml"
    orders = decisions(load_config(path, end=END), market)
    reasons = {reason for _, reason, _ in orders}
    assert reasons == {"hybrid:review+drift", "emergency:drift"}
    reviews = [d for d, reason, _ in orders if reason == "hybrid:review+drift"]
    assert all(d.weekday() == 4 or d in HOLIDAY_MONDAYS for d in reviews)
    # The empty account on the first day with targets is an emergency (its drift is the whole target).
    assert orders[0][:2] == (date(1990, 2, 22), "emergency:drift")


def test_no_trigger_and_daily_kind_are_the_same_replay(market):
    plain = replay(load_config(end=END, optimiser=ROUND), None, market=market)
    daily = replay(load_config(end=END, optimiser=ROUND, trigger={"kind": "daily"}), None, market=market)
    np.testing.assert_array_equal(plain.nav, daily.nav)
