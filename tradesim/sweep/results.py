"""A sweep's results as a table: one row per recorded variant, its overrides as columns."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlalchemy import Connection, select

from db.models import Run, RunSummary, Sweep
from tradesim.errors import TradesimError

# (column, header in the table) of the figures; CSV and JSON carry every column by its name.
METRICS = (("annual_return", "return"), ("annual_volatility", "vol"), ("sharpe", "SR"), ("sharpe_rf", "rf"),
           ("max_drawdown", "maxDD"),
           ("total_costs", "costs"), ("annual_notional_turnover", "turn"), ("tracking_error", "TE"),
           ("adjustment_factor", "alpha"), ("drag", "drag"), ("realised_te", "TEideal"))
EXTRA = ("trades", "days", "end_nav", "seconds")


class SweepError(TradesimError):
    """A sweep id the ledger does not know, or a column it does not have."""


@dataclass(frozen=True)
class SweepTable:
    sweep_id: str
    keys: list[str]  # the swept keys, in grid order
    columns: list[str]  # run_id, label, one per key, the figures
    rows: list[tuple]
    compared: bool  # drag and TEideal are there

    def column(self, name: str) -> list:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]


def sweep_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(Sweep.id).order_by(Sweep.created_at)).scalars())


def sweep_axes(conn: Connection, sweep_id: str) -> dict[str, list]:
    axes = conn.execute(select(Sweep.axes).where(Sweep.id == sweep_id)).scalar()
    if axes is None:
        known = ", ".join(sweep_ids(conn)) or "none"
        raise SweepError(f"--sweep {sweep_id}: no such sweep in the ledger (sweeps: {known})")
    return json.loads(axes)


def sweep_table(conn: Connection, sweep_id: str, sort: str | None = None) -> SweepTable:
    """The sweep's variants; ``sort`` a column name, "-name" for descending (default: run order)."""
    axes = sweep_axes(conn, sweep_id)
    figures = [m for m, _ in METRICS] + list(EXTRA)
    found = conn.execute(
        select(Run.id, Run.label, Run.overrides, *(getattr(RunSummary, f) for f in figures))
        .join(RunSummary, RunSummary.run_id == Run.id).where(Run.sweep_id == sweep_id).order_by(Run.id)).all()
    overrides = [json.loads(r.overrides) for r in found]
    keys = list(axes) + sorted({k for o in overrides for k in o} - set(axes))
    columns = ["run_id", "label", *keys, *figures]
    rows = [(r[0], r[1], *(o.get(k) for k in keys), *r[3:]) for r, o in zip(found, overrides)]
    if sort:
        name = sort.removeprefix("-")
        if name not in columns:
            raise SweepError(f"--sort {sort}: no column {name!r} (columns: {', '.join(columns)})")
        i = columns.index(name)
        present = [r for r in rows if _sortable(r[i])]
        missing = [r for r in rows if not _sortable(r[i])]
        rows = sorted(present, key=lambda r: r[i], reverse=sort.startswith("-")) + missing
    compared = any(r[columns.index("drag")] is not None for r in rows)
    return SweepTable(sweep_id, keys, columns, rows, compared)


def _sortable(value) -> bool:  # noqa: ANN001
    return value is not None and not (isinstance(value, float) and math.isnan(value))
