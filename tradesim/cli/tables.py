"""Rich tables and machine-readable records for run summaries (replay, compare, sweep).

A run shorter than a year (256 trading days) is summarised by its total return:
an annualised return or Sharpe ratio from a few days is noise dressed as a figure,
so the table leaves them out and says why (JSON and CSV still carry them, with
``years`` beside them).
"""

from __future__ import annotations

import numpy as np
from rich.table import Table

from tradesim.metrics import DAYS_PER_YEAR, Summary, daily_te, sharpe_cell, unit_turnover


def short_period(s: Summary) -> bool:
    return s.days < DAYS_PER_YEAR


def summary_record(s: Summary) -> dict:
    """The summary's figures under their JSON/CSV names (fractions, not percentages)."""
    return {
        "total_return": s.total_return,
        "annual_return": s.annual_return, "annual_volatility": s.annual_volatility, "sharpe": s.sharpe,
        "risk_free": s.risk_free, "money_weighted_return": s.money_weighted_return,
        "external_flows": s.external_flows,
        "max_drawdown": s.max_drawdown, "start_nav": s.start_nav, "end_nav": s.end_nav, "costs": s.total_costs,
        "annual_notional_turnover": s.annual_notional_turnover, "trades": s.trades, "days": s.days,
        "years": s.days / DAYS_PER_YEAR,
    }


def replay_document(config, result, url: str | None) -> dict:  # noqa: ANN001
    """``tradesim replay --format json``: schema tradesim.replay/1 (README, "Machine-readable output")."""
    return {
        "schema": "tradesim.replay/1", "portfolio": config.name, "base_currency": config.base_currency,
        "run_id": result.run_id, "ledger": url, "start": result.dates[0].date(), "end": result.dates[-1].date(),
        "summary": summary_record(result.summary), **sizing_record(result), **warning_record(result),
    }


def sizing_record(result) -> dict:  # noqa: ANN001
    """The sizing step's figures: average TE against x* (annualised, and daily beside it),
    average adjustment factor on days that traded, contracts (shares) traded."""
    te = float(np.mean(result.tracking_error)) if len(result.tracking_error) else 0.0
    traded = result.adjustment_factor if result.paths_traded is None else result.adjustment_factor[result.paths_traded]
    total, per_day, per_year = unit_turnover(result.units_traded, len(result.tracking_error))
    return {"tracking_error": te, "tracking_error_daily": daily_te(te),
            "adjustment_factor": float(np.mean(traded)) if len(traded) else float("nan"),
            "contracts_traded": total, "contracts_per_day": per_day, "contracts_per_year": per_year}


def warning_record(result) -> dict:  # noqa: ANN001
    """Every warning the run raised: the count (one per instrument-day without a price, one per
    other warning) and the lines logged, as the ledger keeps them (runs.warnings, runs.warning_text)."""
    return {"warnings": result.warning_count, "missing_prices": len(result.warnings),
            "warning_lines": list(result.warning_lines)}


def replay_row(document: dict) -> dict:
    """The replay document flattened to one CSV line."""
    flat = {k: v for k, v in document.items() if k not in ("schema", "summary", "warning_lines")}
    return {**flat, **document["summary"]}


def compare_document(config, rows, results, url: str | None) -> dict:  # noqa: ANN001
    """``tradesim compare --format json``: schema tradesim.compare/1 (README, "Machine-readable output")."""
    dates = results["fractional"].dates
    return {
        "schema": "tradesim.compare/1", "portfolio": config.name, "base_currency": config.base_currency,
        "capital": config.capital, "ledger": url, "start": dates[0].date(), "end": dates[-1].date(),
        "variants": [{
            "variant": r.variant, "run_id": r.run_id, "summary": summary_record(r.summary),
            "tracking_error": r.tracking_error, "tracking_error_daily": r.tracking_error_daily,
            "tracking_error_vs_ideal": r.realised_te, "drag": r.drag,
            "correlation": r.correlation, "adjustment_factor": r.adjustment_factor,
            **dict(zip(("contracts_traded", "contracts_per_day", "contracts_per_year"), r.contracts)),
            **warning_record(results[r.variant]),
        } for r in rows],
    }


def compare_rows(document: dict) -> list[dict]:
    """One CSV line per variant."""
    head = {k: v for k, v in document.items() if k not in ("schema", "variants")}
    return [{**head, **{k: v for k, v in variant.items() if k not in ("summary", "warning_lines")}, **variant["summary"]}
            for variant in document["variants"]]


def sizing_rows(result) -> list[tuple[str, str]]:  # noqa: ANN001
    """Turnover in contracts (or shares), the average tracking error against x* (annualised,
    as the optimiser measures it, with the daily figure) and the average adjustment factor."""
    r = sizing_record(result)
    alpha = r["adjustment_factor"]
    return [("Contracts traded", f"{r['contracts_traded']:,.0f} ({r['contracts_per_day']:,.1f} a day, "
                                 f"{r['contracts_per_year']:,.0f} a year)"),
            ("Average tracking error", f"{r['tracking_error']:.2%} annualised ({r['tracking_error_daily']:.3%} daily)"),
            ("Average adjustment factor", f"{alpha:.2f} (days that traded)" if alpha == alpha else "(no trading day)")]


def flow_rows(s: Summary, ccy: str) -> list[tuple[str, str]]:
    """With cash flows, the return above is time-weighted; the owner's view beside it."""
    if not s.external_flows:
        return []
    return [("Net cash flows", f"{s.external_flows:+,.2f} {ccy}"),
            ("Money-weighted return", f"{s.money_weighted_return:.2%} a year")]


def warning_cell(result) -> str:  # noqa: ANN001
    """'1,222: 1,220 instrument-days without a price, 2 others; tradesim runs --run 5 -f json lists them'."""
    n, missing, others = result.warning_count, len(result.warnings), len(result.logged)
    if missing:
        days = "instrument-day" if missing == 1 else "instrument-days"
        text = f"{n:,}: {missing:,} {days} without a price" + (f", {others:,} other" if others else "")
    else:
        text = f"{n:,}"
    return text + (f"; tradesim runs --run {result.run_id} -f json lists them" if result.run_id is not None else "")


def summary_table(config, result, url: str | None) -> Table:  # noqa: ANN001
    s = result.summary
    table = Table(title=f"{config.name}: {result.dates[0].date()} to {result.dates[-1].date()}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    ccy = config.base_currency
    if short_period(s):
        returns = [("Total return" + (" (time-weighted)" if s.external_flows else ""), f"{s.total_return:.2%}"),
                   ("Volatility (annualised)", f"{s.annual_volatility:.2%}")]
    else:
        returns = [("Annualised return" + (" (time-weighted)" if s.external_flows else ""), f"{s.annual_return:.2%}"),
                   ("Annualised volatility", f"{s.annual_volatility:.2%}"),
                   ("Sharpe ratio", sharpe_cell(s))]
    rows = [
        *returns,
        ("Max drawdown", f"{s.max_drawdown:.2%}"),
        ("Start NAV", f"{s.start_nav:,.2f} {ccy}"),
        ("End NAV", f"{s.end_nav:,.2f} {ccy}"),
        ("Costs", f"{s.total_costs:,.2f} {ccy}"),
        ("Annual notional turnover", f"{s.annual_notional_turnover:.2f}x"),
        *sizing_rows(result),
        ("Trades", f"{s.trades:,}"),
        *flow_rows(s, ccy),
        ("Trading days", f"{s.days:,}"),
        ("Run id", str(result.run_id) if result.run_id is not None else "(not recorded)"),
    ]
    if result.warning_count:
        rows.append(("Warnings", warning_cell(result)))
    if url:
        rows.append(("Ledger", url))
    for name, value in rows:
        table.add_row(name, value)
    if short_period(s):
        table.caption = f"{s.days} trading day{'s' if s.days != 1 else ''}, under a year: no annualised return or Sharpe ratio"
    return table
