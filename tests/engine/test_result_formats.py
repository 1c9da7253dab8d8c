"""``--format json|csv`` of replay, compare and paper run: the documented schemas, with the
figures the Python API computes for the same config (exact: JSON carries floats' repr)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from dataclasses import asdict
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from db import queries
from tests.paper.test_schedule_and_bad_data import write
from tradesim.cli.compare import COLUMNS as COMPARE_COLUMNS
from tradesim.compare import compare
from tradesim.config import load_config
from tradesim.replay import load_market, replay

COLUMN = {header: k for k, (header, _) in enumerate(COMPARE_COLUMNS)}
CLOSES = "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,102,52\n2024-01-05,104,50\n2024-01-08,103,51\n"


def tradesim(*argv: str) -> str:
    done = subprocess.run(["tradesim", "-q", *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def summary_of(s) -> dict:  # noqa: ANN001
    d = asdict(s)
    return {"total_return": s.end_nav / s.start_nav - 1.0, "annual_return": d["annual_return"],
            "annual_volatility": d["annual_volatility"], "sharpe": d["sharpe"], "max_drawdown": d["max_drawdown"],
            "start_nav": d["start_nav"], "end_nav": d["end_nav"], "costs": d["total_costs"],
            "annual_notional_turnover": d["annual_notional_turnover"], "trades": d["trades"], "days": d["days"],
            "years": d["days"] / 256, "risk_free": d["risk_free"],
            "money_weighted_return": d["money_weighted_return"], "external_flows": d["external_flows"]}


def test_replay_json_and_csv(tmp_path: Path) -> None:
    path = write(tmp_path, CLOSES)
    db = tmp_path / "l.db"
    doc = json.loads(tradesim("replay", str(path), "--db", str(db), "--format", "json"))
    expected = replay(load_config(path), None)
    assert doc == {"schema": "tradesim.replay/1", "portfolio": "csv-paper", "base_currency": "USD", "run_id": 1,
                   "ledger": f"sqlite:///{db}", "start": "2024-01-02", "end": "2024-01-08",
                   "summary": summary_of(expected.summary), "warnings": 0, "missing_prices": 0, "warning_lines": [],
                   # rounded, 125 contracts in 5 days (test_compare_turnover_in_contracts_is_the_ledgers_fills)
                   "contracts_traded": 125.0, "contracts_per_day": 25.0, "contracts_per_year": 6400.0,
                   "tracking_error": float(np.mean(expected.tracking_error)),
                   "tracking_error_daily": float(np.mean(expected.tracking_error)) / 16,
                   "adjustment_factor": float(np.mean(expected.adjustment_factor[expected.paths_traded]))}
    rows = list(csv.DictReader(io.StringIO(tradesim("replay", str(path), "--db", str(db), "-f", "csv"))))
    assert len(rows) == 1 and rows[0]["run_id"] == "2"
    assert (rows[0]["contracts_traded"], rows[0]["tracking_error_daily"]) == ("125.0", repr(doc["tracking_error_daily"]))
    assert {k: rows[0][k] for k in doc["summary"]} == {k: repr(v) if isinstance(v, float) else str(v)
                                                       for k, v in doc["summary"].items()}


def test_compare_json(tmp_path: Path) -> None:
    path = write(tmp_path, CLOSES)
    doc = json.loads(tradesim("compare", str(path), "--db", str(tmp_path / "l.db"), "-f", "json"))
    config = load_config(path)
    rows, _ = compare(config, None, load_market(config))
    assert doc["schema"] == "tradesim.compare/1" and doc["capital"] == 10000.0
    assert [v["variant"] for v in doc["variants"]] == [r.variant for r in rows]
    assert {"fractional", "rounded", "dynamic"} <= {r.variant for r in rows}
    assert [v["run_id"] for v in doc["variants"]] == list(range(1, len(rows) + 1))
    for got, want in zip(doc["variants"], rows):
        assert got["summary"] == summary_of(want.summary)
        nan_is_null = lambda x: None if x != x else x  # noqa: E731 - JSON has no NaN: null, as documented
        assert (got["tracking_error"], got["tracking_error_vs_ideal"], got["drag"], got["adjustment_factor"]) == (
            want.tracking_error, want.realised_te, want.drag, nan_is_null(want.adjustment_factor))
        assert got["tracking_error_daily"] == want.tracking_error / 16  # annualised over sqrt(256)
        assert (got["contracts_traded"], got["contracts_per_day"], got["contracts_per_year"]) == (
            want.units_traded, want.units_traded / 5, want.units_traded / 5 * 256)  # 5 days


def test_compare_turnover_in_contracts_is_the_ledgers_fills(tmp_path: Path) -> None:
    """Closes 100, 101, 102, 104, 103 (AAA) and 50, 51, 52, 50, 51 (BBB); capital 10,000 at 0.4 each,
    rounded, no costs; a decision fills at the next close. Day 1: 4,000 / 100 = 40 AAA, 4,000 / 50 = 80
    BBB. Day 2 (bought at its close, NAV 10,000): 4,000 / 101 = 39.6 -> 40, 4,000 / 51 = 78.4 -> 78: sell 2.
    Day 3, NAV 10,000 + 40 + 80 = 10,120: 4,048 / 102 = 39.7 -> 40, 4,048 / 52 = 77.8 -> 78. Day 4, NAV
    10,120 + 80 - 156 = 10,044: 4,017.6 / 104 = 38.6 -> 39 (sell 1), 4,017.6 / 50 = 80.4 -> 80 (buy 2).
    Day 5's decision would fill after the end. 40 + 80 + 2 + 1 + 2 = 125 contracts in 5 days: 25 a day,
    6,400 a year."""
    path = write(tmp_path, CLOSES)
    db = tmp_path / "l.db"
    rows = list(csv.DictReader(io.StringIO(tradesim("compare", str(path), "--db", str(db), "--variants", "rounded",
                                                    "-f", "csv"))))
    rounded = next(row for row in rows if row["variant"] == "rounded")
    assert (rounded["contracts_traded"], rounded["contracts_per_day"], rounded["contracts_per_year"]) == (
        "125.0", "25.0", "6400.0")
    with create_engine(f"sqlite:///{db}").connect() as conn:
        traded = conn.execute(text("SELECT sum(abs(quantity)) FROM fills WHERE run_id = :r"),
                              {"r": int(rounded["run_id"])}).scalar()
    assert traded == 125.0
    table = subprocess.run(["tradesim", "-q", "compare", str(path), "--db", str(db), "--variants", "rounded"],
                           capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    # The SR cell is "0.00 (rf 0.00%)": one cell of three words.
    line = next(line.replace(" (rf ", "_(rf_").split() for line in table.stdout.splitlines()
                if line.split()[:1] == ["rounded"])
    assert line[COLUMN["ctrs/yr"]] == "6.4k" and line[COLUMN["ctrs"]] == "125" and line[COLUMN["ctrs/d"]] == "25.0"


def test_paper_run_json_is_the_ledgers_days(tmp_path: Path) -> None:
    path = write(tmp_path, CLOSES)
    db = tmp_path / "l.db"
    doc = json.loads(tradesim("paper", "run", str(path), "--db", str(db), "--as-of", "2024-01-05", "-f", "json"))
    equity = queries.equity(f"sqlite:///{db}")
    assert doc["schema"] == "tradesim.paper-run/1" and doc["skipped"] is None and doc["as_of"] == "2024-01-05"
    assert [s["day"] for s in doc["sessions"]] == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    assert [s["nav"] for s in doc["sessions"]] == equity["nav"].tolist()
    assert [s["pnl"] for s in doc["sessions"]] == equity["net_pnl"].tolist()
    fills = queries.fills(f"sqlite:///{db}")
    assert sum(len(s["fills"]) for s in doc["sessions"]) == len(fills)
    again = list(csv.DictReader(io.StringIO(tradesim("paper", "run", str(path), "--db", str(db), "--as-of",
                                                     "2024-01-05", "-f", "csv"))))
    assert again == []  # nothing left to do: the header alone
