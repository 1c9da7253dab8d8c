"""``tradesim rebalance``: drift and trades for one portfolio today, from two CSV files.

Holdings: a header with ``asset`` and either ``value`` or both ``quantity`` and
``price`` (value = quantity x price). Targets: ``asset`` and ``target`` (a
weight; the column may also be called ``weight``), summing to 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tradesim.cli import app, console
from tradesim.errors import TradesimError, not_utf8
from tradesim.rebalance import RebalancePlan, plan_rebalance


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _rows(path: Path, label: str) -> tuple[list[str], list[dict[str, str]]]:
    if not path.is_file():
        raise TradesimError(f"{path}: {label} file not found")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    except UnicodeDecodeError as exc:
        raise TradesimError(f"{path}: {label} file is {not_utf8(exc)}") from None
    except OSError as exc:
        raise TradesimError(f"{path}: cannot read the {label} file: {exc.strerror}") from None
    if not header:
        raise TradesimError(f"{path}: {label} file is empty")
    return header, rows


def _number(path: Path, line: int, field: str, text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise TradesimError(f"{path}: line {line}: field '{field}': {text!r} is not a number") from None
    if not math.isfinite(x):
        raise TradesimError(f"{path}: line {line}: field '{field}': {text!r} is not a finite number")
    return x


def _read_column(path: Path, label: str, columns: dict[str, tuple[str, ...]]) -> dict[str, float]:
    """Rows of ``asset`` -> number, the number from one of ``columns``' alternatives."""
    header, rows = _rows(path, label)
    if "asset" not in header:
        raise TradesimError(f"{path}: no 'asset' column")
    chosen = next((cols for cols in columns.values() if all(c in header for c in cols)), None)
    if chosen is None:
        wanted = " or ".join("+".join(c) for c in columns.values())
        raise TradesimError(f"{path}: needs a column {wanted}")
    out: dict[str, float] = {}
    for line, row in enumerate(rows, start=2):
        asset = row.get("asset", "")
        if not asset:
            raise TradesimError(f"{path}: line {line}: field 'asset' is empty")
        if asset in out:
            raise TradesimError(f"{path}: line {line}: asset {asset!r} appears twice")
        numbers = [_number(path, line, c, row.get(c, "")) for c in chosen]
        out[asset] = math.prod(numbers)
    if not out:
        raise TradesimError(f"{path}: no rows")
    return out


def read_holdings(path: Path) -> dict[str, float]:
    return _read_column(path, "holdings", {"value": ("value",), "quantity x price": ("quantity", "price")})


def read_prices(path: Path) -> dict[str, float] | None:
    """Each asset's price, when the holdings file gives quantity and price (for share quantities)."""
    header, _ = _rows(path, "holdings")
    if "price" not in header:
        return None
    return _read_column(path, "holdings", {"price": ("price",)})


def read_targets(path: Path) -> dict[str, float]:
    return _read_column(path, "targets", {"target": ("target",), "weight": ("weight",)})


def verdict(plan: RebalancePlan) -> str:
    side = "above" if plan.max_drift > plan.threshold else "within"
    action = "rebalance" if plan.rebalance_needed else "hold"
    forced = " (forced)" if plan.forced else ""
    return f"max drift {plan.max_drift:.2%}, {side} the {plan.threshold:.2%} threshold: {action}{forced}"


def drift_table(plan: RebalancePlan) -> Table:
    table = Table(title="drift")
    for col in ("asset", "value", "weight", "target", "drift"):
        table.add_column(col, justify="left" if col == "asset" else "right")
    for a in plan.assets:
        table.add_row(a, f"{plan.values[a]:,.2f}", f"{plan.weights[a]:.2%}", f"{plan.targets[a]:.2%}",
                      f"{plan.drift[a]:+.2%}")
    table.add_row("total", f"{plan.total_value:,.2f}", "", "", "", style="bold")
    return table


def trades_table(plan: RebalancePlan) -> Table:
    table = Table(title="trades" + (" (partial: to the band's edge)" if plan.mode == "band" else ""))
    shares = any(t.quantity is not None for t in plan.trades)
    cols = ("asset", "side", "amount", "cost") + (("shares", "price") if shares else ())
    for col in cols:
        table.add_column(col, justify="left" if col in ("asset", "side") else "right")
    for t in plan.trades:
        extra = (f"{t.quantity:,}" if t.quantity is not None else "", f"{t.price:,.2f}" if t.price else "")
        table.add_row(t.asset, t.side, f"{t.amount:,.2f}", f"{t.cost:,.2f}", *(extra if shares else ()))
    table.add_row("total", "", f"{plan.turnover:,.2f}", f"{plan.estimated_cost:,.2f}", *(("", "") if shares else ()),
                  style="bold")
    return table


def plan_csv(plan: RebalancePlan) -> str:
    """One row per asset: the drift table with its trade (blank side, amount, cost and shares
    when none), then a ``total`` row: value, turnover and estimated cost."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["asset", "value", "weight", "target", "drift", "side", "amount", "cost", "quantity", "price"])
    trades = {t.asset: t for t in plan.trades}
    for a in plan.assets:
        t = trades.get(a)
        w.writerow([a, repr(plan.values[a]), repr(plan.weights[a]), repr(plan.targets[a]), repr(plan.drift[a]),
                    t.side if t else "", repr(t.amount) if t else "", repr(t.cost) if t else "",
                    t.quantity if t and t.quantity is not None else "", repr(t.price) if t and t.price else ""])
    w.writerow(["total", repr(plan.total_value), "", "", "", "", repr(plan.turnover), repr(plan.estimated_cost), "", ""])
    return buf.getvalue()


@app.command()
def rebalance(
    holdings: Annotated[Path, typer.Argument(metavar="HOLDINGS", help="CSV: asset,value (or asset,quantity,price).")],
    targets: Annotated[Path, typer.Argument(metavar="TARGETS", help="CSV: asset,target (weights summing to 1).")],
    threshold: Annotated[float, typer.Option(metavar="WEIGHT", help="Rebalance when max |drift| exceeds this weight.")] = 0.05,
    min_trade: Annotated[float, typer.Option("--min-trade", metavar="AMOUNT", help="Skip trades of this amount or less.")] = 0.0,
    cost_rate: Annotated[float, typer.Option("--cost-rate", metavar="RATE", help="Cost per unit of amount traded.")] = 0.0,
    fixed_cost: Annotated[float, typer.Option("--fixed-cost", metavar="AMOUNT", help="Cost per trade.")] = 0.0,
    force: Annotated[bool, typer.Option("--force", help="Trade whatever the drift (a calendar review).")] = False,
    band: Annotated[bool, typer.Option("--band", help="Partial rebalance: only assets outside the band, "
                                                      "to its edge.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="table, csv or json.")] = OutputFormat.table,
) -> None:
    """Drift against a target mix and the trades that restore it."""
    try:
        plan = plan_rebalance(read_holdings(holdings), read_targets(targets), threshold=threshold,
                              min_trade=min_trade, cost_rate=cost_rate, fixed_cost=fixed_cost, force=force,
                              mode="band" if band else "full", prices=read_prices(holdings))
    except ValueError as exc:
        raise TradesimError(f"rebalance: {exc}") from None
    if output is OutputFormat.json:
        typer.echo(json.dumps(plan.as_dict(), indent=2))
    elif output is OutputFormat.csv:
        typer.echo(plan_csv(plan), nl=False)
    else:
        console.print(drift_table(plan))
        console.print(verdict(plan))
        if plan.trades:
            console.print(trades_table(plan))
            console.print(f"turnover {plan.turnover:,.2f}, estimated cost {plan.estimated_cost:,.2f}")
        else:
            console.print("no trades" + (": every trade is at or below --min-trade" if plan.rebalance_needed else ""))
