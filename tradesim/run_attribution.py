"""Brinson attribution of a recorded run against another run or a fixed policy mix.

Periods are months, quarters or years of the run's trading days; each starts at the
previous period's last close (the first at the run's first close). For each period:

- the portfolio's weights by segment (asset class or instrument) are its holdings at the
  period's opening close, from the ledger's position rows, over that close's NAV, with the
  rest in ``cash`` (return 0);
- a segment's return is its opening holdings held through the period (each instrument's
  close x FX at the period's last close over the opening one), so weights x returns is the
  buy-and-hold return of the opening book;
- the run's actual time-weighted return over the period (from its NAV and cash flows)
  differs from that by what trading inside the period added, net of costs: reported as
  ``trading`` beside the Brinson effects, which explain the buy-and-hold part.

A benchmark run is measured the same way; a policy mix is rebalanced to its weights at
each period's start, each segment's return being the equal-weighted return of the run's
instruments in it (or the instrument's own, by instrument). Allocation, selection and
interaction per period and Carino-linked over the run come from ``tradesim.attribution``.
Prices come from the run's recorded config (its data source), positions and NAV from the ledger.

Futures (and runs that mix them with stocks): a future's weight is its signed notional
exposure over NAV (contracts x the held contract's price x multiplier x FX, as the ledger's
position rows record it), so a leveraged book's weights add up to more than 1 and ``cash``
(1 - the sum) goes negative. A future's return over a period is its variation margin per
unit of opening notional: the back-adjusted price's daily changes x each day's FX, over the
held contract's price x FX at the opening close, exactly what the engine settles into cash
(roll costs, like all costs, fall in ``trading``). Cash earns 0, so a future's return is an
excess return, as a future's is: weights x returns is again the opening book's return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from tradesim.attribution import Attribution, brinson
from tradesim.errors import TradesimError

PERIOD = {"M": "M", "Q": "Q", "Y": "Y"}
CASH = "cash"


class AttributionError(TradesimError):
    """An attribution that cannot be made from these runs (a user's mistake: exit 2)."""


@dataclass(frozen=True)
class RunAttribution:
    attribution: Attribution  # the Brinson effects on the buy-and-hold returns of each period's opening book
    portfolio_actual: pd.Series  # per period: the run's time-weighted return
    benchmark_actual: pd.Series
    by: str
    freq: str
    method: str

    @property
    def trading(self) -> pd.Series:
        """Per period: the portfolio's actual return minus its opening book's buy-and-hold return."""
        return self.portfolio_actual - self.attribution.portfolio_return

    def table(self) -> pd.DataFrame:
        """Per period: effects, their total, trading and the actual active return."""
        out = self.attribution.by_period()
        out["trading"] = self.trading
        out["portfolio"] = self.portfolio_actual
        out["benchmark"] = self.benchmark_actual
        return out

    def rows(self) -> tuple[list[str], list[list]]:
        """One row per period and a ``linked`` row (Carino-linked effects; trading and the returns
        compounded over the run): what ``tradesim attribution`` prints."""
        table = self.table()
        columns = ["period", "allocation", "selection", "interaction", "trading", "portfolio", "benchmark"]
        rows = [[str(p), *(float(table.loc[p, c]) for c in columns[1:])] for p in table.index]
        total = self.attribution.total()
        compound = lambda s: float((1 + s).prod() - 1)  # noqa: E731
        rows.append(["linked", float(total["allocation"]), float(total["selection"]), float(total["interaction"]),
                     compound(self.portfolio_actual) - compound(self.attribution.portfolio_return),
                     compound(self.portfolio_actual), compound(self.benchmark_actual)])
        return columns, rows


@dataclass(frozen=True)
class Book:
    """One side's per-period weights and returns by segment, and its actual returns."""

    weights: pd.DataFrame
    returns: pd.DataFrame
    actual: pd.Series


def period_bounds(days: pd.DatetimeIndex, freq: str) -> tuple[np.ndarray, pd.Index]:
    """Indices of each period's opening close (the previous period's last day) and closing close."""
    if freq not in PERIOD:
        raise AttributionError(f"--freq must be M, Q or Y, not {freq!r}")
    periods = days.to_period(PERIOD[freq])
    last = np.flatnonzero(np.r_[periods[1:] != periods[:-1], True])
    bounds = np.r_[0, last]
    if bounds[1] == 0:  # the first day closes its own period: nothing to attribute in it
        bounds = bounds[1:]
    labels = periods[bounds[1:]].astype(str)
    return bounds, pd.Index(labels, name="period")


def segment_of(symbols: list[str], instruments: pd.DataFrame, by: str) -> dict[str, str]:
    if by == "instrument":
        return {s: s for s in symbols}
    if by == "asset_class":
        return {s: str(instruments.loc[s, "asset_class"]) for s in symbols}
    raise AttributionError(f"--by must be asset_class or instrument, not {by!r}")


def run_book(run, market, bounds: np.ndarray, labels: pd.Index, by: str) -> Book:  # noqa: ANN001
    """Weights at each period's opening close and the opening book's returns, from the ledger and prices."""
    days = run.days
    value = _values(run, days)  # (day, symbol) base-currency holdings at each close
    nav = run.equity["nav"]
    col = {s: j for j, s in enumerate(market.symbols)}
    dates = pd.DatetimeIndex(market.dates).tz_localize(None) if market.dates.tz is not None else market.dates
    at = dates.get_indexer(days)
    if (at < 0).any():
        raise AttributionError(f"run {run.run_id}: its days are not all in its data source's prices")
    seg = segment_of(list(value.columns), run.instruments, by)
    weights, returns = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        held = value.iloc[a]
        moved = period_returns(market, at[a], at[b])
        growth = pd.Series({s: moved[col[s]] for s in held.index[held != 0]}, dtype=float)
        w = (held / nav.iloc[a]).groupby(seg).sum()
        gained = (held[growth.index] * growth).groupby(pd.Series(seg)[growth.index]).sum()
        r = (gained / held[held != 0].groupby(pd.Series(seg)[held.index[held != 0]]).sum()).reindex(w.index)
        w[CASH] = 1.0 - w.sum()
        r[CASH] = 0.0
        weights.append(w)
        returns.append(r)
    flows = run.external_flows.to_numpy()
    growth_daily = nav.to_numpy()[1:] - flows[1:]
    daily = pd.Series(growth_daily / nav.to_numpy()[:-1], index=days[1:])
    actual = pd.Series([float(daily.iloc[a:b].prod() - 1.0) for a, b in zip(bounds[:-1], bounds[1:])], index=labels)
    return Book(pd.DataFrame(weights, index=labels).fillna(0.0), pd.DataFrame(returns, index=labels), actual)


def period_returns(market, start: int, end: int) -> np.ndarray:  # noqa: ANN001
    """Each instrument's return from market day ``start``'s close to day ``end``'s, in the base
    currency: a stock's value (close x FX) grows; a future earns its daily variation margin
    (back-adjusted change x that day's FX) per unit of opening notional (held price x FX)."""
    level = market.close * market.fx
    with np.errstate(invalid="ignore", divide="ignore"):
        stock = level[end] / level[start] - 1.0
        margin = (np.diff(market.close[start:end + 1], axis=0) * market.fx[start + 1:end + 1]).sum(axis=0)
        future = margin / (market.contract_price[start] * market.fx[start])
    return np.where(market.is_future, future, stock)


def _values(run, days: pd.DatetimeIndex) -> pd.DataFrame:  # noqa: ANN001
    p = run.positions
    if p.empty:
        return pd.DataFrame(index=days)
    wide = p.pivot_table(index="day", columns="symbol", values="notional_base", aggfunc="sum", observed=True)
    return wide.reindex(days).fillna(0.0)


def mix_book(mix: Mapping[str, float], run, market, bounds: np.ndarray, labels: pd.Index,  # noqa: ANN001
             by: str) -> Book:
    """A policy mix rebalanced at each period's start: segment returns are equal-weighted over its instruments."""
    total = sum(mix.values())
    if abs(total - 1.0) > 1e-6:
        raise AttributionError(f"benchmark mix weights sum to {total:g}, not 1")
    symbols = [s for s in market.symbols if s in run.instruments.index]
    seg = segment_of(symbols, run.instruments, by)
    unknown = [k for k in mix if k not in set(seg.values()) | {CASH}]
    if unknown:
        raise AttributionError(f"benchmark mix: no {by.replace('_', ' ')} {unknown[0]!r} in run {run.run_id} "
                               f"(it has {', '.join(sorted(set(seg.values())))})")
    dates = pd.DatetimeIndex(market.dates).tz_localize(None) if market.dates.tz is not None else market.dates
    at = dates.get_indexer(run.days)
    col = {s: j for j, s in enumerate(market.symbols)}
    returns = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        moved = period_returns(market, at[a], at[b])
        growth = {s: moved[col[s]] for s in symbols}
        r = pd.Series(growth).groupby(pd.Series(seg)).mean()
        r[CASH] = 0.0
        returns.append(r.reindex(list(mix)))
    returns = pd.DataFrame(returns, index=labels)
    if returns.isna().any().any():
        bad = returns.columns[returns.isna().any()][0]
        raise AttributionError(f"benchmark mix: segment {bad!r} has no price at the start of a period")
    weights = pd.DataFrame([dict(mix)] * len(labels), index=labels, dtype=float)
    return Book(weights, returns, (weights * returns).sum(axis=1))


def attribute_run(conn, run_id: int, benchmark: int | Mapping[str, float], by: str = "asset_class",  # noqa: ANN001
                  freq: Literal["M", "Q", "Y"] = "Q", method: Literal["bf", "bhb"] = "bf",
                  market=None) -> RunAttribution:  # noqa: ANN001
    """Attribute run ``run_id`` against run ``benchmark`` or a policy mix {segment: weight}."""
    from tradesim.report.ledger import load_run

    run = load_run(conn, run_id)
    market = market or _market(run)
    bounds, labels = period_bounds(run.days, freq)
    if len(bounds) < 2:
        raise AttributionError(f"run {run_id} has no whole period to attribute at frequency {freq}")
    mine = run_book(run, market, bounds, labels, by)
    if isinstance(benchmark, Mapping):
        theirs = mix_book(benchmark, run, market, bounds, labels, by)
    else:
        other = load_run(conn, benchmark)
        if not other.days.equals(run.days):
            raise AttributionError(f"runs {run_id} and {benchmark} cover different days: attribute runs of one span")
        theirs = run_book(other, _market(other) if other.config != run.config else market, bounds, labels, by)
    segments = sorted(set(mine.weights.columns) | set(theirs.weights.columns))
    wp, wb = (b.weights.reindex(columns=segments, fill_value=0.0) for b in (mine, theirs))
    rp, rb = (b.returns.reindex(columns=segments) for b in (mine, theirs))
    # A segment one side does not hold has no return of its own: it earns the other side's.
    rb = rb.fillna(rp).fillna(0.0)
    try:
        result = brinson(wp, rp, wb, rb, method=method)
    except ValueError as exc:
        raise AttributionError(f"attribution of run {run_id}: {exc}") from None
    return RunAttribution(result, mine.actual, theirs.actual, by, freq, method)


def _market(run):  # noqa: ANN001, ANN202
    from tradesim.replay import load_market
    from tradesim.schema import validate_config

    return load_market(validate_config(run.config, f"run {run.run_id}'s config"))
