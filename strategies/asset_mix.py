"""Policy mixes over asset classes, and how a mix becomes weights on instruments.

Shared by the strategic and tactical allocation strategies. A mix is a dict
asset class -> weight summing to 1 over ``ASSET_CLASSES``. The config maps each
class to one or more instruments; a class is split equally among its
instruments that have a price yet. Weights the mix leaves on no instrument
stay as the account's cash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ASSET_CLASSES = ("us_equity", "international_equity", "fixed_income", "real_estate", "commodities", "cash")
EQUITY = ("us_equity", "international_equity")
DEFENSIVE = ("fixed_income", "cash")

# Base mixes of a conventional kind (each sums to 1): the conservative investor
# holds mostly bonds and cash, the aggressive one mostly equities.
PROFILES: dict[str, dict[str, float]] = {
    "conservative": {"us_equity": 0.20, "international_equity": 0.10, "fixed_income": 0.50,
                     "real_estate": 0.05, "commodities": 0.05, "cash": 0.10},
    "moderate": {"us_equity": 0.35, "international_equity": 0.15, "fixed_income": 0.35,
                 "real_estate": 0.07, "commodities": 0.03, "cash": 0.05},
    "aggressive": {"us_equity": 0.50, "international_equity": 0.25, "fixed_income": 0.15,
                   "real_estate": 0.05, "commodities": 0.05, "cash": 0.00},
}
LONG_HORIZON_YEARS = 20  # beyond this, time to recover from equity drawdowns: tilt towards equity
SHORT_HORIZON_YEARS = 5  # within this, money is needed soon: tilt towards bonds and cash


def check_mix(mix: Mapping[str, float], what: str = "mix") -> dict[str, float]:
    out = {}
    for cls, w in mix.items():
        if cls not in ASSET_CLASSES:
            raise ValueError(f"{what}: unknown asset class {cls!r} (known: {', '.join(ASSET_CLASSES)})")
        w = float(w)
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"{what}: weight of {cls!r} must be a non-negative number, got {w}")
        out[cls] = w
    total = sum(out.values())
    if total <= 0:
        raise ValueError(f"{what}: weights sum to {total}; nothing to allocate")
    return {cls: out.get(cls, 0.0) for cls in ASSET_CLASSES}


def normalised(mix: Mapping[str, float]) -> dict[str, float]:
    total = sum(mix.values())
    return {cls: w / total for cls, w in mix.items()}


def horizon_adjusted(mix: Mapping[str, float], horizon_years: float | None, tilt: float) -> dict[str, float]:
    """Scale the equity classes (horizon over 20 years) or bonds and cash (under 5) by 1 + tilt, renormalised.

    Between 5 and 20 years, or with no horizon given, the mix is unchanged.
    """
    if horizon_years is None:
        return dict(mix)
    if horizon_years <= 0:
        raise ValueError(f"horizon_years must be positive, got {horizon_years}")
    if horizon_years > LONG_HORIZON_YEARS:
        favoured = EQUITY
    elif horizon_years < SHORT_HORIZON_YEARS:
        favoured = DEFENSIVE
    else:
        return dict(mix)
    return normalised({cls: w * (1 + tilt) if cls in favoured else w for cls, w in mix.items()})


def policy_mix(profile: str | None, mix: Mapping[str, float] | None, horizon_years: float | None,
               horizon_tilt: float, exclude: Sequence[str]) -> dict[str, float]:
    """The base mix (a named profile, or an explicit ``mix``), horizon-adjusted, minus excluded classes, normalised."""
    if (profile is None) == (mix is None):
        raise ValueError("give either profile (conservative, moderate, aggressive) or mix, not both")
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        base = PROFILES[profile]
    else:
        base = check_mix(mix or {})
    if horizon_tilt < 0:
        raise ValueError(f"horizon_tilt must be non-negative, got {horizon_tilt}")
    for cls in exclude:
        if cls not in ASSET_CLASSES:
            raise ValueError(f"exclude: unknown asset class {cls!r}")
    adjusted = horizon_adjusted(base, horizon_years, horizon_tilt)
    kept = {cls: (0.0 if cls in exclude else w) for cls, w in adjusted.items()}
    if sum(kept.values()) <= 0:
        raise ValueError("every asset class with a weight is excluded")
    return normalised(kept)


class Sleeves:
    """Asset class -> instruments, as the config's ``tickers`` table says.

    ``tickers`` maps a class to a symbol or a list of symbols. Every class the
    mix gives weight must be mapped, except ``cash``: unmapped, it is the
    account's own (uninvested) cash.
    """

    def __init__(self, tickers: Mapping[str, str | Sequence[str]]) -> None:
        self.tickers: dict[str, tuple[str, ...]] = {}
        for cls, symbols in tickers.items():
            if cls not in ASSET_CLASSES:
                raise ValueError(f"tickers: unknown asset class {cls!r} (known: {', '.join(ASSET_CLASSES)})")
            symbols = (symbols,) if isinstance(symbols, str) else tuple(symbols)
            if not symbols or not all(isinstance(s, str) and s for s in symbols):
                raise ValueError(f"tickers: {cls!r} needs one or more symbols")
            self.tickers[cls] = symbols
        seen: dict[str, str] = {}
        for cls, symbols in self.tickers.items():
            for s in symbols:
                if s in seen:
                    raise ValueError(f"tickers: {s!r} is in both {seen[s]!r} and {cls!r}")
                seen[s] = cls

    def check_covers(self, mix: Mapping[str, float]) -> None:
        for cls, w in mix.items():
            if w > 0 and cls != "cash" and cls not in self.tickers:
                raise ValueError(f"asset class {cls!r} has weight {w:.4g} but no tickers "
                                 "(map it in tickers, or list it in exclude)")

    def membership(self, symbols: Sequence[str]) -> dict[str, np.ndarray]:
        """Class -> boolean mask over ``symbols``; a mapped symbol missing from the config is an error."""
        index = {s: j for j, s in enumerate(symbols)}
        out = {}
        for cls, members in self.tickers.items():
            missing = [s for s in members if s not in index]
            if missing:
                raise ValueError(f"tickers: {missing[0]!r} ({cls}) is not one of the config's instruments")
            mask = np.zeros(len(symbols), dtype=bool)
            mask[[index[s] for s in members]] = True
            out[cls] = mask
        return out

    def instrument_weights(self, class_weights: Mapping[str, np.ndarray], symbols: Sequence[str],
                           live: np.ndarray) -> np.ndarray:
        """(T, N) notional weights: each class's weight split equally among its live instruments.

        ``class_weights[cls]`` is (T,); ``live`` (T, N) says which instruments have a
        price yet. A class with no live instrument that day leaves its weight in cash.
        """
        T, N = live.shape
        weights = np.zeros((T, N))
        for cls, mask in self.membership(symbols).items():
            members = live & mask
            n = members.sum(axis=1, keepdims=True)
            share = np.divide(members, n, out=np.zeros((T, N)), where=n > 0)
            weights += share * np.asarray(class_weights.get(cls, np.zeros(T)))[:, None]
        return weights
