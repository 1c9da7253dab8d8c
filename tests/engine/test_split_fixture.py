"""A 3:2 split and a dividend to the cent, on a hand-computed fixture (tests/fixtures/actions).

Capital 1,000 (sizing on it: fixed), X at a fixed 70% weight, as-traded closes, orders
fill at the next close, no costs; the actions file gives a 3:2 split on 03-05 and a
0.50 dividend on 03-06 (pay date 03-07) with 15% withheld.

03-01  close 100: target 700/100 = 7, order +7.                      cash 1,000    NAV 1,000
03-04  close 70: buy 7 @ 70 (cash -490); target 700/70 = 10, order +3. cash 510     NAV 1,000
03-05  3:2 split (ex-date), close 50:
       7 x 1.5 = 10.5 shares: 10 kept, 0.5 x 50 = 25 paid in cash;
       the pending +3 becomes 3 x 1.5 = 4.5 -> 4 (whole shares, toward zero);
       buy 4 @ 50 (cash -200): cash 510 + 25 - 200 = 335, 14 shares, NAV 335 + 700 = 1,035;
       price P&L 10.5 x 50 - 7 x 70 = +35; target 700/50 = 14: no order.
03-06  dividend 0.50 (ex-date), close 49.5: 14 x 0.50 = 7.00 gross, 1.05 withheld:
       cash 335 + 5.95 = 340.95, NAV 340.95 + 14 x 49.5 = 1,033.95;
       price P&L 14 x (49.5 - 50) = -7, income 5.95: NAV change -1.05.
03-07  close 49.5: nothing moves.                                     cash 340.95   NAV 1,033.95
With dividends.credit_on = "pay_date" the 5.95 is owed (in NAV) on 03-06 and reaches cash on 03-07.
"""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from db.models import CashFlow, Equity, Fill, Order, PositionRow
from db.session import open_engine
from tradesim.config import load_config
from tradesim.paper import paper_run
from tradesim.replay import replay

FIXTURE = Path(__file__).parent.parent / "fixtures" / "actions" / "split_3_2.toml"
D = [date(2024, 3, d) for d in (1, 4, 5, 6, 7)]


def run(tmp_path: Path, **sets: str) -> dict:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    replay(load_config(FIXTURE, sets=[f"{k}={v}" for k, v in sets.items()]), url)
    engine = open_engine(url)
    with engine.connect() as conn:
        out = {
            "equity": [tuple(r) for r in conn.execute(select(Equity.day, Equity.cash, Equity.nav, Equity.price_pnl,
                                                             Equity.income, Equity.net_pnl).order_by(Equity.day))],
            "positions": [tuple(r) for r in conn.execute(select(PositionRow.day, PositionRow.quantity)
                                                         .order_by(PositionRow.day))],
            "orders": [tuple(r) for r in conn.execute(select(Order.day, Order.quantity, Order.status).order_by(Order.day))],
            "fills": [tuple(r) for r in conn.execute(select(Fill.day, Fill.decided_on, Fill.quantity, Fill.price)
                                                     .order_by(Fill.day))],
            "flows": [tuple(r) for r in conn.execute(select(CashFlow.day, CashFlow.kind, CashFlow.external,
                                                            CashFlow.amount, CashFlow.currency, CashFlow.amount_base,
                                                            CashFlow.note).order_by(CashFlow.id))],
        }
    engine.dispose()
    return out


def approx_rows(rows: list[tuple]) -> list[tuple]:
    return [tuple(pytest.approx(v, abs=1e-9) if isinstance(v, float) else v for v in r) for r in rows]


def test_a_3_for_2_split_pays_the_fractional_share_in_cash_and_rescales_the_pending_order(tmp_path: Path) -> None:
    got = run(tmp_path)
    assert got["positions"] == [(D[1], 7), (D[2], 14), (D[3], 14), (D[4], 14)]
    assert got["orders"] == [(D[0], 7, "filled"), (D[1], 3, "filled")]
    assert got["fills"] == [(D[1], D[0], 7, 70), (D[2], D[1], 4, 50)]  # the order for 3 filled as 4
    assert got["flows"] == approx_rows([
        (D[2], "split_cash", False, 25.0, "USD", 25.0, "3:2 split: 0.5 share at 50 paid in cash"),
        (D[3], "dividend", False, 7.0, "USD", 7.0, "0.5/share on 14"),
        (D[3], "withholding", False, -1.05, "USD", -1.05, "0.15 of 7.00 withheld"),
    ])
    assert got["equity"] == approx_rows([
        (D[0], 1000.0, 1000.0, 0.0, 0.0, 0.0),
        (D[1], 510.0, 1000.0, 0.0, 0.0, 0.0),
        (D[2], 335.0, 1035.0, 35.0, 0.0, 35.0),
        (D[3], 340.95, 1033.95, -7.0, 5.95, -1.05),
        (D[4], 340.95, 1033.95, 0.0, 0.0, 0.0),
    ])


def test_paid_on_the_pay_date_the_dividend_is_owed_in_nav_until_the_cash_arrives(tmp_path: Path) -> None:
    got = run(tmp_path, **{"dividends.credit_on": '"pay_date"'})
    assert [(r[0], r[1], r[3]) for r in got["flows"]] == approx_rows([
        (D[2], "split_cash", 25.0), (D[4], "dividend", 7.0), (D[4], "withholding", -1.05)])
    assert got["equity"][3:] == approx_rows([
        (D[3], 335.0, 1033.95, -7.0, 5.95, -1.05),  # earned on the ex-date, not yet paid
        (D[4], 340.95, 1033.95, 0.0, 0.0, 0.0),
    ])


def test_a_paper_account_stopped_between_ex_date_and_pay_date_still_gets_the_dividend(tmp_path: Path) -> None:
    """The receivable is rebuilt from the ledger's dividend rows dated after the last processed day."""
    sets = ['dividends.credit_on="pay_date"', 'start="2024-03-01"']
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    for as_of in (D[3], D[4]):  # the first run stops on the ex-date, with the dividend owed
        paper_run(load_config(FIXTURE, sets=sets), url, as_of)
    replay(load_config(FIXTURE, sets=sets), url)
    engine = open_engine(url)
    with engine.connect() as conn:
        rows = {run: [tuple(r) for r in conn.execute(
            select(Equity.day, Equity.cash, Equity.nav, Equity.price_pnl, Equity.income)
            .where(Equity.run_id == run).order_by(Equity.day))] for run in (1, 2)}
        flows = {run: [tuple(r) for r in conn.execute(select(CashFlow.day, CashFlow.kind, CashFlow.amount_base)
                                                      .where(CashFlow.run_id == run).order_by(CashFlow.id))]
                 for run in (1, 2)}
    engine.dispose()
    assert rows[1] == rows[2] and flows[1] == flows[2]
    assert rows[1][3:] == approx_rows([(D[3], 335.0, 1033.95, -7.0, 5.95), (D[4], 340.95, 1033.95, 0.0, 0.0)])


def test_the_cli_replays_the_fixture_and_a_bad_actions_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    ok = subprocess.run(["tradesim", "replay", str(FIXTURE), "--db", str(tmp_path / "ok.db")],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    bad = tmp_path / "actions.csv"
    bad.write_text("symbol,ex_date,kind,value\nX,2024-03-05,split,1.5\nX,2024-03-06,bonus,2\n")
    config = tmp_path / "bad.toml"
    config.write_text(FIXTURE.read_text().replace('path = "closes.csv"', f'path = "{FIXTURE.parent / "closes.csv"}"')
                      .replace('actions = "actions.csv"', f'actions = "{bad}"'))
    failed = subprocess.run(["tradesim", "replay", str(config), "--db", str(tmp_path / "bad.db")],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"error: {bad}: line 3: field 'kind': 'bonus' is not one of split, dividend"
    assert "Traceback" not in failed.stdout + failed.stderr
