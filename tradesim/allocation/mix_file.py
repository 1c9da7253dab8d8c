"""A policy-mix file (TOML) for ``tradesim stress`` and ``tradesim mix``: validated like a config.

    value = 500_000_000                # optional: the portfolio's value (default 1)
    risk_free = 0.04                   # optional: for the Sharpe ratio
    [weights]                          # asset class -> weight
    [groups]                           # optional: asset class -> shock group
    [returns]  [vols]                  # optional: expected returns and volatilities by class
    [correlations."US Equity"]         # optional: class -> class -> rho
    [[limits]]                         # optional: name, kind (max | min | return), bound, classes
    [scenarios."2008 Crisis"]          # optional: shock group -> return (default: the course's set)
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tradesim.allocation.mix import Limit
from tradesim.errors import ConfigError
from tradesim.schema import describe


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitSpec(_Model):
    name: str = Field(min_length=1)
    kind: Literal["max", "min", "return"]
    bound: float
    classes: tuple[str, ...] = ()


class MixFile(_Model):
    value: float = Field(1.0, gt=0)
    risk_free: float = Field(0.0, ge=-0.1, le=1)
    weights: dict[str, float] = Field(min_length=1)
    groups: dict[str, str] = Field(default_factory=dict)
    returns: dict[str, float] | None = None
    vols: dict[str, float] | None = None
    correlations: dict[str, dict[str, float]] | None = None
    limits: tuple[LimitSpec, ...] = ()
    scenarios: dict[str, dict[str, float]] | None = None

    @field_validator("weights")
    @classmethod
    def _finite(cls, weights: dict[str, float]) -> dict[str, float]:
        for name, w in weights.items():
            if not math.isfinite(w):
                raise ValueError(f"weight of {name!r} is not a finite number")
        return weights

    def as_limits(self) -> tuple[Limit, ...]:
        return tuple(Limit(spec.name, spec.kind, spec.bound, spec.classes) for spec in self.limits)


def load_mix_file(path: Path) -> MixFile:
    if not path.is_file():
        raise ConfigError(f"{path}: mix file not found")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return MixFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, str(path))) from None
