"""``--format json|csv`` of replay, compare and paper run: the documented schemas, with the
figures the Python API computes for the same config (exact: JSON carries floats' repr)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from dataclasses import asdict
from pathlib import Path

from db import queries
from tests.paper.test_schedule_and_bad_data import write
from tradesim.compare import compare
from tradesim.config import load_config
from tradesim.replay import load_market, replay

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
                   "summary": summary_of(expected.summary), "warnings": 0}
    rows = list(csv.DictReader(io.StringIO(tradesim("replay", str(path), "--db", str(db), "-f", "csv"))))
    assert len(rows) == 1 and rows[0]["run_id"] == "2"
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
