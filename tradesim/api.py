"""The Python API for notebooks: ``tradesim.backtest(...)`` and ``tradesim.compare(...)``.

Pandas in, pandas out, and nothing of its own: the arguments become a portfolio config
(validated by the same schema as a TOML file), the prices a ``Market``, and the run is
the CLI's ``replay`` (or ``compare``) writing the same ledger, by default an in-memory
SQLite database. The names follow the dynamic-optimisation guide the project started
from (``portfolio_weights`` -> ``weights``, ``capital``, ``risk_target``,
``rebalance_frequency`` -> ``rebalance``, ``cost_multiplier``, ``use_buffering`` ->
``buffer_fraction``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine as DbEngine

from tradesim.errors import ConfigError
from tradesim.market import Market
from tradesim.metrics import daily_te, unit_turnover
from tradesim.schema import PortfolioConfig

SOURCE = "tradesim.backtest"
# The default config's costs: a percentage commission with a minimum ticket plus half a 10 bp spread.
STOCK_COSTS = {"commission_pct": 0.0005, "commission_min": 1.0, "half_spread_bps": 5.0}
REBALANCE = {
    "daily": None,
    "weekly": {"kind": "calendar", "cron": "0 16 * * fri", "snap": "previous"},
    "monthly": {"kind": "calendar", "cron": "0 16 last * *", "snap": "previous"},
}


def _closes_and_opens(prices: pd.DataFrame | Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Closes (and opens, if given) from a DataFrame of closes or a dict of open/high/low/close frames."""
    if isinstance(prices, pd.DataFrame):
        return _dated(prices, "prices"), None
    if not isinstance(prices, Mapping) or "close" not in prices:
        raise ConfigError(f"{SOURCE}: prices: a DataFrame of closes, or a dict with 'close' (and 'open', 'high', 'low')")
    unknown = sorted(set(prices) - {"open", "high", "low", "close"})
    if unknown:
        raise ConfigError(f"{SOURCE}: prices: unknown field {unknown[0]!r} (open, high, low, close)")
    close = _dated(prices["close"], "prices['close']")
    opens = _dated(prices["open"], "prices['open']") if prices.get("open") is not None else None
    return close, opens  # high and low: fills are at the open or the close, so they are not used


def _dated(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ConfigError(f"{SOURCE}: {label}: a DataFrame with dates down and one column per symbol")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (ValueError, TypeError):
        raise ConfigError(f"{SOURCE}: {label}: the index must be dates") from None
    if index.tz is not None:
        index = index.tz_localize(None)
    out = frame.copy()
    out.index = index.normalize()
    out.columns = [str(c) for c in out.columns]
    if out.index.has_duplicates:
        raise ConfigError(f"{SOURCE}: {label}: date {out.index[out.index.duplicated()][0].date()} appears twice")
    try:
        return out.apply(pd.to_numeric).astype("float64").sort_index()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{SOURCE}: {label}: prices must be numbers: {exc}") from None


def _instruments(symbols: list[str], instruments: Any, base_currency: str) -> list[dict]:
    """One ``[[instruments]]`` table per symbol: stocks in the base currency unless ``instruments`` says otherwise."""
    if instruments is None:
        given: dict[str, dict] = {}
    elif isinstance(instruments, pd.DataFrame):
        given = {str(s): {k: v for k, v in row.items() if not (isinstance(v, float) and np.isnan(v))}
                 for s, row in instruments.to_dict(orient="index").items()}
    elif isinstance(instruments, Mapping):
        given = {str(s): dict(fields) for s, fields in instruments.items()}
    else:
        raise ConfigError(f"{SOURCE}: instruments: a dict (or DataFrame indexed by symbol) of multiplier, "
                          "currency, asset_class, kind, costs")
    unknown = sorted(set(given) - set(symbols))
    if unknown:
        raise ConfigError(f"{SOURCE}: instruments: {unknown[0]!r} has no prices")
    return [{"symbol": s, "currency": base_currency, **given.get(s, {})} for s in symbols]


def build_config(symbols: list[str], *, strategy_name: str, params: Mapping[str, Any] | None, instruments: Any,
                 capital: float, risk_target: float, optimiser: str, cost_multiplier: float, buffer_fraction: float,
                 rebalance: str | Mapping[str, Any], costs: Mapping[str, float] | None, fills: str,
                 start: Any, end: Any, base_currency: str, name: str, sets: Sequence[str]) -> PortfolioConfig:
    """The portfolio config the arguments describe, validated like a TOML file."""
    from tradesim.overrides import apply_sets
    from tradesim.schema import validate_config

    if isinstance(rebalance, str) and rebalance not in REBALANCE and len(rebalance.split()) != 5:
        raise ConfigError(f"{SOURCE}: rebalance: {rebalance!r} is not daily, weekly, monthly or a five-field cron")
    trigger = (REBALANCE[rebalance] if rebalance in REBALANCE else {"kind": "calendar", "cron": rebalance}) \
        if isinstance(rebalance, str) else dict(rebalance)
    raw: dict[str, Any] = {
        "name": name, "base_currency": base_currency, "capital": capital, "risk_target": risk_target,
        "data": {"source": "dataframe"},
        "strategy": {"name": strategy_name, "params": dict(params or {})},
        "optimiser": {"method": optimiser, "cost_multiplier": cost_multiplier, "buffer_fraction": buffer_fraction,
                      # share counts run to thousands: polish from the rounded optimum (README, "Dynamic optimisation")
                      "start": "rounded"},
        "fills": {"timing": fills},
        "costs": dict(STOCK_COSTS if costs is None else costs),
        "instruments": _instruments(symbols, instruments, base_currency),
    }
    if trigger is not None:
        raw["trigger"] = trigger
    for key, value in (("start", start), ("end", end)):
        if value is not None:
            raw[key] = pd.Timestamp(value).date()
    return validate_config(apply_sets(raw, sets, SOURCE), SOURCE)


def _strategy(weights: pd.DataFrame | None, strategy: Any, params: Mapping[str, Any] | None):  # noqa: ANN202
    """(the config's strategy name, its params, the instance to run or None to build it from the name)."""
    if (weights is None) == (strategy is None):
        raise ConfigError(f"{SOURCE}: give weights= (a DataFrame of target weights) or strategy= (a name or instance)")
    if weights is not None:
        from strategies.weights import Weights

        try:
            return "weights", {}, Weights(frame=weights)
        except ValueError as exc:
            raise ConfigError(f"{SOURCE}: weights: {exc}") from None
    if isinstance(strategy, str):
        from strategies import make_strategy

        return strategy, dict(params or {}), make_strategy(strategy, dict(params or {}))
    if params:
        raise ConfigError(f"{SOURCE}: params= goes with a strategy name; an instance has its parameters already")
    missing = [m for m in ("prepare", "target_weights") if not callable(getattr(strategy, m, None))]
    if missing:
        raise ConfigError(f"{SOURCE}: strategy: {type(strategy).__name__} is not a strategy: it has no {missing[0]}() method")
    cls = type(strategy)
    return f"{cls.__module__}:{cls.__qualname__}", {}, strategy


def _market(config: PortfolioConfig, close: pd.DataFrame, opens: pd.DataFrame | None, fx: pd.DataFrame | None) -> Market:
    from tradesim.data.source import PriceBars
    from tradesim.market import build_market

    return build_market(config, PriceBars(close=close, open=opens, fx=fx if fx is not None else pd.DataFrame()))


def _ledger(db: str | None) -> tuple[DbEngine, str]:
    from db.session import database_url, open_engine

    if db is None:
        return open_engine("sqlite://"), "sqlite:// (in memory)"  # one connection per thread: it stays alive
    url = database_url(str(db), None)
    return open_engine(url), url


@dataclass
class BacktestResult:
    """A finished run: its figures, its ledger as DataFrames, and a report."""

    config: PortfolioConfig
    run_id: int
    summary: dict[str, float]
    db: DbEngine = field(repr=False)
    url: str = ""

    @property
    def equity(self) -> pd.DataFrame:
        """NAV, cash, P&L, costs and exposure per day (base currency)."""
        from db import queries

        frame = queries.equity(self.db, run=self.run_id)
        return _by_day(frame[["day", "nav", "cash", "gross_pnl", "costs", "roll_costs", "net_pnl", "gross_exposure",
                              "traded_notional"]])

    @property
    def positions(self) -> pd.DataFrame:
        """Shares (contracts) held at each close: dates down, symbols across."""
        from db import queries

        frame = queries.positions(self.db, run=self.run_id, since="1900-01-01")
        wide = frame.pivot_table(index="day", columns="symbol", values="quantity", aggfunc="sum")
        wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="date")
        # The ledger keeps held positions only: a day (or symbol) without a row holds nothing.
        return wide.reindex(index=self.equity.index, columns=list(self.config.symbols)).fillna(0.0) \
            .rename_axis(columns=None)

    @property
    def trades(self) -> pd.DataFrame:
        """Every fill, by fill date, with its decision date, side, price, costs and the order's reason."""
        from db import queries

        frame = queries.trades(self.db, run=self.run_id)
        return _by_day(frame.drop(columns=["run_id", "portfolio"]))

    @property
    def diagnostics(self) -> pd.DataFrame:
        """Per day: tracking error against the unrounded optimum, adjustment factor, what the sizing step did."""
        from db import queries

        frame = queries.equity(self.db, run=self.run_id)
        return _by_day(frame[["day", "tracking_error", "adjustment_factor", "path", "reason", "rebalanced"]])

    @property
    def warnings(self) -> list[str]:
        """Every warning line the run logged, as the ledger keeps them (``runs.warning_text``; the
        count, one per instrument-day without a price and one per other line, is ``runs.warnings``)."""
        from db import queries

        text = queries.runs(self.db, run=self.run_id)["warning_text"].iloc[0]
        return text.split("\n") if isinstance(text, str) and text else []

    def report(self, path: str | Path) -> Path:
        """A self-contained HTML report of the run (as ``tradesim report``)."""
        from tradesim.report.build import write_report

        return write_report(self.db, [self.run_id], path).html


def _by_day(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["day"]), name="date")).drop(columns="day")
    return out


def guide_summary(result, units_traded: float) -> dict[str, float]:  # noqa: ANN001
    """The run's figures under the guide's names (turnover in contracts or shares), and ours."""
    s = result.summary
    traded = result.adjustment_factor[result.paths_traded] if result.paths_traded is not None else result.adjustment_factor
    total, per_day, per_year = unit_turnover(units_traded, s.days)
    te = float(np.mean(result.tracking_error)) if len(result.tracking_error) else float("nan")
    return {
        "annualized_return": s.annual_return,
        "annualized_volatility": s.annual_volatility,
        "sharpe_ratio": s.sharpe,
        "risk_free": s.risk_free,  # the annual rate sharpe_ratio is over (its average for a series)
        "max_drawdown": s.max_drawdown,
        "avg_tracking_error": te,  # annualised
        "avg_tracking_error_daily": daily_te(te),
        "avg_adjustment_factor": float(np.mean(traded)) if len(traded) else float("nan"),
        "total_turnover": total,  # contracts (shares), bought plus sold
        "avg_daily_turnover": per_day,
        "annual_turnover": per_year,
        "annual_notional_turnover": s.annual_notional_turnover,
        "total_costs": s.total_costs,
        "trades": s.trades,
        "days": s.days,
        "start_nav": s.start_nav,
        "end_nav": s.end_nav,
    }


def backtest(prices: pd.DataFrame | Mapping[str, pd.DataFrame], *, weights: pd.DataFrame | None = None,
             strategy: Any = None, params: Mapping[str, Any] | None = None, instruments: Any = None,
             capital: float = 1_000_000.0, risk_target: float = 0.2,
             optimiser: str = "dynamic", cost_multiplier: float = 50.0, buffer_fraction: float = 0.05,
             rebalance: str | Mapping[str, Any] = "daily", costs: Mapping[str, float] | None = None,
             fills: str = "next", start: Any = None, end: Any = None, fx: pd.DataFrame | None = None,
             base_currency: str = "USD", name: str = "notebook", db: str | None = None,
             sets: Sequence[str] = ()) -> BacktestResult:
    """Replay ``weights`` (or ``strategy``) over ``prices`` through the CLI's engine and ledger.

    prices: a DataFrame of closes (dates down, symbols across), or a dict of 'open',
        'high', 'low', 'close' DataFrames (with opens, orders fill at the next open).
    weights: target notional weights as fractions of capital, dates down and symbols
        across; a row dated d is first used by the decision at d's close and holds until
        the next row. Or strategy: a registered name (with params=), a 'file.py:Class' or
        'pkg.mod:Class' name, or an instance implementing prepare(ctx) and target_weights(t, account).
    instruments: {symbol: {multiplier, currency, asset_class, kind, costs}}; default:
        stocks in the base currency, multiplier 1.
    optimiser: 'dynamic' (Carver's), 'round' or 'none' (fractional positions).
    rebalance: 'daily', 'weekly' (Fridays), 'monthly' (last session), a five-field cron,
        or a [trigger] table as a dict (e.g. {'kind': 'threshold', 'measure': 'drift', 'band': 0.02}).
    costs: the default cost model (commission_pct, commission_min, commission_per_unit,
        half_spread, half_spread_bps); default: the default config's.
    db: None keeps the ledger in memory; a path or SQLAlchemy URL keeps it.
    sets: --set style 'KEY=VALUE' changes to any other config field.
    """
    from tradesim.replay import replay

    close, opens = _closes_and_opens(prices)
    name_, params_, instance = _strategy(weights, strategy, params)
    config = build_config(list(close.columns), strategy_name=name_, params=params_, instruments=instruments,
                          capital=capital, risk_target=risk_target, optimiser=optimiser,
                          cost_multiplier=cost_multiplier, buffer_fraction=buffer_fraction, rebalance=rebalance,
                          costs=costs, fills=fills, start=start, end=end, base_currency=base_currency, name=name,
                          sets=sets)
    market = _market(config, close, opens, fx)
    engine, url = _ledger(db)
    result = replay(config, None, market=market, strategy=instance, db_engine=engine)
    return BacktestResult(config, result.run_id, guide_summary(result, result.units_traded), engine, url)


def compare(prices: pd.DataFrame | Mapping[str, pd.DataFrame], *, weights: pd.DataFrame | None = None,
            strategy: Any = None, params: Mapping[str, Any] | None = None, instruments: Any = None,
            capital: float = 1_000_000.0, risk_target: float = 0.2, cost_multiplier: float = 50.0,
            buffer_fraction: float = 0.05, rebalance: str | Mapping[str, Any] = "daily",
            costs: Mapping[str, float] | None = None, fills: str = "next", start: Any = None, end: Any = None,
            fx: pd.DataFrame | None = None, base_currency: str = "USD", name: str = "notebook",
            db: str | None = None, sets: Sequence[str] = (), variants: Sequence[str] | None = None,
            lambdas: Sequence[float] | None = None, buffers: Sequence[float] | None = None) -> pd.DataFrame:
    """``tradesim compare`` from Python: one row per variant (the ideal, rounded, dynamic...), indexed by variant.

    Arguments as ``backtest``; every variant is a full replay in the ledger (``run_id`` column).
    ``variants``, ``lambdas``, ``buffers``: as the command's --variants, --lambda, --buffer
    (greedy and dynamic run once per cost multiplier and buffer, labelled e.g.
    "dynamic lambda=10 buffer=0.05").
    """
    from tradesim.compare import DEFAULT_VARIANTS, VARIANTS, compare as run_compare

    unknown = [v for v in (variants or ()) if v not in VARIANTS]
    if unknown:
        raise ConfigError(f"tradesim.compare: unknown variant {unknown[0]!r} (known: {', '.join(VARIANTS)})")

    close, opens = _closes_and_opens(prices)
    name_, params_, instance = _strategy(weights, strategy, params)
    config = build_config(list(close.columns), strategy_name=name_, params=params_, instruments=instruments,
                          capital=capital, risk_target=risk_target, optimiser="dynamic",
                          cost_multiplier=cost_multiplier, buffer_fraction=buffer_fraction, rebalance=rebalance,
                          costs=costs, fills=fills, start=start, end=end, base_currency=base_currency, name=name,
                          sets=sets)
    market = _market(config, close, opens, fx)
    engine, _ = _ledger(db)
    rows, results = run_compare(config, None, market, strategy=instance, db_engine=engine,
                                variants=tuple(variants) if variants else DEFAULT_VARIANTS,
                                lambdas=list(lambdas) if lambdas else None, buffers=list(buffers) if buffers else None)
    table = pd.DataFrame([{"variant": r.variant, **guide_summary(results[r.variant], results[r.variant].units_traded),
                           "realised_te": r.realised_te, "drag": r.drag, "correlation": r.correlation,
                           "run_id": r.run_id} for r in rows]).set_index("variant")
    if db is None:
        engine.dispose()  # the in-memory ledger goes with it; a kept one stays for queries by run_id
    return table
