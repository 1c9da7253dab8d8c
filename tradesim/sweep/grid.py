"""A sweep's variants: the cartesian product of ``--grid`` axes, or the list in a sweep file.

A variant is a set of overrides in ``--set``'s syntax (``tradesim.overrides``: dotted keys,
TOML values, a bare word a string). Its
identity is the canonical JSON of the parsed values, so ``capital=1e5`` given twice is one
variant, and a rerun of the same sweep finds the variants it already recorded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from tradesim.errors import ConfigError
from tradesim.overrides import parse_value


@dataclass(frozen=True)
class Variant:
    overrides: tuple[tuple[str, Any], ...]  # (dotted key, value), in axis order

    @property
    def key(self) -> str:
        """Canonical JSON: the variant's identity in the ledger (runs.overrides)."""
        return json.dumps(dict(self.overrides), sort_keys=True, separators=(",", ":"), default=str)

    @property
    def sets(self) -> list[str]:
        """The overrides as ``--set`` arguments."""
        return [f"{k}={toml_value(v)}" for k, v in self.overrides]

    @property
    def label(self) -> str:
        return " ".join(f"{k.rsplit('.', 1)[-1]}={v if isinstance(v, str) else toml_value(v)}" for k, v in self.overrides)


def toml_value(value: Any) -> str:
    """A value as TOML writes it (the inverse of parsing a ``--set`` value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # Python's repr of a float (inf and nan included) is TOML's
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_string(text: str) -> str:
    # A TOML basic string takes JSON's escapes, but not its surrogate pairs (hence
    # ensure_ascii=False), and no raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def split_values(text: str) -> list[str]:
    """``10,25,[1,2],"a,b"`` -> ["10", "25", "[1,2]", '"a,b"']: commas inside brackets or quotes stay."""
    parts, depth, quote, current = [], 0, "", []
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(c)
    parts.append("".join(current).strip())
    return parts


def parse_axis(spec: str) -> tuple[str, list[Any]]:
    """``optimiser.cost_multiplier=10,25,50`` -> ("optimiser.cost_multiplier", [10, 25, 50])."""
    key, sep, values = spec.partition("=")
    key = key.strip()
    if not sep or not all(p.strip() for p in key.split(".")) or not values.strip():
        raise ConfigError(f"--grid {spec}: expected KEY=V1,V2,... with a dotted KEY "
                          "(e.g. optimiser.cost_multiplier=10,25,50)")
    texts = split_values(values)
    if "" in texts:
        raise ConfigError(f"--grid {spec}: an empty value")
    # Each value is what --set KEY=VALUE would read; the config check comes with the variant.
    return key, [parse_value(v) for v in texts]


def grid_variants(specs: Sequence[str]) -> tuple[dict[str, list[Any]], list[Variant]]:
    """The axes and their cartesian product (the first axis varies slowest)."""
    axes: dict[str, list[Any]] = {}
    for spec in specs:
        key, values = parse_axis(spec)
        if key in axes:
            raise ConfigError(f"--grid {key}: the key is given twice")
        axes[key] = values
    variants = [Variant(tuple(zip(axes, combo))) for combo in itertools.product(*axes.values())]
    return axes, unique(variants, "--grid")


def file_variants(path: Path) -> list[Variant]:
    """A sweep file: ``[[variant]]`` tables of overrides, keys dotted or nested::

        [[variant]]
        "optimiser.cost_multiplier" = 25
        capital = 100_000

        [[variant]]
        optimiser = { cost_multiplier = 50, buffer_fraction = 0.1 }
    """
    if not path.is_file():
        raise ConfigError(f"{path}: sweep file not found")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"variant"}
    if unknown:
        raise ConfigError(f"{path}: unknown table {sorted(unknown)[0]!r} (a sweep file lists [[variant]] tables)")
    tables = raw.get("variant")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: no [[variant]] tables")
    variants = []
    for n, table in enumerate(tables, 1):
        flat = dict(_flatten(table))
        if not flat:
            raise ConfigError(f"{path}: variant {n} sets nothing")
        variants.append(Variant(tuple(flat.items())))
    return unique(variants, str(path))


def _flatten(table: dict, prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for k, v in table.items():
        key = f"{prefix}{k}"
        # ``strategy.params`` is a table the strategy reads whole; any other table is a path.
        if isinstance(v, dict) and key != "strategy.params":
            items += _flatten(v, key + ".")
        else:
            items.append((key, v))
    return items


def unique(variants: list[Variant], where: str) -> list[Variant]:
    seen: set[str] = set()
    for v in variants:
        if v.key in seen:
            raise ConfigError(f"{where}: the variant {v.label} is listed twice")
        seen.add(v.key)
    return variants


def sweep_id(config_json: str, variants: Sequence[Variant], ledger: str) -> str:
    """The same config, variants and ledger mode give the same id: rerunning a sweep resumes it."""
    digest = hashlib.sha256()
    for part in (config_json, ledger, *sorted(v.key for v in variants)):
        digest.update(part.encode())
        digest.update(b"\0")
    return "sw-" + digest.hexdigest()[:10]
