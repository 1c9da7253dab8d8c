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


def replayed(folder: Path, config: Path):  # noqa: ANN201
    """The fixture replayed into a ledger of its own: (path, an open connection, run id)."""
    path = folder / "l.db"
    run = replay(load_config(config), f"sqlite:///{path}").run_id
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        yield path, conn, run
    engine.dispose()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    yield from replayed(tmp_path_factory.mktemp("attr"), FIXTURE)


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


FUTURES_FIXTURE = FIXTURE.parent / "two_futures.toml"
FUTURES_MIX = {"Equity": 0.5, "Bond": 1.0, "cash": -0.5}


@pytest.fixture(scope="module")
def futures_ledger(tmp_path_factory):
    """Capital 100,000 USD, no costs, bought once at the 31 January close and held:
    FUTA (USD, x10) 0.5 x 100,000 / (10 x 100) = 50 contracts; FUTB (EUR, x100)
    1.0 x 100,000 / (100 x 125 x 1.10) = 7.27, rounded to 7.
      day    FUTA  FUTB  EURUSD  variation margin (USD)                         NAV
      01-30   100   125   1.10                                                   100,000
      01-31   100   125   1.10   (filled at the close: nothing)                  100,000
      02-01   105   126   1.12   50 x 5 x 10 = 2,500; 7 x 1 x 100 x 1.12 = 784   103,284
      02-29   110   124   1.08   2,500; 7 x -2 x 100 x 1.08 = -1,512             104,272
      03-01   110   125   1.10   0; 7 x 1 x 100 x 1.10 = 770                     105,042
    """
    yield from replayed(tmp_path_factory.mktemp("futures_attr"), FUTURES_FIXTURE)


def test_futures_weights_are_notional_exposure_over_nav_and_returns_are_variation_margin(futures_ledger) -> None:
    """2024-02 opens at the 31 January close: FUTA 50 x 100 x 10 = 50,000 (0.5 of NAV), FUTB
    7 x 125 x 100 x 1.10 = 96,250 (0.9625), cash 1 - 1.4625 = -0.4625. Returns per unit of
    opening notional: FUTA (5 + 5) / 100 = 10%; FUTB (1 x 1.12 - 2 x 1.08) / (125 x 1.10)
    = -1.04 / 137.5. Their sum, 0.5 x 0.1 + 0.9625 x -1.04 / 137.5 = 0.04272, is NAV's
    4,272 / 100,000 exactly: a bought-and-held futures book leaves nothing to trading.
    2024-03 opens at 29 February: FUTA 55,000, FUTB 7 x 124 x 100 x 1.08 = 93,744 over
    104,272; FUTB earns 1 x 1.10 / (124 x 1.08)."""
    _, conn, run = futures_ledger
    a = attribute_run(conn, run, FUTURES_MIX, by="asset_class", freq="M")
    bond_feb, bond_mar = -1.04 / 137.5, 1.10 / (124 * 1.08)
    np.testing.assert_allclose(a.attribution.portfolio_return, [0.0, 0.04272, 93_744 / 104_272 * bond_mar],
                               atol=1e-12)
    np.testing.assert_allclose(a.portfolio_actual, [0.0, 0.04272, 770 / 104_272], atol=1e-12)
    np.testing.assert_allclose(a.trading, [0.0, 0.0, 0.0], atol=1e-12)
    # The mix: Equity 50%, Bond 100%, cash -50%, i.e. the same leverage, bond-heavier.
    bench_feb = 0.5 * 0.1 + bond_feb
    np.testing.assert_allclose(a.benchmark_actual, [0.0, bench_feb, bond_mar], atol=1e-12)
    alloc = a.attribution.allocation
    assert alloc.loc["2024-02", "Bond"] == pytest.approx((0.9625 - 1.0) * (bond_feb - bench_feb), abs=1e-12)
    assert alloc.loc["2024-02", "Equity"] == pytest.approx(0.0, abs=1e-15)
    assert alloc.loc["2024-02", "cash"] == pytest.approx((-0.4625 + 0.5) * (0.0 - bench_feb), abs=1e-12)
    assert alloc.loc["2024-03", "Bond"] == pytest.approx((93_744 / 104_272 - 1.0) * (bond_mar - bond_mar), abs=1e-12)
    assert alloc.loc["2024-03", "Equity"] == pytest.approx((55_000 / 104_272 - 0.5) * (0.0 - bond_mar), abs=1e-12)
    assert alloc.loc["2024-03", "cash"] == pytest.approx(
        (1 - 148_744 / 104_272 + 0.5) * (0.0 - bond_mar), abs=1e-12)
    assert a.attribution.selection.abs().to_numpy().max() < 1e-15
    assert a.attribution.total()["total"] == pytest.approx(
        1.04272 * (1 + 770 / 104_272) - (1 + bench_feb) * (1 + bond_mar), abs=1e-12)
    from tradesim.report.ledger import load_run
    from tradesim.run_attribution import _market, period_bounds, run_book

    recorded = load_run(conn, run)
    bounds, labels = period_bounds(recorded.days, "M")
    book = run_book(recorded, _market(recorded), bounds, labels, "instrument")
    np.testing.assert_allclose(book.weights.loc["2024-02", ["FUTA", "FUTB", "cash"]], [0.5, 0.9625, -0.4625])
    np.testing.assert_allclose(book.weights.loc["2024-03", ["FUTA", "FUTB"]], [55_000 / 104_272, 93_744 / 104_272])
    np.testing.assert_allclose(book.returns.loc["2024-02", ["FUTA", "FUTB", "cash"]], [0.1, bond_feb, 0.0])


def test_tradesim_attribution_of_a_futures_run_against_itself_and_by_instrument(futures_ledger) -> None:
    path, conn, run = futures_ledger
    assert attribute_run(conn, run, run, by="instrument", freq="M").attribution.total().abs().max() < 1e-15
    out = subprocess.run([TRADESIM, "attribution", str(run), "--db", str(path), "-b", "FUTA=0.5,FUTB=1.0,cash=-0.5",
                          "--by", "instrument", "--freq", "M", "--format", "json"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["period"] for r in rows] == ["2024-01", "2024-02", "2024-03", "linked"]
    assert rows[1]["portfolio"] == pytest.approx(0.04272) and rows[1]["trading"] == pytest.approx(0.0, abs=1e-12)
    # FUTB under the mix by 0.0375 while FUTB trails the mix by 0.05; cash over it by 0.0375.
    bench_feb = 0.05 - 1.04 / 137.5
    assert rows[1]["allocation"] == pytest.approx(-0.0375 * -0.05 + 0.0375 * -bench_feb, abs=1e-12)
    assert rows[-1]["portfolio"] == pytest.approx(0.05042)
