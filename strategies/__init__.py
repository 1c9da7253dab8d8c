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
}


def known_strategies() -> dict[str, str]:
    return dict(_REGISTRY)


def make_strategy(name: str, params: dict[str, Any]) -> "Strategy":
    module, cls = _REGISTRY[name].split(":")
    return getattr(import_module(module), cls)(**params)
