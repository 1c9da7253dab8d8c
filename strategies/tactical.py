"""Tactical overlay on a strategic mix: tilt equity by how stretched the indicators are.

Indicators, each a daily series where higher is worse for equities:
- ``valuation``: e.g. a CAPE or earnings-yield gap, from a CSV file;
- ``volatility``: from a CSV, or derived from prices as the equity sleeve's
  trailing volatility (``vol_window`` days, annualised with 16);
- ``drawdown``: derived from prices, the equity sleeve's fall from its peak;
- ``recession``: a recession probability, from a CSV.
A CSV has two columns, date and value; a value counts from its date on (give
publication dates, not reference dates, or the replay looks ahead).
The equity sleeve is an equal-weighted daily index of the instruments mapped
to us_equity and international_equity.

Each indicator is scored against its own history up to that day:
    z = (x_t - mean(x_<=t)) / sd(x_<=t),   score = -clip(z / z_scale, -1, 1)
(no score before ``min_history`` observations). The equity tilt is
    tilt = max_deviation x mean(scores available that day)
added to the equity classes in proportion to their strategic weights and
taken 70/30 (``bond_share``) from fixed income and cash; a class pushed below
zero is set to zero and the mix renormalised. Every day's signals and tilt
are kept in ``tilt_log`` (a DataFrame); a change of ``log_step`` or more
since the last logged tilt is logged at INFO with its signals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from strategies.asset_mix import ASSET_CLASSES, DEFENSIVE, EQUITY
from strategies.base import AccountView, StrategyContext
from strategies.strategic import StrategicAllocation
from tradesim.data.frames import read_wide_csv
from tradesim.estimates.volatility import ANNUALISE

log = logging.getLogger(__name__)

INDICATORS = ("valuation", "volatility", "drawdown", "recession")
FROM_PRICES = ("volatility", "drawdown")


def read_indicator(path: str | Path, name: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """A date,value CSV as of each of ``dates`` (the last value at or before the day; NaN before the first)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name} indicator file {path} not found")
    frame = read_wide_csv(path, f"{name} indicator file {path}")
    if frame.shape[1] != 1:
        raise ValueError(f"{path}: an indicator file has two columns (date, value), found {frame.shape[1] + 1}")
    series = frame.iloc[:, 0]
    return series.reindex(series.index.union(dates)).ffill().reindex(dates).to_numpy(dtype=float)


def history_score(x: np.ndarray, min_history: int, z_scale: float) -> np.ndarray:
    """-clip(z / z_scale, -1, 1), z against the expanding mean and sd up to each day."""
    s = pd.Series(x)
    mean = s.expanding(min_periods=min_history).mean().to_numpy()
    sd = s.expanding(min_periods=min_history).std().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sd > 0, (x - mean) / sd, 0.0)  # a flat history: nothing is stretched
    z = np.where(np.isnan(mean) | np.isnan(x), np.nan, z)
    return -np.clip(z / z_scale, -1.0, 1.0)


def tilted_mix(mix: Mapping[str, float], tilt: np.ndarray, bond_share: float) -> dict[str, np.ndarray]:
    """Class weights per day after moving ``tilt`` into equity out of fixed income and cash."""
    equity = sum(mix[c] for c in EQUITY)
    out = {}
    for cls in ASSET_CLASSES:
        w = np.full(len(tilt), mix[cls])
        if cls in EQUITY:
            # Pro rata to the strategic equity weights; all to US equity if the mix has none.
            share = mix[cls] / equity if equity > 0 else (1.0 if cls == "us_equity" else 0.0)
            w = w + tilt * share
        elif cls in DEFENSIVE:
            w = w - tilt * (bond_share if cls == "fixed_income" else 1.0 - bond_share)
        out[cls] = np.maximum(w, 0.0)
    total = sum(out.values())
    return {cls: w / total for cls, w in out.items()}


class TacticalOverlay(StrategicAllocation):
    def __init__(
        self,
        tickers: Mapping[str, str | Sequence[str]],
        profile: str | None = None,
        mix: Mapping[str, float] | None = None,
        horizon_years: float | None = None,
        horizon_tilt: float = 0.25,
        exclude: Sequence[str] = (),
        indicators: Mapping[str, str] | None = None,
        max_deviation: float = 0.10,
        bond_share: float = 0.7,
        vol_window: int = 63,
        min_history: int = 252,
        z_scale: float = 2.0,
        log_step: float = 0.005,
    ) -> None:
        super().__init__(tickers, profile, mix, horizon_years, horizon_tilt, exclude)
        indicators = dict(indicators if indicators is not None else {"volatility": "prices", "drawdown": "prices"})
        if not indicators:
            raise ValueError("a tactical overlay needs at least one indicator")
        for name, source in indicators.items():
            if name not in INDICATORS:
                raise ValueError(f"indicators: unknown indicator {name!r} (known: {', '.join(INDICATORS)})")
            if source == "prices" and name not in FROM_PRICES:
                raise ValueError(f"indicators: {name!r} cannot be derived from prices; give a CSV path")
        if not 0 <= max_deviation <= 1:
            raise ValueError(f"max_deviation must be between 0 and 1, got {max_deviation}")
        if not 0 <= bond_share <= 1:
            raise ValueError(f"bond_share must be between 0 and 1, got {bond_share}")
        if vol_window < 2 or min_history < 2 or z_scale <= 0 or log_step < 0:
            raise ValueError("vol_window and min_history must be at least 2, z_scale positive, log_step non-negative")
        if not any(cls in self.sleeves.tickers for cls in EQUITY):
            raise ValueError("a tactical overlay needs instruments mapped to us_equity or international_equity")
        self.indicators = indicators
        self.max_deviation, self.bond_share = float(max_deviation), float(bond_share)
        self.vol_window, self.min_history, self.z_scale = int(vol_window), int(min_history), float(z_scale)
        self.log_step = float(log_step)

    # -- signals ---------------------------------------------------------------------

    def equity_sleeve_index(self, ctx: StrategyContext) -> np.ndarray:
        """Equal-weighted daily index of the equity instruments (1 before the first return)."""
        masks = self.sleeves.membership(ctx.market.symbols)
        equity = np.logical_or.reduce([masks[cls] for cls in EQUITY if cls in masks])
        r = ctx.returns[:, equity]
        n = np.sum(~np.isnan(r), axis=1)
        daily = np.divide(np.nansum(r, axis=1), n, out=np.zeros(len(n)), where=n > 0)
        return np.cumprod(1.0 + daily)

    def raw_indicators(self, ctx: StrategyContext) -> dict[str, np.ndarray]:
        dates = ctx.market.dates
        out: dict[str, np.ndarray] = {}
        index = None
        for name, source in self.indicators.items():
            if source != "prices":
                out[name] = read_indicator(source, name, dates)
                continue
            index = self.equity_sleeve_index(ctx) if index is None else index
            if name == "volatility":
                daily = pd.Series(index).pct_change()
                out[name] = (daily.rolling(self.vol_window, min_periods=self.vol_window).std() * ANNUALISE).to_numpy()
            else:  # drawdown depth, positive: higher is worse like the others
                out[name] = 1.0 - index / np.maximum.accumulate(index)
        return out

    def class_weights(self, ctx: StrategyContext) -> dict[str, np.ndarray]:
        raw = self.raw_indicators(ctx)
        scores = {name: history_score(x, self.min_history, self.z_scale) for name, x in raw.items()}
        stacked = np.column_stack(list(scores.values()))
        n = np.sum(~np.isnan(stacked), axis=1)
        mean_score = np.divide(np.nansum(stacked, axis=1), n, out=np.zeros(len(n)), where=n > 0)
        tilt = self.max_deviation * mean_score
        weights = tilted_mix(self.mix, tilt, self.bond_share)
        log_frame = {"tilt": tilt, "equity_weight": sum(weights[c] for c in EQUITY)}
        for name in raw:
            log_frame[name] = raw[name]
            log_frame[f"{name}_score"] = scores[name]
        self.tilt_log = pd.DataFrame(log_frame, index=ctx.market.dates)
        return weights

    # -- the day ---------------------------------------------------------------------

    def prepare(self, ctx: StrategyContext) -> None:
        self._last_logged: float | None = None
        self.logged: list[dict] = []  # the tilts logged during the run, with their signals
        super().prepare(ctx)

    def target_weights(self, t: int, account: AccountView) -> np.ndarray:
        row = self.tilt_log.iloc[t]
        if self._last_logged is None or abs(row["tilt"] - self._last_logged) >= self.log_step:
            self._last_logged = float(row["tilt"])
            signals = {k: float(v) for k, v in row.items() if k not in ("tilt", "equity_weight")}
            record = {"date": self.tilt_log.index[t], "tilt": float(row["tilt"]),
                      "equity_weight": float(row["equity_weight"]), **signals}
            self.logged.append(record)
            log.info("tactical tilt %+.2f%% on %s: equity %.2f%%; %s", 100 * record["tilt"], record["date"].date(),
                     100 * record["equity_weight"], ", ".join(f"{k} {v:.4g}" for k, v in signals.items()),
                     extra={"tactical_tilt": record})
        return self.weights[t]
