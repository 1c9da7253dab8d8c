"""Attribution of a recorded run, by hand (tests/fixtures/attribution: two stocks, three month ends).

Capital 10,000; AAA 50%, BBB 30%, rounded, no costs, fills at the next close.
  day        AAA  BBB  orders               after the fills: cash, AAA, BBB, NAV
  01-30      100   50  buy 50, buy 60       10,000, 0, 0, 10,000
  01-31      100   50  -                    2,000, 50, 60, 10,000
  02-01      110   50  sell 2, buy 3        2,000, 50, 60, 10,500
  02-02      110   45  sell 2, buy 5        2,085, 48, 63, 10,200
  02-29      121   45  sell 2, buy 4        2,102, 46, 68, 10,728
  03-01      121   54                       2,128, 44, 72, 11,340
Periods open at the previous month's last close (the first at the first close):
  2024-01 (01-30 to 01-31): all cash; return 0.
  2024-02 (01-31 to 02-29): weights AAA 0.5, BBB 0.3, cash 0.2; returns AAA +21%, BBB -10%:
      buy-and-hold 0.075, actual 10,728 / 10,000 - 1 = 0.0728, trading -0.0022.
      Against AAA 50% / BBB 50% (return 0.055), Brinson-Fachler allocation:
      BBB (0.3 - 0.5)(-0.10 - 0.055) = 0.031, cash (0.2 - 0)(0 - 0.055) = -0.011: 0.02.
  2024-03 (02-29 to 03-01): weights 5,566, 3,060, 2,102 over 10,728; AAA 0%, BBB +20%:
      0.057047 both ways (the fills at 121 and 54 are at the closing prices); benchmark 0.10.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine

from tradesim.config import load_config
from tradesim.replay import replay
from tradesim.run_attribution import AttributionError, attribute_run

FIXTURE = Path(__file__).parents[1] / "fixtures" / "attribution" / "two_stocks.toml"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))
MIX = {"AAA": 0.5, "BBB": 0.5}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("attr") / "l.db"
    run = replay(load_config(FIXTURE), f"sqlite:///{path}").run_id
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        yield path, conn, run
    engine.dispose()


def test_weights_returns_and_effects_by_hand(ledger) -> None:
    _, conn, run = ledger
    a = attribute_run(conn, run, MIX, by="instrument", freq="M")
    table = a.table()
    assert list(table.index) == ["2024-01", "2024-02", "2024-03"]
    w = 3_060 / 10_728
    np.testing.assert_allclose(a.attribution.portfolio_return, [0.0, 0.075, w * 0.2], atol=1e-12)
    np.testing.assert_allclose(a.portfolio_actual, [0.0, 0.0728, 11_340 / 10_728 - 1], atol=1e-12)
    np.testing.assert_allclose(a.trading, [0.0, -0.0022, 0.0], atol=1e-12)
    np.testing.assert_allclose(a.benchmark_actual, [0.0, 0.055, 0.10], atol=1e-12)
    alloc = a.attribution.allocation
    assert alloc.loc["2024-02", "BBB"] == pytest.approx(0.031) and alloc.loc["2024-02", "cash"] == pytest.approx(-0.011)
    assert alloc.loc["2024-02", "AAA"] == pytest.approx(0.0, abs=1e-15)
    assert alloc.loc["2024-03", "AAA"] == pytest.approx((5_566 / 10_728 - 0.5) * -0.1)
    assert alloc.loc["2024-03", "cash"] == pytest.approx(2_102 / 10_728 * -0.1)
    assert a.attribution.selection.abs().to_numpy().max() < 1e-15  # same instruments, same returns
    # Linked over the run, the effects add to the compounded active return of the opening books.
    assert a.attribution.total()["total"] == pytest.approx(1.075 * (1 + w * 0.2) - 1.055 * 1.10, abs=1e-12)


def test_a_run_against_itself_has_no_effects(ledger) -> None:
    _, conn, run = ledger
    a = attribute_run(conn, run, run, by="asset_class", freq="M", method="bhb")
    assert a.attribution.total().abs().max() < 1e-15
    np.testing.assert_allclose(a.portfolio_actual, a.benchmark_actual)


def test_by_asset_class_uses_the_instruments_classes(ledger) -> None:
    _, conn, run = ledger
    a = attribute_run(conn, run, {"Growth": 0.5, "Value": 0.5}, freq="M")
    by_instrument = attribute_run(conn, run, MIX, by="instrument", freq="M")
    assert list(a.attribution.allocation.columns) == ["Growth", "Value", "cash"]
    np.testing.assert_allclose(a.attribution.allocation.to_numpy(), by_instrument.attribution.allocation.to_numpy())


def test_mistakes_name_the_problem(ledger) -> None:
    _, conn, run = ledger
    with pytest.raises(AttributionError, match="no asset class 'AAA' in run 1 \\(it has Growth, Value\\)"):
        attribute_run(conn, run, MIX)
    with pytest.raises(AttributionError, match="sum to 0.9, not 1"):
        attribute_run(conn, run, {"AAA": 0.4, "BBB": 0.5}, by="instrument")
    with pytest.raises(AttributionError, match="--freq must be M, Q or Y"):
        attribute_run(conn, run, MIX, by="instrument", freq="W")


def test_tradesim_attribution_prints_periods_and_the_linked_row(ledger) -> None:
    path, _, run = ledger
    out = subprocess.run([TRADESIM, "attribution", str(run), "--db", str(path), "-b", "AAA=0.5,BBB=0.5",
                          "--by", "instrument", "--freq", "M", "--format", "json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["period"] for r in rows] == ["2024-01", "2024-02", "2024-03", "linked"]
    assert rows[1]["allocation"] == pytest.approx(0.02) and rows[1]["trading"] == pytest.approx(-0.0022)
    bad = subprocess.run([TRADESIM, "attribution", str(run), "--db", str(path), "-b", "AAA"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--benchmark 'AAA': give a run id or a mix" in bad.stderr


def test_the_report_has_an_attribution_section(ledger) -> None:
    from tradesim.report.build import render_report

    path, conn, run = ledger
    html = render_report(conn, [run], attribution={"benchmark": MIX, "by": "instrument", "freq": "M"}).html
    assert '<section id="attribution">' in html
    assert "<td>2024-02</td><td class=\"num\">+2.00%</td>" in html
