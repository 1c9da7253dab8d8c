"""Trend and carry on futures, as Carver's "Advanced Futures Trading Strategies" (strategy 11).

Rules (strategies/forecasts): EWMAC 2/8, 4/16, 8/32, 16/64, 32/128, 64/256 with AFTS's
fixed forecast scalars (12.1, 8.53, 5.95, 4.10, 2.79, 1.91), and carry smoothed over 5,
20, 60 and 120 days with scalar 30; each capped at +-20. 60% of the forecast weight to
trend and 40% to carry, equal within each; the FDM is estimated from the pooled forecast
correlation (or fixed with ``fdm``); the combined forecast is capped at +-20 again.

Position, AFTS's formula:

    N = F / 10 x capital x IDM x w_i x tau / (multiplier x price x FX x sigma_%)

In tradesim's protocol the strategy returns the notional weight
F / 10 x IDM x w_i x tau / sigma_% and the engine divides it by
multiplier x held price x FX / capital. sigma_% is the engine's annualised % volatility.

An instrument is live once it has a volatility estimate (35 real, non-zero returns) and a
forecast; before that its weight is NaN (no position). Without carry data an instrument
trades on trend alone (the carry weight goes to the trend rules). Instrument weights are
equal per asset class, then within the class, over the live instruments each day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from strategies.base import StrategyContext, VectorStrategy
from strategies.forecasts import (
    CARRY_SCALAR, TREND_SCALARS, annualised_carry, carry_forecast, ewmac_forecast, price_vol_points,
)
from strategies.forecasts.combine import combine_forecast_blocks, day_blocks
from strategies.forecasts.ewmac import own_day_ewma
from strategies.forecasts.allocation import asset_class_weights, instrument_diversification
from tradesim.allocator import release_free_memory
from tradesim.estimates import WeeklyCorrelation

# Instruments whose rules are computed together: each rule's intermediate tables are this many
# instruments wide, not all of them (on Jumbo, 123 instruments: 6.4 MB each).
INSTRUMENTS_AT_ONCE = 16


def _part(name: str, doc: str) -> property:
    """One of the parts behind the weights (``PositionParts``), recomputed once if asked for."""
    return property(lambda self: getattr(self._kept_parts(), name), doc=doc)


class TrendCarry(VectorStrategy):
    def __init__(
        self,
        trend_spans: Sequence[int] = (2, 4, 8, 16, 32, 64),
        trend_scalars: Sequence[float] | None = None,
        carry_spans: Sequence[int] = (5, 20, 60, 120),
        carry_scalar: float = CARRY_SCALAR,
        trend_weight: float = 0.6,
        forecast_cap: float = 20.0,
        fdm: float | None = None,
        fdm_cap: float = 2.5,
        fdm_min_observations: int = 256,
        idm_cap: float = 2.5,
    ) -> None:
        self.trend_spans = [int(s) for s in trend_spans]
        self.carry_spans = [int(s) for s in carry_spans]
        if not self.trend_spans and not self.carry_spans:
            raise ValueError("trend_carry needs at least one trend or carry span")
        if any(s < 1 for s in self.trend_spans + self.carry_spans):
            raise ValueError("spans must be at least 1 day")
        if trend_scalars is None:
            missing = [s for s in self.trend_spans if s not in TREND_SCALARS]
            if missing:
                raise ValueError(f"no AFTS forecast scalar for trend span {missing[0]}: give trend_scalars")
            trend_scalars = [TREND_SCALARS[s] for s in self.trend_spans]
        if len(trend_scalars) != len(self.trend_spans):
            raise ValueError(f"trend_scalars has {len(trend_scalars)} values for {len(self.trend_spans)} trend_spans")
        if not 0.0 <= trend_weight <= 1.0:
            raise ValueError(f"trend_weight must be between 0 and 1, got {trend_weight}")
        if forecast_cap <= 0 or fdm_cap < 1 or idm_cap < 1 or (fdm is not None and fdm <= 0):
            raise ValueError("forecast_cap must be positive; fdm positive; fdm_cap and idm_cap at least 1")
        self.trend_scalars = [float(s) for s in trend_scalars]
        self.carry_scalar, self.trend_weight = float(carry_scalar), float(trend_weight)
        self.cap, self.fdm, self.fdm_cap = float(forecast_cap), fdm, float(fdm_cap)
        self.fdm_min_observations, self.idm_cap = int(fdm_min_observations), float(idm_cap)
        self._parts: PositionParts | None = None  # kept only once asked for (see weights_table)

    # -- the rules ---------------------------------------------------------------------

    def rule_forecasts(self, ctx: StrategyContext) -> dict[str, np.ndarray]:
        """Each rule's capped forecast, (T, N), NaN where it has none."""
        return dict(self._rules(ctx))

    def rule_names(self) -> list[str]:
        return [f"ewmac{f}_{4 * f}" for f in self.trend_spans] + [f"carry{span}" for span in self.carry_spans]

    def _rules(self, ctx: StrategyContext, columns: slice = slice(None)) -> Iterator[tuple[str, np.ndarray]]:
        """The rules' forecasts one at a time, in ``rule_names`` order, of the instruments in
        ``columns`` (every rule works on each instrument's own series alone)."""
        m = ctx.market
        prices = np.where(m.has_price[:, columns], m.close[:, columns], np.nan)
        sigma_p = price_vol_points(m.contract_price[:, columns], ctx.vol[:, columns])
        # AFTS's spans overlap (8/32's fast EWMA is 2/8's slow one): each is computed once,
        # and kept only until the last rule that uses it.
        uses = Counter(span for f in self.trend_spans for span in (f, 4 * f))
        kept: dict[int, np.ndarray] = {}

        def ewma(values: np.ndarray, span: int) -> np.ndarray:
            found = kept.pop(span, None)
            if found is None:
                found = own_day_ewma(values, span)
            uses[span] -= 1
            if uses[span]:
                kept[span] = found
            return found

        for f, scalar in zip(self.trend_spans, self.trend_scalars):
            yield f"ewmac{f}_{4 * f}", ewmac_forecast(prices, sigma_p, f, 4 * f, scalar, self.cap, ewma)
        del prices
        if not self.carry_spans:
            return
        if m.carry_price is not None and m.contract is not None and m.carry_contract is not None:
            ann = annualised_carry(m.contract_price[:, columns], m.carry_price[:, columns], m.contract[:, columns],
                                   m.carry_contract[:, columns])
        else:
            ann = np.full(sigma_p.shape, np.nan)
        for span in self.carry_spans:
            yield f"carry{span}", carry_forecast(ann, sigma_p, span, self.carry_scalar, self.cap,
                                                 own_days=m.has_price[:, columns])

    def rule_weights(self) -> np.ndarray:
        """trend_weight shared equally by the trend rules, the rest by the carry rules."""
        n_trend, n_carry = len(self.trend_spans), len(self.carry_spans)
        trend = (self.trend_weight if n_carry else 1.0) if n_trend else 0.0
        carry = 1.0 - trend
        return np.array([trend / max(n_trend, 1)] * n_trend + [carry / max(n_carry, 1)] * n_carry)

    @property
    def forecasts(self) -> dict[str, np.ndarray]:
        """Each rule's capped forecast over the prepared days, recomputed (the replay does not keep them)."""
        return self.rule_forecasts(self._forecast_inputs)

    # -- positions -----------------------------------------------------------------------

    def weights_table(self, ctx: StrategyContext) -> np.ndarray:
        # Only the weights are kept: the parts behind them (combined forecast, FDM, instrument
        # weights, IDM: on Jumbo 19 MB a replay would carry to its end unread) are recomputed,
        # the same numbers, if asked for.
        self._forecast_inputs, self._parts = ctx, None
        return self._position_parts(ctx, keep_fdm=False).weights

    combined = _part("combined", "(T, N) combined forecast, capped; NaN where an instrument has no rule.")
    fdm_used = _part("fdm_used", "(T, N) forecast diversification multiplier.")
    instrument_weights = _part("instrument_weights", "(T, N) instrument weights over the live instruments.")
    idm = _part("idm", "(T,) instrument diversification multiplier.")

    def _kept_parts(self) -> PositionParts:
        if self._parts is None:
            self._parts = self._position_parts(self._forecast_inputs)
        return self._parts

    def _position_parts(self, ctx: StrategyContext, keep_fdm: bool = True) -> PositionParts:
        """``keep_fdm`` False: ``fdm_used`` is None (no table of it is made: the weights do not need it)."""
        m = ctx.market
        n_days, n_instruments = m.close.shape
        # One (days, N, rules) table of every rule's forecast, in blocks of days, written a few
        # instruments at a time: each rule's tables (its EWMAs, prices, volatility in points) are
        # then a few instruments wide, and the blocks are freed as they are combined. A block stores
        # only the instruments that can have a forecast by its last day.
        blocks = day_blocks(n_days, n_instruments, len(self.rule_names()), first_forecast_day(ctx))
        for first in range(0, n_instruments, INSTRUMENTS_AT_ONCE):
            columns = slice(first, min(first + INSTRUMENTS_AT_ONCE, n_instruments))
            for r, (_, forecast) in enumerate(self._rules(ctx, columns)):
                for block in blocks:
                    block.write(columns, r, forecast)
                del forecast
        # The rules' tables of a few instruments each (under the allocator's mapping threshold)
        # were freed into the heap; the combining below is the preparation's peak, so the heap's
        # free pages go back first (on Jumbo a few MB).
        release_free_memory()
        combined, fdm_used = combine_forecast_blocks(blocks, self.rule_weights(), self.fdm, self.cap, self.fdm_cap,
                                                     self.fdm_min_observations, keep_fdm)
        live = np.isfinite(combined) & np.isfinite(ctx.vol) & (ctx.vol > 0)
        instrument_weights = asset_class_weights(live, m.asset_class)
        correlation = WeeklyCorrelation(m.dates, ctx.returns, ctx.config.estimates.corr_span_weeks)
        idm = instrument_diversification(instrument_weights, correlation, self.idm_cap)
        with np.errstate(invalid="ignore", divide="ignore"):
            weights = (combined / 10.0) * idm[:, None] * instrument_weights \
                * ctx.config.risk_target / ctx.vol
        return PositionParts(combined, fdm_used, instrument_weights, idm, np.where(live, weights, np.nan))


def first_forecast_day(ctx: StrategyContext) -> np.ndarray:
    """(N,) each instrument's first day with a price volatility in points (n_days if none): no rule
    has a forecast before it. Every rule divides by that volatility, and carry's smoothing starts at
    its first value (a NaN-only start stays NaN), so until then every forecast is NaN."""
    known = ~np.isnan(price_vol_points(ctx.market.contract_price, ctx.vol))
    return np.where(known.any(axis=0), known.argmax(axis=0), len(known))


@dataclass(frozen=True)
class PositionParts:
    """What the weights are made of, (T, N) unless said."""

    combined: np.ndarray
    fdm_used: np.ndarray | None  # None in the replay's own preparation (see weights_table)
    instrument_weights: np.ndarray
    idm: np.ndarray  # (T,)
    weights: np.ndarray
