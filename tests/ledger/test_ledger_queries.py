"""Every history command on the small ledger: exact rows from Python, and from the CLI as table, CSV and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

import tradesim.cli
from db import queries
from tradesim.cli import main

D = date.fromisoformat
B = "bonds-and-stocks"
AT = datetime(2024, 7, 3, 18, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    argv: list[str]
    api: str
    kwargs: dict
    rows: list[tuple]
    table: str  # the table's lines below the title


CASES = {
    "trades of a portfolio's latest run": Case(["trades", "-p", B], "trades", {"portfolio": B}, [
        (2, B, D("2024-06-04"), D("2024-06-03"), "FGBL", "Bond", "EUR", "SELL", -1.0, 130.0, 130.0, 1000.0, 130000.0,
         2.0, 6.0, 8.0, 1.25, "USD", 162500.0, 10.0, "rebalance", -1.0, 4),
        (2, B, D("2024-06-04"), D("2024-06-03"), "SPY", "Equity", "USD", "BUY", 10.0, 500.0, 500.0, 1.0, 5000.0,
         1.0, 0.5, 1.5, 1.0, "USD", 5000.0, 1.5, "rebalance", 10.0, 2),
        (2, B, D("2024-06-04"), D("2024-06-03"), "ZN", "Bond", "USD", "BUY", 2.0, 110.0, 110.0, 1000.0, 220000.0,
         2.0, 10.0, 12.0, 1.0, "USD", 220000.0, 12.0, "rebalance", 2.0, 3),
        (2, B, D("2024-07-01"), D("2024-06-05"), "SPY", "Equity", "USD", "SELL", -4.0, 506.0, 506.0, 1.0, 2024.0,
         1.0, 0.25, 1.25, 1.0, "USD", 2024.0, 1.25, "drift", 6.0, 5),
        (2, B, D("2024-07-02"), D("2024-07-01"), "FGBL", "Bond", "EUR", "BUY", 1.0, 129.0, 129.0, 1000.0, 129000.0,
         2.0, 6.0, 8.0, 1.25, "USD", 161250.0, 10.0, "drift", 0.0, 7),
        (2, B, D("2024-07-02"), D("2024-07-01"), "ZN", "Bond", "USD", "SELL", -2.0, 111.0, 111.0, 1000.0, 222000.0,
         2.0, 10.0, 12.0, 1.0, "USD", 222000.0, 12.0, "drift", 0.0, 6),
    ], """\
 day        symbol qty  price ccy  cost  value USD cost USD reason
 ────────────────────────────────────────────────────────────────────
 2024-06-04 FGBL    -1 130.00 EUR  8.00 162,500.00    10.00 rebalance
 2024-06-04 SPY     10 500.00 USD  1.50   5,000.00     1.50 rebalance
 2024-06-04 ZN       2 110.00 USD 12.00 220,000.00    12.00 rebalance
 2024-07-01 SPY     -4 506.00 USD  1.25   2,024.00     1.25 drift
 2024-07-02 FGBL     1 129.00 EUR  8.00 161,250.00    10.00 drift
 2024-07-02 ZN      -2 111.00 USD 12.00 222,000.00    12.00 drift"""),
    "trades of the latest run by default": Case(["trades"], "trades", {}, [
        (3, "income", D("2024-07-02"), D("2024-07-01"), "SPY", "Equity", "USD", "BUY", 3.0, 507.5, 507.5, 1.0,
         1522.5, 1.0, 0.5, 1.5, 1.0, "USD", 1522.5, 1.5, "rebalance", 3.0, 8),
    ], """\
 day        symbol qty  price ccy cost value USD cost USD reason
 ──────────────────────────────────────────────────────────────────
 2024-07-02 SPY      3 507.50 USD 1.50  1,522.50     1.50 rebalance"""),
    "sells of a run, at most two": Case(["trades", "-r", "2", "--side", "sell", "-n", "2"], "trades",
                                        {"run": 2, "side": "sell", "limit": 2}, [
        (2, B, D("2024-06-04"), D("2024-06-03"), "FGBL", "Bond", "EUR", "SELL", -1.0, 130.0, 130.0, 1000.0, 130000.0,
         2.0, 6.0, 8.0, 1.25, "USD", 162500.0, 10.0, "rebalance", -1.0, 4),
        (2, B, D("2024-07-01"), D("2024-06-05"), "SPY", "Equity", "USD", "SELL", -4.0, 506.0, 506.0, 1.0, 2024.0,
         1.0, 0.25, 1.25, 1.0, "USD", 2024.0, 1.25, "drift", 6.0, 5),
    ], """\
 day        symbol qty  price ccy cost  value USD cost USD reason
 ───────────────────────────────────────────────────────────────────
 2024-06-04 FGBL    -1 130.00 EUR 8.00 162,500.00    10.00 rebalance
 2024-07-01 SPY     -4 506.00 USD 1.25   2,024.00     1.25 drift

1 more row: use --limit N for more, or --format csv for all"""),
    "fills of one symbol": Case(["fills", "-r", "2", "-s", "FGBL"], "fills", {"run": 2, "symbol": "FGBL"}, [
        (2, B, 4, D("2024-06-04"), D("2024-06-03"), "FGBL", "EUR", -1.0, 130.0, 130.0, 2.0, 6.0, 1.25, "USD", 10.0,
         162500.0),
        (2, B, 7, D("2024-07-02"), D("2024-07-01"), "FGBL", "EUR", 1.0, 129.0, 129.0, 2.0, 6.0, 1.25, "USD", 10.0,
         161250.0),
    ], """\
 day        decided    symbol qty  price ccy comm. slip. cost USD
 ────────────────────────────────────────────────────────────────
 2024-06-04 2024-06-03 FGBL    -1 130.00 EUR  2.00  6.00    10.00
 2024-07-02 2024-07-01 FGBL     1 129.00 EUR  2.00  6.00    10.00"""),
    "orders for one reason": Case(["orders", "-p", B, "--reason", "drift"], "orders",
                                  {"portfolio": B, "reason": "drift"}, [
        (2, B, 5, D("2024-06-05"), "SPY", "Equity", "USD", "SELL", -4.0, 6.0, 6.25, "drift", "filled"),
        (2, B, 7, D("2024-07-01"), "FGBL", "Bond", "EUR", "BUY", 1.0, 0.0, -0.25, "drift", "filled"),
        (2, B, 6, D("2024-07-01"), "ZN", "Bond", "USD", "SELL", -2.0, 0.0, 0.25, "drift", "filled"),
        (2, B, 8, D("2024-07-02"), "SPY", "Equity", "USD", "BUY", 1.0, 7.0, 7.0, "drift", "pending"),
    ], """\
 decided    symbol side qty target optimal reason status
 ────────────────────────────────────────────────────────
 2024-06-05 SPY    SELL  -4      6    6.25 drift  filled
 2024-07-01 FGBL   BUY    1      0   -0.25 drift  filled
 2024-07-01 ZN     SELL  -2      0    0.25 drift  filled
 2024-07-02 SPY    BUY    1      7       7 drift  pending"""),
    "positions on the last day by default": Case(["positions", "-p", B], "positions", {"portfolio": B}, [
        (2, B, D("2024-07-02"), "SPY", "Equity", "USD", 6.0, 508.0, 1.0, 3048.0, 1.0, "USD", 3048.0),
    ], """\
 day        symbol qty  price ccy    value value USD
 ───────────────────────────────────────────────────
 2024-07-02 SPY      6 508.00 USD 3,048.00  3,048.00"""),
    "positions over a range": Case(["positions", "-r", "2", "--since", "2024-06-05", "--until", "2024-07-01",
                                    "-s", "ZN,FGBL"], "positions",
                                   {"run": 2, "since": "2024-06-05", "until": D("2024-07-01"), "symbol": ["ZN", "FGBL"]}, [
        (2, B, D("2024-06-05"), "FGBL", "Bond", "EUR", -1.0, 129.5, 1000.0, -129500.0, 1.125, "USD", -145687.5),
        (2, B, D("2024-06-05"), "ZN", "Bond", "USD", 2.0, 110.25, 1000.0, 220500.0, 1.0, "USD", 220500.0),
        (2, B, D("2024-07-01"), "FGBL", "Bond", "EUR", -1.0, 129.5, 1000.0, -129500.0, 1.125, "USD", -145687.5),
        (2, B, D("2024-07-01"), "ZN", "Bond", "USD", 2.0, 110.75, 1000.0, 221500.0, 1.0, "USD", 221500.0),
    ], """\
 day        symbol qty  price ccy       value   value USD
 ────────────────────────────────────────────────────────
 2024-06-05 FGBL    -1 129.50 EUR -129,500.00 -145,687.50
 2024-06-05 ZN       2 110.25 USD  220,500.00  220,500.00
 2024-07-01 FGBL    -1 129.50 EUR -129,500.00 -145,687.50
 2024-07-01 ZN       2 110.75 USD  221,500.00  221,500.00"""),
    "days the buffer held trading back": Case(["equity", "-r", "2", "--path", "no_trade"], "equity",
                                              {"run": 2, "path": "no_trade"}, [
        (2, B, D("2024-06-04"), "USD", 102276.5, 97226.5, 2300.0, None, None, 23.5, 0.0, 2276.5, 387300.0, 387500.0, 0.0078125,
         0.0, "buffer_no_trade", None, False),
    ], """\
 day           NAV USD  net P&L costs   exposure sizing
 ───────────────────────────────────────────────────────────────
 2024-06-04 102,276.50 2,276.50 23.50 387,300.00 buffer_no_trade"""),
    "equity since a day": Case(["equity", "-p", B, "--since", "2024-07-01"], "equity",
                               {"portfolio": B, "since": "2024-07-01"}, [
        (2, B, D("2024-07-01"), "USD", 102223.75, 99181.75, 1026.0, None, None, 6.25, 5.0, 1019.75, 370229.5, 2024.0, 0.0625,
         0.75, "greedy_then_partial_trade", "drift", True),
        (2, B, D("2024-07-02"), "USD", 103332.75, 100284.75, 1131.0, None, None, 22.0, 0.0, 1109.0, 3048.0, 383250.0, 0.0078125,
         1.0, "greedy_then_partial_trade", "drift", True),
    ], """\
 day           NAV USD  net P&L costs   exposure sizing
 ─────────────────────────────────────────────────────────────────────────
 2024-07-01 102,223.75 1,019.75  6.25 370,229.50 greedy_then_partial_trade
 2024-07-02 103,332.75 1,109.00 22.00   3,048.00 greedy_then_partial_trade"""),
    "runs": Case(["runs"], "runs", {}, [
        (1, B, "USD", "replay", None, "finished", D("2024-05-30"), D("2024-05-31"), 2, "c0ffee01c0ffee01", "test",
         AT, AT, None, None),
        (2, B, "USD", "replay", None, "finished", D("2024-06-03"), D("2024-07-02"), 5, "c0ffee02c0ffee02", "test",
         AT, AT, None, None),
        (3, "income", "USD", "paper", None, "finished", D("2024-07-01"), D("2024-07-02"), 2, "c0ffee03c0ffee03",
         "test", AT, AT, None, None),
    ], """\
 id portfolio        mode   variant from       to         days status
 ──────────────────────────────────────────────────────────────────────
  1 bonds-and-stocks replay         2024-05-30 2024-05-31    2 finished
  2 bonds-and-stocks replay         2024-06-03 2024-07-02    5 finished
  3 income           paper          2024-07-01 2024-07-02    2 finished

not shown at 80 columns: config, warnings (widen the terminal or use --format
csv)"""),
    "runs of a portfolio overlapping a date": Case(["runs", "-p", B, "--since", "2024-06-10"], "runs",
                                                   {"portfolio": B, "since": "2024-06-10"}, [
        (2, B, "USD", "replay", None, "finished", D("2024-06-03"), D("2024-07-02"), 5, "c0ffee02c0ffee02", "test",
         AT, AT, None, None),
    ], """\
 id portfolio        mode   variant from       to         days status
 ──────────────────────────────────────────────────────────────────────
  2 bonds-and-stocks replay         2024-06-03 2024-07-02    5 finished

not shown at 80 columns: config, warnings (widen the terminal or use --format
csv)"""),
    "P&L by instrument": Case(["pnl", "-r", "2"], "pnl", {"run": 2}, [
        ("(rolls)", "(rolls)", "USD", "USD", 0.0, 5.0, -5.0),
        ("FGBL", "Bond", "EUR", "USD", 1312.5, 20.0, 1292.5),
        ("SPY", "Equity", "USD", "USD", 72.0, 2.75, 69.25),
        ("ZN", "Bond", "USD", "USD", 2000.0, 24.0, 1976.0),
    ], """\
 symbol  asset class gross USD costs USD  net USD
 ────────────────────────────────────────────────
 (rolls) (rolls)          0.00      5.00    -5.00
 FGBL    Bond         1,312.50     20.00 1,292.50
 SPY     Equity          72.00      2.75    69.25
 ZN      Bond         2,000.00     24.00 1,976.00

 total                3,384.50     51.75 3,332.75"""),
    "P&L by asset class and month": Case(["pnl", "-p", B, "--by", "asset_class,month"], "pnl",
                                         {"portfolio": B, "by": ("asset_class", "month")}, [
        ("(rolls)", "2024-07", "USD", 0.0, 5.0, -5.0),
        ("Bond", "2024-06", "USD", 1187.5, 22.0, 1165.5),
        ("Bond", "2024-07", "USD", 2125.0, 22.0, 2103.0),
        ("Equity", "2024-06", "USD", 40.0, 1.5, 38.5),
        ("Equity", "2024-07", "USD", 32.0, 1.25, 30.75),
    ], """\
 asset class month   gross USD costs USD  net USD
 ────────────────────────────────────────────────
 (rolls)     2024-07      0.00      5.00    -5.00
 Bond        2024-06  1,187.50     22.00 1,165.50
 Bond        2024-07  2,125.00     22.00 2,103.00
 Equity      2024-06     40.00      1.50    38.50
 Equity      2024-07     32.00      1.25    30.75

 total                3,384.50     51.75 3,332.75"""),
    "what costs took from the bond sleeve in June": Case(
        ["pnl", "-r", "2", "--by", "asset_class", "--since", "2024-06-01", "--until", "2024-06-30"], "pnl",
        {"run": 2, "by": "asset_class", "since": "2024-06-01", "until": "2024-06-30"}, [
            ("Bond", "USD", 1187.5, 22.0, 1165.5),
            ("Equity", "USD", 40.0, 1.5, 38.5),
        ], """\
 asset class gross USD costs USD  net USD
 ────────────────────────────────────────
 Bond         1,187.50     22.00 1,165.50
 Equity          40.00      1.50    38.50

 total        1,227.50     23.50 1,204.00"""),
    "P&L of one symbol by month": Case(["pnl", "-r", "2", "-s", "ZN", "--since", "2024-07-01", "--by", "month"],
                                       "pnl", {"run": 2, "symbol": "ZN", "since": "2024-07-01", "by": "month"}, [
        ("2024-07", "USD", 1500.0, 12.0, 1488.0),
    ], """\
 month   gross USD costs USD  net USD
 ────────────────────────────────────
 2024-07  1,500.00     12.00 1,488.00

 total    1,500.00     12.00 1,488.00"""),
}


@pytest.fixture(autouse=True)
def _80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tradesim.cli.console, "width", 80)


def run(capsys, argv: list[str]) -> tuple[int, str, str]:  # noqa: ANN001
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def plain(v):  # noqa: ANN001, ANN201
    return v.isoformat() if isinstance(v, (date, datetime)) else v


def csv_cell(v) -> str:  # noqa: ANN001
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(plain(v))


def columns_of(case: Case, url: str) -> list[str]:
    return list(getattr(queries, case.api)(url, **case.kwargs).columns)


@pytest.mark.parametrize("name", CASES)
def test_python_api(small_url: str, name: str) -> None:
    case = CASES[name]
    frame = getattr(queries, case.api)(small_url, **case.kwargs)
    got = [tuple(None if isinstance(v, float) and v != v else v for v in row)
           for row in frame.astype(object).itertuples(index=False, name=None)]
    assert got == case.rows


@pytest.mark.parametrize("name", CASES)
def test_cli_csv(small_url: str, name: str, capsys) -> None:  # noqa: ANN001
    case = CASES[name]
    code, out, err = run(capsys, [*case.argv, "--format", "csv", "--db", small_url])
    assert (code, err) == (0, "")
    expected = [",".join(columns_of(case, small_url))] + [",".join(csv_cell(v) for v in row) for row in case.rows]
    assert out.splitlines() == expected


@pytest.mark.parametrize("name", CASES)
def test_cli_json(small_url: str, name: str, capsys) -> None:  # noqa: ANN001
    case = CASES[name]
    code, out, err = run(capsys, [*case.argv, "-f", "json", "--db", small_url])
    assert (code, err) == (0, "")
    columns = columns_of(case, small_url)
    assert json.loads(out) == [dict(zip(columns, map(plain, row))) for row in case.rows]


@pytest.mark.parametrize("name", CASES)
def test_cli_table(small_url: str, name: str, capsys) -> None:  # noqa: ANN001
    case = CASES[name]
    code, out, err = run(capsys, [*case.argv, "--db", small_url])
    assert (code, err) == (0, "")
    lines = [line.rstrip() for line in out.splitlines()]
    assert max(len(line) for line in lines) <= 80
    assert ("\n".join(lines).rstrip() + "\n").endswith("\n\n" + case.table + "\n")  # title, blank line, table


def test_csv_format_is_pinned(small_url: str, capsys) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, ["trades", "-r", "2", "--side", "SELL", "-s", "SPY", "-f", "csv", "--db", small_url])
    assert code == 0
    assert out == (
        "run_id,portfolio,day,decided_on,symbol,asset_class,currency,side,quantity,price,contract_price,multiplier,"
        "notional,commission,slippage,cost,fx,base_currency,notional_base,cost_base,reason,target,fill_id\n"
        "2,bonds-and-stocks,2024-07-01,2024-06-05,SPY,Equity,USD,SELL,-4.0,506.0,506.0,1.0,2024.0,1.0,0.25,1.25,1.0,"
        "USD,2024.0,1.25,drift,6.0,5\n")


def test_titles_name_the_run(small_url: str, capsys) -> None:  # noqa: ANN001
    _, out, _ = run(capsys, ["trades", "--db", small_url])
    assert out.splitlines()[0] == "trades: income, run 3 (paper), base currency USD"
    _, out, _ = run(capsys, ["pnl", "-r", "1", "--db", small_url])
    assert out.splitlines()[0] == "P&L: bonds-and-stocks, run 1 (replay), base currency USD"


@pytest.mark.parametrize("argv", [
    ["trades", "-r", "2", "--symbol", "GC"],  # an instrument the run never traded
    ["trades", "-p", B, "--since", "2030-01-01"],
    ["orders", "-r", "1", "--reason", "drift"],
    ["fills", "-r", "3", "--side", "SELL"],
    ["positions", "-r", "2", "--until", "2024-06-03"],  # before the first holding
    ["equity", "-r", "2", "--path", "nothing-like-this"],
    ["runs", "--since", "2030-01-01"],
    ["pnl", "-r", "2", "--since", "2030-01-01"],
])
def test_no_match_is_an_empty_answer(small_url: str, argv: list[str], capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, [*argv, "--db", small_url])
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "(no rows)"
    lines = [line.rstrip() for line in out.splitlines()]
    header = lines[lines.index("") + 1]  # below the title and a blank line
    assert header.split()[0] in ("day", "decided", "id", "symbol")
    code, out, _ = run(capsys, [*argv, "-f", "csv", "--db", small_url])
    assert code == 0 and len(out.splitlines()) == 1  # the header alone
    code, out, _ = run(capsys, [*argv, "-f", "json", "--db", small_url])
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(("argv", "message"), [
    (["trades", "--since", "2024-02-30"], "--since: '2024-02-30' is not a date (YYYY-MM-DD)"),
    (["orders", "--until", "July"], "--until: 'July' is not a date (YYYY-MM-DD)"),
    (["equity", "--since", "2024-07-02", "--until", "2024-07-01"], "--since 2024-07-02 is after --until 2024-07-01"),
    (["trades", "-p", "nope"], "--portfolio: no portfolio 'nope' in the ledger"),
    (["runs", "-p", "nope"], "--portfolio: no portfolio 'nope' in the ledger"),
    (["fills", "-r", "99"], "--run: no run 99 in the ledger"),
    (["positions", "-r", "3", "-p", B], "--run: run 3 is not a run of portfolio 'bonds-and-stocks'"),
    (["trades", "-s", "SPY,APPL"], "--symbol: no instrument 'APPL' in the ledger"),
    (["trades", "--side", "HOLD"], "--side: 'HOLD' is not BUY or SELL"),
    (["orders", "--limit", "0"], "--limit: 0 is not a positive number of rows"),
    (["pnl", "--by", "week"], "--by: 'week' is not one of instrument, asset_class, month, day"),
])
def test_malformed_filters_are_one_line_errors(small_url: str, argv: list[str], message: str, capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, [*argv, "--db", small_url])
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"error: {message}"]


def test_a_missing_ledger_is_an_error_not_a_new_file(tmp_path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "nowhere.db"
    code, _, err = run(capsys, ["trades", "--db", str(path)])
    assert code == 2 and err.strip() == f"error: sqlite:///{path}: no such ledger"
    assert not path.exists()


def test_an_empty_ledger_answers_empty(tmp_path, capsys) -> None:  # noqa: ANN001
    from db.session import open_engine

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_engine(url).dispose()
    code, out, _ = run(capsys, ["trades", "--db", url])
    assert code == 0 and out.splitlines()[0] == "trades: the ledger has no runs"
    assert queries.trades(url).empty and queries.pnl(url).empty
