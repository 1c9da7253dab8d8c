"""The one writer: each finished variant goes to the ledger in one transaction.

A variant's run row, its summary and its daily rows commit together, so a client killed
mid-write leaves nothing of that variant, and the unique (sweep, overrides) index makes a
second recording of it (a rerun racing another client) fail instead of doubling it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from db import ledger
from db.inserts import insert_if_absent
from db.models import Run, RunSummary, Sweep
from tradesim.errors import ConfigError
from tradesim.schema import PortfolioConfig
from tradesim.sweep.task import VariantResult

MODE = "sweep"


@dataclass(frozen=True)
class Comparison:
    """The variant against its ideal (fractional positions traded free)."""

    drag: float
    realised_te: float


def open_sweep(db: Engine, sweep_id: str, config: PortfolioConfig, axes: dict, ledger_mode: str) -> None:
    """Create the sweep's row, or check that a rerun is the same sweep (config and ledger mode)."""
    with db.begin() as conn:
        pid = ledger.ensure_portfolio(conn, config)
        insert_if_absent(conn, Sweep, [{
            "id": sweep_id, "portfolio_id": pid, "config": config.canonical_json(),
            "config_hash": config.config_hash(), "axes": json.dumps(axes, default=str), "ledger": ledger_mode,
            "created_at": ledger.utc_now()}], "id")
        row = conn.execute(select(Sweep.config_hash, Sweep.ledger, Sweep.axes).where(Sweep.id == sweep_id)).one()
        if row.config_hash != config.config_hash():
            raise ConfigError(f"sweep {sweep_id} was run on another config (hash {row.config_hash}, "
                              f"this one {config.config_hash()}): choose another --id")
        if row.ledger != ledger_mode:
            raise ConfigError(f"sweep {sweep_id} records --ledger {row.ledger}, not {ledger_mode}: rerun it with "
                              f"--ledger {row.ledger} or choose another --id")
        merged = json.loads(row.axes)
        for key, values in json.loads(json.dumps(axes, default=str)).items():
            merged.setdefault(key, [])
            merged[key] += [v for v in values if v not in merged[key]]
        conn.execute(update(Sweep).where(Sweep.id == sweep_id).values(axes=json.dumps(merged)))


def recorded(db: Engine, sweep_id: str) -> set[str]:
    """The overrides of the variants already in the ledger."""
    with db.connect() as conn:
        return set(conn.execute(select(Run.overrides).where(Run.sweep_id == sweep_id)).scalars())


def record(db: Engine, sweep_id: str, label: str, result: VariantResult, dates: pd.DatetimeIndex,
           comparison: Comparison | None = None, version: str | None = None) -> int | None:
    """Write one variant; its run id, or None when another client recorded it first."""
    config = result.config
    days = [d.date() for d in dates]
    try:
        with db.begin() as conn:
            pid = ledger.ensure_portfolio(conn, config)
            ids = ledger.ensure_instruments(conn, config)
            run_id = ledger.start_run(conn, pid, config, MODE, label[:100], days[result.first], days[-1],
                                      sweep_id=sweep_id, overrides=result.key, version=version)
            writer = ledger.DayWriter(run_id, ids, days)
            if result.days is not None:  # every day through the replay's own writer: a replay's rows
                for day in result.days:
                    writer.write(conn, day)
                    writer.committed(day)
            else:
                writer.write_daily(conn, result.first, {k: v.tolist() for k, v in result.equity.items()},
                                   {k: v.tolist() for k, v in result.diagnostics.items()})
            conn.execute(insert(RunSummary).values(run_id=run_id, **_summary_values(result, comparison)))
            conn.execute(update(Run).where(Run.id == run_id).values(
                status="finished", finished_at=ledger.utc_now(), warnings=result.warnings,
                warning_text="\n".join(result.warning_lines) or None))
    except IntegrityError:
        if result.key in recorded(db, sweep_id):
            return None  # another client of the same sweep got there first
        raise
    return run_id


def _summary_values(result: VariantResult, comparison: Comparison | None) -> dict:
    s = result.summary
    return {"annual_return": s.annual_return, "annual_volatility": s.annual_volatility, "sharpe": s.sharpe,
            "sharpe_rf": s.risk_free,
            "max_drawdown": s.max_drawdown, "total_costs": s.total_costs, "annual_notional_turnover": s.annual_notional_turnover,
            "trades": s.trades, "days": s.days, "start_nav": s.start_nav, "end_nav": s.end_nav,
            "tracking_error": result.tracking_error, "adjustment_factor": result.adjustment_factor,
            "drag": comparison.drag if comparison else None,
            "realised_te": comparison.realised_te if comparison else None, "seconds": result.seconds}
