"""The report's tables: the run summary (the replay's own figures, the config, the data) and the last trades."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

import pandas as pd

import numpy as np

from tradesim.metrics import DAYS_PER_YEAR, Summary, daily_te, sharpe_cell, summarise
from tradesim.risk_free import risk_free_rates
from tradesim.schema import OptimiserConfig, RiskFreeSeries
from tradesim.report.ledger import RunData


def run_summary(run: RunData) -> Summary:
    """``tradesim.metrics.summarise`` on the ledger's equity: the numbers ``tradesim replay`` prints."""
    e = run.equity
    return summarise(e["nav"].to_numpy(), run.capital, e["costs"].to_numpy(), e["traded_notional"].to_numpy(),
                     len(run.fills), run.external_flows.to_numpy(), run_risk_free(run))


def run_risk_free(run: RunData) -> np.ndarray:
    """The annual risk-free rate on each of the run's days, from the config it ran with."""
    spec = run.config.get("risk_free", 0.0)
    return risk_free_rates(RiskFreeSeries(**spec) if isinstance(spec, dict) else spec, run.days)


def summary_rows(runs: Sequence[RunData]) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(label, one cell per run) rows: how the run did, and what ran (config, data, code)."""
    sums = [run_summary(run) for run in runs]
    ccy = runs[0].base_currency

    def row(label: str, cell) -> tuple[str, list[str]]:  # noqa: ANN001
        return label, [cell(run, s) for run, s in zip(runs, sums)]

    def annualised(cell):  # noqa: ANN001, ANN202 - a year's figure from a few days' returns is noise
        return lambda r, s: cell(r, s) if s.days >= DAYS_PER_YEAR else f"(not annualised: {s.days} day{'s' if s.days != 1 else ''})"

    performance = [
        row("Total return" + (" (time-weighted)" if any(s.external_flows for s in sums) else ""),
            lambda r, s: f"{s.total_return:.2%}"),
        row("Annualised return" + (" (time-weighted)" if any(s.external_flows for s in sums) else ""), annualised(lambda r, s: f"{s.annual_return:.2%}")),
        row("Annualised volatility", lambda r, s: f"{s.annual_volatility:.2%}"),
        row("Sharpe ratio", annualised(lambda r, s: sharpe_cell(s))),
        row("Max drawdown", lambda r, s: f"{s.max_drawdown:.2%}"),
        row("Start NAV", lambda r, s: f"{s.start_nav:,.2f} {ccy}"),
        row("End NAV", lambda r, s: f"{s.end_nav:,.2f} {ccy}"),
        row("Costs", lambda r, s: f"{s.total_costs:,.2f} {ccy}"),
        *([row("Net cash flows", lambda r, s: f"{s.external_flows:+,.2f} {ccy}"),
           row("Money-weighted return", lambda r, s: f"{s.money_weighted_return:.2%}")]
          if any(s.external_flows for s in sums) else []),
        row("Annual notional turnover", lambda r, s: f"{s.annual_notional_turnover:.2f}x"),
        row("Trades (fills)", lambda r, s: f"{s.trades:,}"),
        row("Average tracking error", lambda r, s: f"{r.equity['tracking_error'].mean():.2%} annualised "
                                                   f"({daily_te(r.equity['tracking_error'].mean()):.3%} daily)"),
        row("Trading days", lambda r, s: f"{s.days:,} ({r.days[0]:%Y-%m-%d} to {r.days[-1]:%Y-%m-%d})"),
    ]
    provenance = [
        row("Run", lambda r, s: f"{r.run_id} ({r.mode}{', ' + r.label if r.label else ''}), {r.status}"),
        row("Portfolio", lambda r, s: r.portfolio),
        row("Strategy", lambda r, s: _strategy(r.config)),
        row("Sizing", lambda r, s: _sizing(r.config)),
        row("Risk target", lambda r, s: f"{r.risk_target:.0%}; buffer {r.buffer:.2%} "
                                        f"(buffer_fraction {r.config['optimiser']['buffer_fraction']:g})"),
        row("Trigger", lambda r, s: _trigger(r.config)),
        row("Data", lambda r, s: _data(r)),
        row("Code version", lambda r, s: r.code_version),
        row("Config hash", lambda r, s: r.config_hash),
        row("Recorded", lambda r, s: _times(r)),
    ]
    return performance, provenance


def _strategy(config: dict) -> str:
    params = config["strategy"].get("params") or {}
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return config["strategy"]["name"] + (f" ({shown})" if shown else "")


def _sizing(config: dict) -> str:
    o = config["optimiser"]
    method = {"none": "fractional (unrounded)", "round": "rounded"}.get(o["method"], "dynamic optimisation")
    if o["method"] in ("dynamic", "greedy"):
        # Runs recorded before the "dynamic" search stored polish/start as false/"zero": the greedy.
        method += f", search {OptimiserConfig.model_validate(o).search}, cost multiplier {o['cost_multiplier']:g}"
    return method


def _trigger(config: dict) -> str:
    trigger = config.get("trigger")
    if not trigger:
        return "every trading day"

    def show(value) -> str:  # noqa: ANN001
        if isinstance(value, dict):
            return "(" + ", ".join(f"{k}={show(v)}" for k, v in value.items() if v is not None) + ")"
        return str(value)

    rest = ", ".join(f"{k}={show(v)}" for k, v in trigger.items() if k != "kind" and v is not None)
    return f"{trigger.get('kind', '?')}: {rest}" if rest else str(trigger.get("kind"))


def _data(run: RunData) -> str:
    d = run.config["data"]
    where = d.get("dataset") if d["source"] in ("bundled", "bundled_with_safe") else d.get("path")
    return (f"{d['source']}{' ' + str(where) if where else ''}; {len(run.config['instruments'])} instruments, "
            f"{run.config.get('calendar', 'XNYS')} calendar, {run.config['fills']['timing']} fills")


def _times(run: RunData) -> str:
    start = f"{run.started_at:%Y-%m-%d %H:%M}" if run.started_at else "?"
    end = f"{run.finished_at:%Y-%m-%d %H:%M}" if run.finished_at else "not finished"
    return f"{start} to {end} UTC"


def summary_html(runs: Sequence[RunData]) -> str:
    """Two tables side by side (they wrap on a narrow page): how it did, and what ran."""
    head = "".join(f"<th>{escape(run.name)}</th>" for run in runs) if len(runs) > 1 else "<th></th>"

    def table(rows: list[tuple[str, list[str]]]) -> str:
        body = "".join(f"<tr><th>{escape(label)}</th>{''.join(f'<td>{escape(c)}</td>' for c in cells)}</tr>"
                       for label, cells in rows)
        return f'<table class="summary"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'

    performance, provenance = summary_rows(runs)
    configs = "".join(f"<details><summary>Config of {escape(run.name)} (JSON)</summary>"
                      f"<pre>{escape(json.dumps(run.config, indent=2))}</pre></details>" for run in runs)
    return f'<div class="tables">{table(performance)}{table(provenance)}</div>{flows_html(runs[-1])}{configs}'


def flows_html(run: RunData, last: int = 40) -> str:
    """The run's cash flows (the newest ``last``), with totals by kind; nothing when it had none."""
    f = run.cash_flows
    if f is None or f.empty:
        return ""
    ccy = run.base_currency
    totals = ", ".join(f"{kind} {amount:+,.2f}" for kind, amount in f.groupby("kind")["amount_base"].sum().items())
    rows = "".join(
        f'<tr><td>{d:%Y-%m-%d}</td><td>{escape(k)}</td><td>{_text(s)}</td><td class="num">{a:+,.2f}</td>'
        f'<td>{escape(c)}</td><td class="num">{b:+,.2f}</td><td>{_text(n)}</td></tr>'
        for d, k, s, a, c, b, n in f[["day", "kind", "symbol", "amount", "currency", "amount_base", "note"]]
        .tail(last).itertuples(index=False))
    return (f"<p>Cash flows of {escape(run.name)} ({len(f):,}; totals in {ccy}: {escape(totals)}). External flows "
            "(contributions, withdrawals, spending) are not performance: the annual return is time-weighted, and "
            "the money-weighted return is the internal rate of return of the owner's flows.</p>"
            f'<table class="trades"><thead><tr><th>day</th><th>kind</th><th>instrument</th><th class="num">amount</th>'
            f'<th>ccy</th><th class="num">{ccy}</th><th>note</th></tr></thead><tbody>{rows}</tbody></table>')


def attribution_intro(run: RunData, result, benchmark) -> str:  # noqa: ANN001
    against = f"run {benchmark}" if isinstance(benchmark, int) else "the policy mix " + ", ".join(
        f"{k} {v:.0%}" for k, v in benchmark.items())
    method = "Brinson-Fachler" if result.method == "bf" else "Brinson-Hood-Beebower"
    return (f"{run.name} against {against}, by {result.by.replace('_', ' ')}, {result.freq} periods ({method}). "
            "The effects explain the buy-and-hold return of each period's opening book; trading is what the run's "
            "trades inside the period added, net of costs, to reach its actual time-weighted return. The linked row "
            "is Carino-linked over the run.")


def attribution_html(result) -> str:  # noqa: ANN001
    columns, rows = result.rows()
    head = "".join(f'<th class="{"" if c == "period" else "num"}">{escape(c)}</th>' for c in columns)
    body = "".join("<tr>" + f"<td>{escape(r[0])}</td>" + "".join(f'<td class="num">{v:+.2%}</td>' for v in r[1:])
                   + "</tr>" for r in rows)
    return f'<table class="pnl"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _text(value) -> str:  # noqa: ANN001
    """A nullable text column's cell: empty for NULL (None or NaN)."""
    return escape(value) if isinstance(value, str) else ""


def last_trades(run: RunData) -> pd.DataFrame:
    f = run.last_fills
    return pd.DataFrame({
        "filled": f["day"].dt.strftime("%Y-%m-%d"), "decided": f["decided_on"].dt.strftime("%Y-%m-%d"),
        "symbol": f["symbol"], "side": f["side"], "quantity": f["quantity"].map(lambda q: f"{q:,.0f}" if q == int(q) else f"{q:,.4f}"),
        "price": f["price"].map(lambda p: f"{p:,.4g}" if abs(p) < 1 else f"{p:,.2f}"), "ccy": f["currency"],
        f"value {run.base_currency}": f["notional_base"].map(lambda v: f"{v:,.0f}"),
        f"cost {run.base_currency}": f["cost_base"].map(lambda v: f"{v:,.2f}"),
        "reason": f["reason"].fillna(""),
    })


def trades_html(run: RunData) -> str:
    t = last_trades(run)
    if t.empty:
        return "<p>The run made no trades.</p>"
    numeric = {"quantity", "price", f"value {run.base_currency}", f"cost {run.base_currency}"}
    head = "".join(f'<th class="{"num" if c in numeric else ""}">{escape(c)}</th>' for c in t.columns)
    body = "".join("<tr>" + "".join(f'<td class="{"num" if c in numeric else ""}">{escape(str(v))}</td>'
                                    for c, v in zip(t.columns, row)) + "</tr>" for row in t.itertuples(index=False))
    return (f"<p>The last {len(t)} of {len(run.fills):,} fills of {escape(run.name)}, newest first.</p>"
            f'<table class="trades"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def pnl_html(run: RunData, per_day: pd.DataFrame, contributors: int = 5) -> str:
    """Totals by asset class (gross, costs, net, share of net), then the largest contributors by instrument."""
    if per_day.empty:
        return ""
    ccy = run.base_currency
    by_class = per_day.groupby("asset_class")[["gross_pnl", "costs", "net_pnl"]].sum().sort_values(
        "net_pnl", ascending=False)
    total = by_class.sum()
    rows = [(c, r.gross_pnl, r.costs, r.net_pnl) for c, r in by_class.iterrows()] + \
        [("total", total["gross_pnl"], total["costs"], total["net_pnl"])]
    head = (f'<tr><th>asset class</th><th class="num">gross {ccy}</th><th class="num">costs {ccy}</th>'
            f'<th class="num">net {ccy}</th><th class="num">share of net</th></tr>')
    body = "".join(f'<tr><td>{escape(str(c))}</td><td class="num">{g:,.0f}</td><td class="num">{k:,.0f}</td>'
                   f'<td class="num">{n:,.0f}</td><td class="num">{_share(n, total["net_pnl"])}</td></tr>'
                   for c, g, k, n in rows)
    out = f'<table class="pnl"><thead>{head}</thead><tbody>{body}</tbody></table>'
    by_symbol = per_day.groupby("symbol")["net_pnl"].sum().sort_values(ascending=False)
    if len(by_symbol) > 2 * contributors:
        best, worst = by_symbol.head(contributors), by_symbol.tail(contributors).iloc[::-1]
        cells = "".join(f'<tr><td>{escape(str(b))}</td><td class="num">{bv:,.0f}</td>'
                        f'<td>{escape(str(w))}</td><td class="num">{wv:,.0f}</td></tr>'
                        for (b, bv), (w, wv) in zip(best.items(), worst.items()))
        out += (f'<table class="pnl"><thead><tr><th>top {contributors} instruments</th><th class="num">net {ccy}</th>'
                f'<th>bottom {contributors}</th><th class="num">net {ccy}</th></tr></thead><tbody>{cells}</tbody></table>')
    return out


def _share(x: float, total: float) -> str:
    return f"{x / total:.0%}" if total else ""
