"""``tradesim stress`` and ``tradesim mix``: a policy mix's stress scenarios, statistics and constraints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradesim.allocation import SCENARIO_SETS, check_constraints, mix_stats, stress_test
from tradesim.allocation.mix_file import load_mix_file
from tradesim.cli import app, console
from tradesim.cli.output import Col, Format, emit, num, text
from tradesim.errors import ConfigError

MIX_FILE = typer.Argument(metavar="FILE", help="TOML: [weights], optional value, [groups], [returns], [vols], [correlations], "
                               "[[limits]], [scenarios] (strategies/configs/course_endowment.toml is an example).")


def _pct(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:+.2%}"


def _whole(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:,.0f}"


def _weight(v) -> str:  # noqa: ANN001
    return "" if v is None else f"{v:.2%}"


@app.command()
def stress(
    path: Annotated[Path, MIX_FILE],
    scenarios: Annotated[str, typer.Option(metavar="SET", help="A named scenario set (course), used when the file has no "
                                                "[scenarios].")] = "course",
    floor: Annotated[float | None, typer.Option(metavar="FRACTION", help="Pass if the value after stays at or above this fraction "
                                                     "of the value before (0.8: 80%).")] = None,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
) -> None:
    """Each scenario's return, loss and value after, and pass or fail against a floor."""
    mix = load_mix_file(path)
    if mix.scenarios is None and scenarios not in SCENARIO_SETS:
        raise ConfigError(f"--scenarios {scenarios}: no such set (known: {', '.join(SCENARIO_SETS)})")
    chosen = mix.scenarios if mix.scenarios is not None else SCENARIO_SETS[scenarios]
    try:
        results = stress_test(mix.weights, chosen, mix.groups, mix.value, floor)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    columns = ["scenario", "return", "value_before", "loss", "value_after", "floor", "passed"]
    rows = [[r.scenario, r.portfolio_return, r.value_before, r.loss, r.value_after, r.floor, r.passed]
            for r in results]
    verdict = {True: "pass", False: "FAIL", None: ""}
    spec = [Col("scenario", "scenario"), num("return", "return", _pct), num("loss", "loss", _whole),
            num("value_after", "value after", _whole)]
    if floor is not None:
        spec.append(Col("passed", "verdict", lambda v: verdict[v]))
    title = f"Stress scenarios for {path.name}: value {mix.value:,.0f}"
    emit(output, title + (f", floor {floor:.0%} of it ({floor * mix.value:,.0f})" if floor is not None else ""),
         columns, rows, spec)


@app.command()
def mix(
    path: Annotated[Path, MIX_FILE],
    risk_free: Annotated[float | None, typer.Option("--risk-free", metavar="RATE", help="Annual risk-free rate for the Sharpe "
                                                                        "ratio (default: the file's).")] = None,
    output: Annotated[Format, typer.Option("--format", help="table, csv or json.")] = Format.table,
) -> None:
    """Expected return, volatility, Sharpe and each class's contributions; then the constraint checks."""
    m = load_mix_file(path)
    rf = m.risk_free if risk_free is None else risk_free
    if m.returns is None:
        raise ConfigError(f"{path}: no [returns]: mix statistics need each class's expected return")
    try:
        stats = mix_stats(m.weights, m.returns, m.vols, m.correlations, rf)
        checks = check_constraints(m.weights, m.as_limits(), m.returns)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    risk = stats.risk_contributions or {}
    columns = ["section", "name", "weight", "return", "return_contribution", "risk_contribution", "risk_share",
               "value", "bound", "satisfied"]
    rows = [["class", c, float(w), m.returns[c], stats.return_contributions[c], risk.get(c),
             risk[c] / stats.volatility if risk and stats.volatility else None, None, None, None]
            for c, w in zip(stats.classes, stats.weights)]
    rows.append(["total", "total", float(stats.weights.sum()), None, stats.expected_return, stats.volatility,
                 1.0 if stats.volatility else None, None, None, None])
    if output is not Format.table:
        rows.append(["sharpe", f"rf {rf!r}", None, None, None, None, None, stats.sharpe, None, None])
        rows += [["limit", k.limit.name, None, None, None, None, None, k.value, k.limit.bound, k.satisfied]
                 for k in checks]
        emit(output, "", columns, rows, [])
        return
    emit(output, f"{path.name}: expected return and risk by class", columns, rows, [
        Col("name", "class"), num("weight", "weight", _weight), num("return", "return", _weight),
        num("return_contribution", "to return", _weight), num("risk_contribution", "to risk", _weight),
        num("risk_share", "share of risk", _weight)])
    line = f"expected return {stats.expected_return:.2%}"
    if stats.volatility is not None:
        sharpe = f"{stats.sharpe:.2f}" if stats.sharpe is not None else "n/a"
        line += f", volatility {stats.volatility:.2%}, Sharpe {sharpe} (rf {rf:.2%})"
    console.print(line, highlight=False)
    for check in checks:
        console.print(("  ok   " if check.satisfied else "  FAIL ") + check.describe(), highlight=False)
