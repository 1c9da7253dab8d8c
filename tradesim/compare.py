"""The same strategy several ways: fractional, rounded, buffered and dynamically optimised positions.

Fractional positions, traded without costs, are the ideal the others try to track:
the portfolio the strategy would hold if contracts were divisible and trading free.
The variants (VARIANTS):

    fractional         the ideal: x* held exactly, no costs
    fractional_costs   x* held exactly, paying the config's costs: the benchmark of
                       Carver's chapter-25 code (what whole contracts cost, net of the
                       strategy's own trading)
    rounded            rint(x*) every day
    buffered           rint(x*) with Carver's static position buffer (AFTS ch. 8)
    greedy             dynamic optimisation with Carver's greedy search (the reference)
    dynamic            dynamic optimisation with the default search

All but the ideal pay the config's costs, so "tracking the ideal net of costs" shows
in two figures: the tracking error of daily returns against the ideal, and the drag
(the ideal's annual return minus the variant's). Each variant is a full replay
(recorded in the ledger as mode "compare" with the variant as label), so every figure
in the table can be traced to its orders and fills. Lists of lambdas and buffers
repeat the optimised variants (greedy, dynamic) once per pair, for a sensitivity table.
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
from tradesim.metrics import DAYS_PER_YEAR, Summary, daily_returns, daily_te, unit_turnover
from tradesim.replay import ReplayResult, replay
from tradesim.schema import CostModel, PortfolioConfig

VARIANTS = {"fractional": "none", "fractional_costs": "none", "rounded": "round", "buffered": "buffered",
            "greedy": "greedy", "dynamic": "dynamic"}
# greedy is left out by default: its walk from zero costs about sum |x*| steps a day,
# slow for share positions in the thousands (ask for it with variants=...).
DEFAULT_VARIANTS = ("fractional", "fractional_costs", "rounded", "buffered", "dynamic")
OPTIMISED = ("greedy", "dynamic")


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
    units_traded: float = 0.0  # contracts (shares) bought plus sold over the run

    @property
    def tracking_error_daily(self) -> float:
        return daily_te(self.tracking_error)

    @property
    def contracts(self) -> tuple[float, float, float]:
        """Contracts (shares) traded: in total, a day, a year."""
        return unit_turnover(self.units_traded, self.summary.days)


def variant_config(config: PortfolioConfig, method: str, free: bool = False, **optimiser) -> PortfolioConfig:
    """``config`` sized by ``method`` (free: without trading costs), with optimiser settings changed."""
    settings = {"method": method, **optimiser}
    if method == "greedy" and config.optimiser.method == "dynamic":
        settings.update(polish=None, start=None)  # the reference itself, not a legacy search
    update: dict = {"optimiser": config.optimiser.model_copy(update=settings)}
    if free:  # the ideal: divisible and free
        free = CostModel()
        update["costs"] = free
        update["instruments"] = tuple(i.model_copy(update={"costs": None}) for i in config.instruments)
    return config.model_copy(update=update)


def variant_runs(config: PortfolioConfig, variants=DEFAULT_VARIANTS, lambdas=None,
                 buffers=None) -> dict[str, PortfolioConfig]:
    """label -> config of each replay a comparison makes, the ideal first.

    ``lambdas``/``buffers`` (cost multipliers, buffer fractions of the risk target):
    each optimised variant runs once per pair, labelled e.g. "dynamic lambda=10 buffer=0.05".
    """
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r} (known: {', '.join(VARIANTS)})")
    names = ["fractional"] + [name for name in variants if name != "fractional"]
    grid = [(lam, buf) for lam in (lambdas or [None]) for buf in (buffers or [None])]
    runs: dict[str, PortfolioConfig] = {}
    for name in names:
        if name not in OPTIMISED:
            runs[name] = variant_config(config, VARIANTS[name], free=name == "fractional")
            continue
        for lam, buf in grid:
            settings, label = {}, name
            if lam is not None:
                settings["cost_multiplier"], label = lam, f"{label} lambda={lam:g}"
            if buf is not None:
                settings["buffer_fraction"], label = buf, f"{label} buffer={buf:g}"
            runs[label] = variant_config(config, VARIANTS[name], **settings)
    return runs


def compare(config: PortfolioConfig, db_url: str | None, market: Market,
            on_progress: Callable[[str, int, int], None] | None = None, variants=DEFAULT_VARIANTS,
            lambdas=None, buffers=None, *, strategy: Strategy | None = None,
            db_engine: DbEngine | None = None) -> tuple[list[VariantRow], dict[str, ReplayResult]]:
    """Each variant replayed; ``strategy`` and ``db_engine`` as ``replay`` takes them (the Python API's)."""
    results: dict[str, ReplayResult] = {}
    for name, variant in variant_runs(config, variants, lambdas, buffers).items():
        hook = (lambda done, total, n=name: on_progress(n, done, total)) if on_progress else None
        results[name] = replay(variant, db_url, market=market, mode="compare", label=name, on_day=hook,
                               strategy=strategy, db_engine=db_engine)
    base = daily_returns(results["fractional"].nav, config.capital, results["fractional"].external_flows)
    rows = []
    for name, result in results.items():
        r = daily_returns(result.nav, config.capital, result.external_flows)
        corr = float(np.corrcoef(base, r)[0, 1]) if np.std(r) > 0 and np.std(base) > 0 else float("nan")
        realised = float(np.std(r - base, ddof=1) * np.sqrt(DAYS_PER_YEAR)) if len(r) > 1 else 0.0
        traded = result.adjustment_factor[result.paths_traded] if result.paths_traded is not None else result.adjustment_factor
        drag = results["fractional"].summary.annual_return - result.summary.annual_return
        rows.append(VariantRow(name, result.summary, float(np.mean(result.tracking_error)), realised, drag, corr,
                               float(np.mean(traded)) if len(traded) else float("nan"), result.run_id,
                               result.units_traded))
    return rows, results


class _ComparisonModule(types.ModuleType):
    """``tradesim.compare(prices, ...)`` is the notebook API (``tradesim.api.compare``); as the
    package's attribute of that name is this module, the module answers the call itself."""

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        from tradesim.api import compare as compare_frames

        return compare_frames(*args, **kwargs)


sys.modules[__name__].__class__ = _ComparisonModule
