"""``tradesim rebalance``: CSV in; drift and trades out as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tradesim.cli import main


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("asset,value\nUS,50000\nINTL,15000\nBONDS,30000\nRE,5000\n")
    targets = tmp_path / "targets.csv"
    targets.write_text("asset,target\nUS,0.4\nINTL,0.2\nBONDS,0.3\nRE,0.1\n")
    return holdings, targets


def test_json_has_drift_trades_and_costs(files, capsys) -> None:  # noqa: ANN001
    assert main(["rebalance", *map(str, files), "--format", "json", "--cost-rate", "0.001", "--fixed-cost", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rebalance_needed"] is True
    assert out["max_drift"] == pytest.approx(0.10)
    assert [(t["asset"], t["side"], t["amount"]) for t in out["trades"]] == [
        ("US", "SELL", pytest.approx(10_000)), ("INTL", "BUY", pytest.approx(5_000)), ("RE", "BUY", pytest.approx(5_000))]
    assert out["turnover"] == pytest.approx(20_000)
    assert out["estimated_cost"] == pytest.approx(35.0)
    assert {a["asset"]: a["drift"] for a in out["assets"]} == pytest.approx({"US": 0.1, "INTL": -0.05, "BONDS": 0.0, "RE": -0.05})


def test_csv_is_one_row_per_asset_with_its_trade_then_the_totals(files, capsys) -> None:  # noqa: ANN001
    assert main(["rebalance", *map(str, files), "--format", "csv", "--cost-rate", "0.001", "--fixed-cost", "10"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["asset"] for r in rows] == ["US", "INTL", "BONDS", "RE", "total"]
    # The course's $10 + 0.1% a trade: 10 + 10 on the 10,000 sale, 10 + 5 on each 5,000 purchase.
    assert [r["cost"] for r in rows[:4]] == ["20.0", "15.0", "", "15.0"]
    assert float(rows[4]["value"]) == 100_000 and float(rows[4]["amount"]) == 20_000 and float(rows[4]["cost"]) == 50
    assert rows[0]["side"] == "SELL" and float(rows[0]["amount"]) == pytest.approx(10_000)
    assert rows[2]["side"] == "" and rows[2]["amount"] == ""  # on target
    assert float(rows[3]["drift"]) == pytest.approx(-0.05)


def test_table_inside_the_band_says_no_trades(tmp_path, files, capsys) -> None:  # noqa: ANN001
    _, targets = files
    holdings = tmp_path / "near.csv"
    # quantity x price: 420 x 100, 190 x 100, 290 x 100, 100 x 100
    holdings.write_text("asset,quantity,price\nUS,420,100\nINTL,190,100\nBONDS,290,100\nRE,100,100\n")
    assert main(["rebalance", str(holdings), str(targets)]) == 0
    out = capsys.readouterr().out
    assert "within the 5.00% threshold: hold" in out and "no trades" in out and "+2.00%" in out
    assert main(["rebalance", str(holdings), str(targets), "--force"]) == 0
    out = capsys.readouterr().out
    assert "(forced)" in out and "SELL" in out and "2,000.00" in out


@pytest.mark.parametrize(
    ("holdings", "targets", "message"),
    [
        ("asset,value\nUS,abc\n", "asset,target\nUS,1\n", "holdings.csv: line 2: field 'value': 'abc' is not a number"),
        ("asset,amount\nUS,1\n", "asset,target\nUS,1\n", "holdings.csv: needs a column value or quantity+price"),
        ("asset,value\nUS,1\nUS,2\n", "asset,target\nUS,1\n", "line 3: asset 'US' appears twice"),
        ("asset,value\nUS,1\n", "asset,target\nUS,0.5\n", "rebalance: targets sum to 0.5, not 1"),
        ("asset,value\nUS,1\nRE,1\n", "asset,weight\nUS,1\n", "rebalance: asset 'RE' is held but has no target"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path, capsys, holdings, targets, message) -> None:  # noqa: ANN001
    h, t = tmp_path / "holdings.csv", tmp_path / "targets.csv"
    h.write_text(holdings)
    t.write_text(targets)
    assert main(["rebalance", str(h), str(t)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0


def test_share_quantities_where_the_holdings_give_prices(tmp_path, files, capsys) -> None:  # noqa: ANN001
    _, targets = files
    holdings = tmp_path / "shares.csv"
    holdings.write_text("asset,quantity,price\nUS,500,100\nINTL,300,50\nBONDS,1000,30\nRE,40,125\n")
    assert main(["rebalance", str(holdings), str(targets), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Worth 50,000 + 15,000 + 30,000 + 5,000: sell 10,000 of US at 100 = 100 shares, buy 5,000 of
    # INTL at 50 = 100 shares and 5,000 of RE at 125 = 40 shares.
    assert [(t["asset"], t["side"], t["quantity"], t["price"]) for t in out["trades"]] == [
        ("US", "SELL", 100, 100.0), ("INTL", "BUY", 100, 50.0), ("RE", "BUY", 40, 125.0)]


def test_partial_rebalance_trades_to_the_bands_edge(files, capsys) -> None:  # noqa: ANN001
    """US is 10 points over its 40% target: with a 5% band it sells to 45%, not 40%; INTL and RE
    are exactly at their band's edge (5 points under) and stay; the 5,000 freed goes to the assets
    inside the band (INTL 0.2, BONDS 0.3, RE 0.1 of targets): 5,000 x 2/6, 3/6 and 1/6."""
    assert main(["rebalance", *map(str, files), "--format", "json", "--band"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "band"
    trades = {t["asset"]: (t["side"], t["amount"]) for t in out["trades"]}
    assert trades == {"US": ("SELL", pytest.approx(5_000)), "INTL": ("BUY", pytest.approx(5_000 / 3)),
                      "BONDS": ("BUY", pytest.approx(2_500)), "RE": ("BUY", pytest.approx(5_000 / 6))}


def test_missing_file(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["rebalance", str(tmp_path / "nope.csv"), str(tmp_path / "t.csv")]) == 2
    assert "holdings file not found" in capsys.readouterr().err
