"""Loading a portfolio config: TOML file -> schema -> names resolved.

The top floor of configuration. ``tradesim.schema`` validates a raw table and
imports nothing of the engine; this module reads the file, makes the paths it
names relative to it, checks the strategy against the ``strategies`` registry and
fills instruments' metadata from the data's instrument table (``tradesim.resolve``).
Every failure is a single ``ConfigError`` line naming the file and the field.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from strategies import file_part, make_strategy, strategy_class
from tradesim.errors import ConfigError, not_utf8
from tradesim.overrides import apply_sets, touches
from tradesim.resolve import with_instrument_metadata
# The schema's models, re-exported for code that loads configs and inspects them.
from tradesim.schema import (  # noqa: F401
    CostModel, DataConfig, EstimatesConfig, FillConfig, Instrument, OptimiserConfig, PortfolioConfig, RiskFreeSeries,
    StrategyConfig,
    validate_config,
)

DEFAULT_CONFIG = "default.toml"


def parse_config(raw: dict[str, Any], source: str = "<config>", *, sets: Sequence[str] = (),
                 base: Path | None = None, **overrides: Any) -> PortfolioConfig:
    """A raw config (parsed TOML) with ``--set`` assignments and keyword overrides applied, validated.

    ``base``: the folder relative paths in the config are read from (the config file's;
    default the working directory).
    """
    raw = apply_sets(raw, sets, source)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    config = _resolve_paths(validate_config(raw, source), base or Path.cwd())
    # An error in a field a --set wrote names the --set, as the schema's own errors do.
    blame = "".join(f"--set {a}: " for a in touches(sets, "strategy")[-1:])
    try:
        config = _resolve_strategy_paths(config, base or Path.cwd())
        make_strategy(config.strategy.name, config.strategy.params)  # parameters checked now, not mid-replay
    except ConfigError as exc:
        raise ConfigError(f"{source}: {blame}{exc}") from None
    return config


def load_config(path: str | os.PathLike[str] | None = None, *, sets: Sequence[str] = (),
                **overrides: Any) -> PortfolioConfig:
    """Read a config file (None: the default config shipped in the package).

    ``sets``: ``KEY=VALUE`` assignments (``tradesim.overrides``) applied to the file's
    table before validation; keyword ``overrides`` (``start=``, ``capital=``...) then
    replace top-level fields. The config returned is the one a run stores.
    """
    if path is None:
        text = resources.files("tradesim.defaults").joinpath(DEFAULT_CONFIG).read_text()
        source = f"<default config {DEFAULT_CONFIG}>"
    else:
        p = Path(path)
        if not p.exists() or p.is_dir():  # a pipe (tradesim replay <(...)) is read like a file
            raise ConfigError(f"{p}: config file not found")
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{p}: {not_utf8(exc)}") from None
        except OSError as exc:
            raise ConfigError(f"{p}: cannot read the config: {exc.strerror}") from None
        source = str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    # Data files are relative to the config's folder; a pipe's folder (/dev/fd) is no one's: the working directory.
    base = Path(path).parent if path is not None and Path(path).is_file() else Path.cwd()
    config = parse_config(raw, source, sets=sets, base=base, **overrides)
    return with_instrument_metadata(config, source)


def _relative_to(value: str, base: Path) -> str:
    if "://" in value or Path(value).expanduser().is_absolute():
        return value
    return str((base / value).resolve())


def _resolve_paths(config: PortfolioConfig, base: Path) -> PortfolioConfig:
    """Data files named in a config are relative to the config file, not to the working directory."""
    updates = {}
    for name in ("path", "opens", "fx", "instrument_table", "actions"):
        value = getattr(config.data, name)
        if value is not None and _relative_to(value, base) != value:
            updates[name] = _relative_to(value, base)
    top = {}
    rf = config.risk_free
    if isinstance(rf, RiskFreeSeries) and _relative_to(rf.file, base) != rf.file:
        top["risk_free"] = rf.model_copy(update={"file": _relative_to(rf.file, base)})
    if updates:
        top["data"] = config.data.model_copy(update=updates)
    return config.model_copy(update=top) if top else config


def _resolve_strategy_paths(config: PortfolioConfig, base: Path) -> PortfolioConfig:
    """A strategy file (``path.py:Class``) and the files its parameters name, relative to the config file."""
    name, params = config.strategy.name, dict(config.strategy.params)
    where = file_part(name)
    if where is not None:
        name = f"{_relative_to(where, base)}:{name.rpartition(':')[2]}"
    for key in getattr(strategy_class(name), "path_params", ()):
        if isinstance(params.get(key), str):
            params[key] = _relative_to(params[key], base)
    if (name, params) == (config.strategy.name, config.strategy.params):
        return config
    return config.model_copy(update={"strategy": config.strategy.model_copy(update={"name": name, "params": params})})
