"""Strategies: one small module each, all behind ``strategies.base.Strategy``.

The registry maps a config's ``strategy.name`` to ``module:Class`` so that
loading a config does not import every strategy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strategies.base import Strategy

_REGISTRY: dict[str, str] = {
    "buy_and_hold_risk_parity": "strategies.buy_and_hold_risk_parity:BuyAndHoldRiskParity",
    "fixed_weights": "strategies.fixed_weights:FixedWeights",
    "trend_carry": "strategies.trend_carry:TrendCarry",
    "strategic": "strategies.strategic:StrategicAllocation",
    "tactical": "strategies.tactical:TacticalOverlay",
    "cppi": "strategies.cppi:CPPI",
    "risk_parity": "strategies.risk_parity:RiskParity",
    "beta_profile": "strategies.beta_profile:BetaProfile",
}


def known_strategies() -> dict[str, str]:
    return dict(_REGISTRY)


def make_strategy(name: str, params: dict[str, Any]) -> "Strategy":
    """A strategy from its config; wrong parameters are a one-line ConfigError."""
    from tradesim.errors import ConfigError

    module, cls = _REGISTRY[name].split(":")
    try:
        return getattr(import_module(module), cls)(**params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"field 'strategy.params': {name}: {exc}") from None
