"""The same strategy three ways: fractional, rounded and dynamically optimised positions.

Fractional positions, traded without costs, are the ideal the other two try to
track: the portfolio the strategy would hold if contracts were divisible and
trading free. Rounding is what a naive whole-contract system does; dynamic is
Carver's optimiser. Both pay the config's costs, so "tracking the ideal net of
costs" shows in two figures: the tracking error of daily returns against the
ideal, and the drag (the ideal's annual return minus the variant's). Each variant is a
full replay (recorded in the ledger as mode "compare" with the variant as label),
so every figure in the table can be traced to its orders and fills.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine as DbEngine

from strategies.base import Strategy
from tradesim.market import Market
from tradesim.metrics import DAYS_PER_YEAR, Summary, daily_returns
from tradesim.replay import ReplayResult, replay
from tradesim.schema import CostModel, PortfolioConfig

VARIANTS = {"fractional": "none", "rounded": "round", "dynamic": "dynamic"}


@dataclass(frozen=True)
class VariantRow:
    variant: str
    summary: Summary
    tracking_error: float  # average daily TE of held positions against the unrounded optimum
    realised_te: float  # annualised std of daily return differences from the fractional run
    drag: float  # the fractional run's annual return minus this one's
    correlation: float  # of daily returns with the fractional run
    adjustment_factor: float  # average alpha on days the optimiser traded
    run_id: int | None


def variant_config(config: PortfolioConfig, method: str) -> PortfolioConfig:
    update: dict = {"optimiser": config.optimiser.model_copy(update={"method": method})}
    if method == "none":  # the ideal: divisible and free
        free = CostModel()
        update["costs"] = free
        update["instruments"] = tuple(i.model_copy(update={"costs": None}) for i in config.instruments)
    return config.model_copy(update=update)


def compare(config: PortfolioConfig, db_url: str | None, market: Market,
            on_progress: Callable[[str, int, int], None] | None = None, *, strategy: Strategy | None = None,
            db_engine: DbEngine | None = None) -> tuple[list[VariantRow], dict[str, ReplayResult]]:
    """Each variant replayed; ``strategy`` and ``db_engine`` as ``replay`` takes them (the Python API's)."""
    results: dict[str, ReplayResult] = {}
    for name, method in VARIANTS.items():
        hook = (lambda done, total, n=name: on_progress(n, done, total)) if on_progress else None
        results[name] = replay(variant_config(config, method), db_url, market=market, mode="compare", label=name,
                               on_day=hook, strategy=strategy, db_engine=db_engine)
    base = daily_returns(results["fractional"].nav, config.capital)
    rows = []
    for name, result in results.items():
        r = daily_returns(result.nav, config.capital)
        corr = float(np.corrcoef(base, r)[0, 1]) if np.std(r) > 0 and np.std(base) > 0 else float("nan")
        realised = float(np.std(r - base, ddof=1) * np.sqrt(DAYS_PER_YEAR)) if len(r) > 1 else 0.0
        traded = result.adjustment_factor[result.paths_traded] if result.paths_traded is not None else result.adjustment_factor
        drag = results["fractional"].summary.annual_return - result.summary.annual_return
        rows.append(VariantRow(name, result.summary, float(np.mean(result.tracking_error)), realised, drag, corr,
                               float(np.mean(traded)) if len(traded) else float("nan"), result.run_id))
    return rows, results


class _ComparisonModule(types.ModuleType):
    """``tradesim.compare(prices, ...)`` is the notebook API (``tradesim.api.compare``); as the
    package's attribute of that name is this module, the module answers the call itself."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        from tradesim.api import compare as compare_frames

        return compare_frames(*args, **kwargs)


sys.modules[__name__].__class__ = _ComparisonModule
