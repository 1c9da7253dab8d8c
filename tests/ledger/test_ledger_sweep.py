"""A sweep's one writer on SQLite and PostgreSQL: each variant's rows are its replay's rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import load_market, replay
from tradesim.sweep import run as sweep

SMALL = Path(__file__).parent.parent / "sweep" / "small.toml"
TABLES = {
    "equity": "day, nav, cash, costs, roll_costs, gross_pnl, net_pnl, gross_exposure, traded_notional",
    "diagnostics": "day, tracking_error, adjustment_factor, path, passes, reason, rebalanced",
    "processed_days": "day",
    "orders": "day, instrument_id, quantity, side, target, optimal, reason, status",
    "fills": "day, decided_on, instrument_id, quantity, price, contract_price, commission, slippage, fx, cost_base, notional_base",
    "positions": "day, instrument_id, quantity, price, notional_base, fx",
}


def rows(conn, run_id: int, table: str) -> list[tuple]:  # noqa: ANN001
    # Sorted here: the leading columns are each table's key, so no comparison reaches a NULL.
    return sorted(tuple(r) for r in conn.execute(text(f"SELECT {TABLES[table]} FROM {table} WHERE run_id = :r"),
                                                 {"r": run_id}))


def small(sets):  # noqa: ANN001, ANN201
    return load_config(SMALL, sets=sets)


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_each_recorded_variant_has_its_replays_rows(new_url, mode: str) -> None:  # noqa: ANN001
    url = new_url()
    plan = sweep.plan(small, ["optimiser.buffer_fraction=0.02,0.1"], ledger_mode=mode)
    outcome = sweep.run(plan, url, None, load_market=load_market)
    assert len(outcome.recorded) == 2
    db = open_engine(url)
    try:
        for v in plan.variants:
            alone = replay(load_config(SMALL, sets=v.sets), None, db_engine=db).run_id
            with db.connect() as conn:
                for table in TABLES:
                    mine, theirs = rows(conn, outcome.recorded[v.key], table), rows(conn, alone, table)
                    if mode == "summary" and table in ("orders", "fills", "positions"):
                        assert mine == [] and theirs
                    else:
                        assert mine == theirs and theirs, f"{v.label}: {table}"
    finally:
        db.dispose()
