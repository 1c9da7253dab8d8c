"""Cash flows to the cent on a hand-computed fixture (tests/fixtures/cash_flows).

Capital 10,000 USD; AAA at a fixed 80% weight, rounded to whole shares, no costs, orders
fill at the next close. A gift of +1,000 on Wed 27 March 2024; the endowment spends 4% a
year, paid quarterly on the quarter's last session (Thu 28 March: Good Friday is shut) on
that close's NAV; a withdrawal of -500 dated Saturday 30 March is paid on Monday 1 April.

03-25 close 100: NAV 10,000; target 0.8 x 10,000 / 100 = 80: buy 80.
03-26 close 101: buy 80 @101: cash 10,000 - 8,080 = 1,920; NAV 1,920 + 8,080 = 10,000.
                 target 0.8 x 10,000 / 101 = 79.21 -> 79: sell 1.
03-27 close  99: sell 1 @99: cash 2,019; NAV 2,019 + 79 x 99 = 9,840.
                 gift +1,000: cash 3,019, NAV 10,840. Return (10,840 - 1,000) / 10,000 - 1 = -1.6%.
                 target 0.8 x 10,840 / 99 = 87.60 -> 88: buy 9.
03-28 close 100: buy 9 @100: cash 2,119; NAV before flows 2,119 + 8,800 = 10,919.
                 spending 0.04 / 4 x 10,919 = 109.19: cash 2,009.81, NAV 10,809.81.
                 Return 10,919 / 10,840 - 1. Target 0.8 x 10,809.81 / 100 = 86.48 -> 86: sell 2.
04-01 close 102: sell 2 @102: cash 2,213.81; NAV before 2,213.81 + 86 x 102 = 10,985.81.
                 withdrawal -500: cash 1,713.81, NAV 10,485.81. Target 82.24 -> 82: sell 4.
04-02 close 104: sell 4 @104: cash 2,129.81; NAV 2,129.81 + 82 x 104 = 10,657.81.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import CashFlow, Equity, Order
from db.session import open_engine
from tradesim.config import load_config
from tradesim.metrics import DAYS_PER_YEAR, daily_returns, money_weighted_return, summarise
from tradesim.replay import replay

FIXTURE = Path(__file__).parent.parent / "fixtures" / "cash_flows" / "endowment.toml"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))
CENT = 0.005
DAYS = [date(2024, 3, 25), date(2024, 3, 26), date(2024, 3, 27), date(2024, 3, 28), date(2024, 4, 1), date(2024, 4, 2)]
NAV = [10_000.0, 10_000.0, 10_840.0, 10_809.81, 10_485.81, 10_657.81]
CASH = [10_000.0, 1_920.0, 3_019.0, 2_009.81, 1_713.81, 2_129.81]
FLOWS = [0.0, 0.0, 1_000.0, -109.19, -500.0, 0.0]
RETURNS = [0.0, 0.0, 9_840 / 10_000 - 1, 10_919 / 10_840 - 1, 10_985.81 / 10_809.81 - 1, 10_657.81 / 10_485.81 - 1]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('flows') / 'ledger.db'}"
    result = replay(load_config(FIXTURE), url)
    engine = open_engine(url)
    with engine.connect() as conn:
        yield result, conn
    engine.dispose()


def test_nav_and_cash_move_by_each_flow_to_the_cent(ledger) -> None:
    result, conn = ledger
    rows = conn.execute(select(Equity.day, Equity.nav, Equity.cash).order_by(Equity.day)).all()
    assert [r.day for r in rows] == DAYS
    np.testing.assert_allclose([r.nav for r in rows], NAV, atol=CENT)
    np.testing.assert_allclose([r.cash for r in rows], CASH, atol=CENT)
    np.testing.assert_allclose(result.external_flows, FLOWS, atol=CENT)


def test_the_ledger_records_every_flow(ledger) -> None:
    _, conn = ledger
    rows = conn.execute(select(CashFlow.day, CashFlow.kind, CashFlow.external, CashFlow.amount, CashFlow.currency,
                               CashFlow.fx, CashFlow.amount_base, CashFlow.instrument_id, CashFlow.note)
                        .order_by(CashFlow.day)).all()
    assert [(r.day, r.kind, r.external, r.currency, r.instrument_id) for r in rows] == [
        (date(2024, 3, 27), "contribution", True, "USD", None),
        (date(2024, 3, 28), "spending", True, "USD", None),
        (date(2024, 4, 1), "withdrawal", True, "USD", None),
    ]
    np.testing.assert_allclose([r.amount for r in rows], [1_000.0, -109.19, -500.0], atol=1e-9)
    assert [r.amount_base for r in rows] == [r.amount for r in rows] and {r.fx for r in rows} == {1.0}
    assert rows[0].note == "gift"
    assert rows[1].note == "4.00% a year of 10,919.00, the mean NAV of 1 payment day"


def test_pnl_excludes_the_owners_money(ledger) -> None:
    _, conn = ledger
    pnl = conn.execute(select(Equity.net_pnl).order_by(Equity.day)).scalars().all()
    # 03-27: 9,840 - 10,000; 03-28: 10,919 - 10,840; 04-01: 10,985.81 - 10,809.81; 04-02: 172.
    np.testing.assert_allclose(pnl, [0.0, 0.0, -160.0, 79.0, 176.0, 172.0], atol=CENT)


def test_orders_follow_the_nav_the_flows_leave(ledger) -> None:
    _, conn = ledger
    orders = conn.execute(select(Order.day, Order.quantity).order_by(Order.day)).all()
    assert [(d, q) for d, q in orders] == [(DAYS[0], 80), (DAYS[1], -1), (DAYS[2], 9), (DAYS[3], -2), (DAYS[4], -4)]


def test_returns_are_time_weighted_and_money_weighted(ledger) -> None:
    result, _ = ledger
    s = result.summary
    np.testing.assert_allclose(daily_returns(result.nav, 10_000.0, result.external_flows), RETURNS, atol=1e-12)
    twr = np.prod(1 + np.array(RETURNS))  # 1.0578... over 6 days, not 10,657.81 / 10,000
    assert s.annual_return == pytest.approx(twr ** (DAYS_PER_YEAR / 6) - 1, rel=1e-12)
    assert s.external_flows == pytest.approx(1_000 - 109.19 - 500, abs=1e-9)
    # The money-weighted return balances the owner's flows: 10,000 in at day 0, the gift in at
    # day 3, spending and the withdrawal out at days 4 and 5, the final NAV out at day 6.
    g = s.money_weighted_return
    v = lambda cash, day: cash * (1 + g) ** (-day / DAYS_PER_YEAR)  # noqa: E731
    assert -10_000 + v(-1_000, 3) + v(109.19, 4) + v(500, 5) + v(10_657.81, 6) == pytest.approx(0, abs=1e-6)
    # More money was in while the price rose (27 March to 2 April) than at the start.
    assert g > s.annual_return


def test_money_weighted_equals_time_weighted_without_flows() -> None:
    nav = np.array([101.0, 99.0, 104.0, 103.0])
    s = summarise(nav, 100.0, np.zeros(4), np.zeros(4), 0)
    assert s.money_weighted_return == pytest.approx(s.annual_return, rel=1e-9)
    assert money_weighted_return(nav, 100.0, np.zeros(4)) == pytest.approx((1.03) ** (DAYS_PER_YEAR / 4) - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.05, 0.05), st.floats(-500, 5_000)), min_size=1, max_size=40))
def test_a_flow_is_never_performance(days) -> None:
    """Whatever flows come and go, the time-weighted returns are the portfolio's own."""
    r = np.array([d[0] for d in days])
    flows = np.array([d[1] for d in days])
    nav, prev = np.empty(len(days)), 10_000.0
    for k in range(len(days)):
        nav[k] = prev * (1 + r[k]) + flows[k]
        prev = nav[k]
    np.testing.assert_allclose(daily_returns(nav, 10_000.0, flows), r, atol=1e-9)


def test_buy_and_hold_invests_flows_pro_rata() -> None:
    config = load_config(FIXTURE, trigger={"kind": "never"})
    result = replay(config, None)
    # 03-25 buys 80 (initial), then holds: 80 x 101 = 8,080. On 03-27 NAV 1,920 + 80 x 99 = 9,840,
    # the gift makes it 10,840: 80 x 10,840 / 9,840 = 88.13 -> buy 8 at 100 on 03-28, reason cash_flow.
    # 03-28: cash 2,920 - 800 = 2,120, NAV 2,120 + 8,800 = 10,920, spending 109.20.
    assert result.nav[2] == pytest.approx(10_840.0, abs=CENT)
    assert result.external_flows[3] == pytest.approx(-109.20, abs=CENT)
    assert result.nav[3] == pytest.approx(10_920.0 - 109.20, abs=CENT)


def test_buy_and_hold_orders_carry_the_cash_flow_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    replay(load_config(FIXTURE, trigger={"kind": "never"}), url)
    engine = open_engine(url)
    with engine.connect() as conn:
        orders = conn.execute(select(Order.day, Order.quantity, Order.reason).order_by(Order.day)).all()
    engine.dispose()
    # 03-28 spending: 88 x 10,810.80 / 10,920 = 87.12 -> sell 1; 04-01: NAV 10,810.80 - 100 + 87 x 102
    # ... pro rata again for the withdrawal.
    assert [tuple(o) for o in orders[:3]] == [(DAYS[0], 80, "initial"), (DAYS[2], 8, "cash_flow"),
                                                (DAYS[3], -1, "cash_flow")]
    assert {o.reason for o in orders[1:]} == {"cash_flow"} and len(orders) == 4


def test_smoothed_spending_averages_the_trailing_payment_days() -> None:
    from tradesim.cash_flows import SpendingRule
    from tradesim.replay import load_market

    config = load_config(FIXTURE, spending={"rate": 0.04, "frequency": "Q", "smoothing_years": 1})
    rule = SpendingRule(config, load_market(config))
    assert rule.window == 4 and list(np.flatnonzero(rule.paydays)) == [3]
    flow, history = rule.pay(3, 12_000.0, (9_000.0, 10_000.0, 11_000.0, 13_000.0))
    assert history == (10_000.0, 11_000.0, 13_000.0, 12_000.0)
    assert flow.amount == pytest.approx(-0.01 * 11_500.0) and flow.kind == "spending"
    assert rule.pay(2, 12_000.0, history) == (None, history)


def test_a_flow_before_the_first_day_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text(FIXTURE.read_text().replace('path = "closes.csv"', f'path = "{FIXTURE.parent / "closes.csv"}"')
                      .replace("date = 2024-03-27", "date = 2024-03-01"))
    db = tmp_path / "x.db"
    out = subprocess.run([TRADESIM, "replay", str(config), "--db", str(db)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().endswith("field 'cash_flows.0.date': 2024-03-01 is before the account's first day "
                                       "2024-03-25")


def test_a_zero_flow_is_refused_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "p.toml"
    config.write_text(FIXTURE.read_text().replace("amount = 1000", "amount = 0"))
    out = subprocess.run([TRADESIM, "replay", str(config), "--db", str(tmp_path / "x.db")], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "field 'cash_flows.0': amount must not be 0" in out.stderr


def test_a_paper_account_pays_the_same_flows_day_by_day_as_at_once(tmp_path: Path) -> None:
    from sqlalchemy import text

    from tradesim.paper import paper_run, spending_navs

    config = load_config(FIXTURE, start="2024-03-25")
    ledgers = []
    for name, stops in (("once", DAYS[-1:]), ("daily", DAYS)):
        url = f"sqlite:///{tmp_path / name}.db"
        for as_of in stops:
            paper_run(config, url, as_of=as_of)
        engine = open_engine(url)
        with engine.connect() as conn:
            ledgers.append((conn.execute(text("SELECT day, nav, cash FROM equity ORDER BY day")).all(),
                            conn.execute(text("SELECT day, kind, amount FROM cash_flows ORDER BY day")).all()))
            # What a resumed account's spending rule averages: the NAV before 28 March's flows.
            assert spending_navs(conn, 1) == pytest.approx((10_919.0,))
        engine.dispose()
    assert ledgers[0] == ledgers[1]
    np.testing.assert_allclose([r.nav for r in ledgers[0][0]], NAV, atol=CENT)


def test_the_report_shows_the_flows_and_both_returns(ledger, tmp_path: Path) -> None:
    from tradesim.report.build import render_report
    from tradesim.report.tables import run_summary
    from tradesim.report.ledger import load_run

    result, conn = ledger
    run = load_run(conn, result.run_id)
    s = run_summary(run)
    assert s.annual_return == pytest.approx(result.summary.annual_return, rel=1e-12)
    assert s.money_weighted_return == pytest.approx(result.summary.money_weighted_return, rel=1e-9)
    html = render_report(conn, [result.run_id]).html
    assert "totals in USD: contribution +1,000.00, spending -109.19, withdrawal -500.00" in html
    # Six days: the report gives the time-weighted total return, not an annualised one.
    assert f"<th>Total return (time-weighted)</th><td>{s.total_return:.2%}</td>" in html
    assert s.total_return == pytest.approx(np.prod(1 + np.array(RETURNS)) - 1, rel=1e-12)
    assert f"<th>Money-weighted return</th><td>{s.money_weighted_return:.2%}</td>" in html
    assert "<th>Net cash flows</th><td>+390.81 USD</td>" in html


def test_paper_run_prints_the_owners_flows(tmp_path: Path) -> None:
    import json

    out = subprocess.run([TRADESIM, "paper", "run", str(FIXTURE), "--db", str(tmp_path / "p.db"), "--as-of",
                          "2024-04-02", "--set", "start=2024-03-25"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "  contribution +1,000.00 USD (gift)" in out.stdout
    assert "  spending -109.19 USD (4.00% a year of 10,919.00, the mean NAV of 1 payment day)" in out.stdout
    assert "  withdrawal -500.00 USD" in out.stdout
    doc = subprocess.run([TRADESIM, "paper", "run", str(FIXTURE), "--db", str(tmp_path / "q.db"), "--as-of",
                          "2024-04-02", "--set", "start=2024-03-25", "--format", "json"], capture_output=True,
                         text=True, timeout=120)
    sessions = json.loads(doc.stdout)["sessions"]
    assert [f["kind"] for s in sessions for f in s["cash_flows"]] == ["contribution", "spending", "withdrawal"]
