"""Strategies: one small module each, all behind ``strategies.base.Strategy``.

The registry maps a config's ``strategy.name`` to a class, four ways:
- a built-in name (``_BUILT_IN``, imported only when used, so loading a config does
  not import every strategy);
- an entry point in the group ``tradesim.strategies`` of an installed package, under
  its short name like the built-ins;
- ``path/to/file.py:ClassName``, a file anywhere (the config loader makes the path
  relative to the config file);
- ``package.module:ClassName``, an importable module.

A user's class gets what a built-in gets: its parameters are checked against its
``__init__`` signature when the config loads (``strategies.params``), and its
errors are one line naming the file and class.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from dataclasses import dataclass
from functools import cache
from importlib import import_module, metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradesim.errors import ConfigError

if TYPE_CHECKING:
    from strategies.base import Strategy

ENTRY_POINT_GROUP = "tradesim.strategies"

_BUILT_IN: dict[str, str] = {
    "buy_and_hold_risk_parity": "strategies.buy_and_hold_risk_parity:BuyAndHoldRiskParity",
    "fixed_weights": "strategies.fixed_weights:FixedWeights",
    "weights": "strategies.weights:Weights",
    "trend_carry": "strategies.trend_carry:TrendCarry",
    "strategic": "strategies.strategic:StrategicAllocation",
    "tactical": "strategies.tactical:TacticalOverlay",
    "cppi": "strategies.cppi:CPPI",
    "risk_parity": "strategies.risk_parity:RiskParity",
    "beta_profile": "strategies.beta_profile:BetaProfile",
}


@dataclass(frozen=True)
class StrategyEntry:
    name: str  # what a config writes
    target: str  # module:Class
    origin: str  # "built-in" or "entry point (distribution)"


@cache
def _entry_points() -> dict[str, StrategyEntry]:
    found = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _BUILT_IN or ep.name in found:
            continue  # a built-in name, or the first installed package's, wins
        dist = ep.dist.name if ep.dist is not None else "unknown package"
        found[ep.name] = StrategyEntry(ep.name, ep.value, f"entry point ({dist})")
    return found


def known_strategies() -> dict[str, str]:
    """Short name -> ``module:Class`` for the built-ins and the installed entry points."""
    return {e.name: e.target for e in registered()}


def registered() -> list[StrategyEntry]:
    built_in = [StrategyEntry(n, t, "built-in") for n, t in _BUILT_IN.items()]
    return built_in + sorted(_entry_points().values(), key=lambda e: e.name)


def is_spec(name: str) -> bool:
    """Whether ``name`` names a class directly (``file.py:Class`` or ``module:Class``) rather than a registered name."""
    return ":" in name


def file_part(name: str) -> str | None:
    """The file of a ``path/to/file.py:Class`` name, or None for any other name."""
    where = name.rpartition(":")[0]
    return where if where.endswith(".py") else None


def strategy_class(name: str) -> type:
    """The class ``name`` names; a one-line ConfigError naming it when it cannot be had."""
    registry = {**{e.name: e.target for e in registered()}}
    if name in registry:
        where, _, cls_name = registry[name].partition(":")
        return _class_in(_import_module(where, name), cls_name, name)
    if not is_spec(name):
        names = ", ".join(sorted(registry))
        raise ConfigError(f"field 'strategy.name': unknown strategy {name!r} (known: {names}; or a "
                          "'path/to/file.py:Class' or 'package.module:Class')")
    where, _, cls_name = name.rpartition(":")
    if not where or not cls_name.isidentifier():
        raise ConfigError(f"field 'strategy.name': {name!r}: write 'path/to/file.py:Class' or 'package.module:Class'")
    module = _load_file(where, name) if file_part(name) else _import_module(where, name)
    return _class_in(module, cls_name, name)


def _load_file(path: str, name: str):  # noqa: ANN202
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"field 'strategy.name': {name}: no such file {str(file)!r}")
    # One module per file (keyed by its absolute path), registered in sys.modules so that
    # dataclasses and pickling find it; loaded again when the file changes (a notebook
    # user edits the strategy and runs it again), else reused.
    key = "tradesim_user_strategy_" + hashlib.sha1(str(file.resolve()).encode()).hexdigest()[:12]
    stamp = (file.stat().st_mtime_ns, file.stat().st_size)
    if key in sys.modules and getattr(sys.modules[key], "__tradesim_stamp__", None) == stamp:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, file)
    module = importlib.util.module_from_spec(spec)
    module.__tradesim_stamp__ = stamp
    sys.modules[key] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file fails to import: report it as theirs, with its line
        del sys.modules[key]
        raise ConfigError(f"field 'strategy.name': {name}: importing {file} failed: {where_raised(exc, file)}") from None
    return module


def _import_module(where: str, name: str):  # noqa: ANN202
    try:
        return import_module(where)
    except ModuleNotFoundError as exc:
        if exc.name and where.startswith(exc.name):
            raise ConfigError(f"field 'strategy.name': {name}: no module named {exc.name!r}") from None
        raise ConfigError(f"field 'strategy.name': {name}: importing {where} failed: {where_raised(exc)}") from None
    except Exception as exc:
        raise ConfigError(f"field 'strategy.name': {name}: importing {where} failed: {where_raised(exc)}") from None


def _class_in(module, cls_name: str, name: str) -> type:  # noqa: ANN001
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise ConfigError(f"field 'strategy.name': {name}: {getattr(module, '__file__', module.__name__)} "
                          f"has no class {cls_name!r}")
    if not inspect.isclass(cls):
        raise ConfigError(f"field 'strategy.name': {name}: {cls_name!r} is a {type(cls).__name__}, not a class")
    missing = [m for m in ("prepare", "target_weights") if not callable(getattr(cls, m, None))]
    if missing:
        raise ConfigError(f"field 'strategy.name': {name}: class {cls_name} is not a strategy: it has no "
                          f"{missing[0]}() method (a strategy implements prepare(ctx) and target_weights(t, account))")
    return cls


def where_raised(exc: BaseException, file: Path | None = None) -> str:
    """``Type: message (file, line N)`` at the deepest frame in ``file`` (any file if None)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"SyntaxError: {exc.msg} ({exc.filename}, line {exc.lineno})"
    if file is not None:
        mine = [f for f in frames if Path(f.filename).resolve() == Path(file).resolve()]
        frames = mine or frames
    at = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{at}"


def make_strategy(name: str, params: dict[str, Any]) -> "Strategy":
    """A strategy from its config; a bad class or parameters are a one-line ConfigError."""
    from strategies.params import checked_params

    cls = strategy_class(name)
    kwargs = checked_params(cls, params, name)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"field 'strategy.params': {name}: {exc}") from None


def is_built_in(strategy: object) -> bool:
    """Whether an instance's class is one of ours (a user's errors are reported as theirs)."""
    return type(strategy).__module__.startswith("strategies.")
