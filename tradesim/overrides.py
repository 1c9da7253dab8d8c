"""``--set KEY=VALUE``: change one field of a config from the command line.

KEY is the field's dotted path as the TOML file spells it (``risk_target``,
``optimiser.cost_multiplier``, ``strategy.params.lookback``); a list is indexed by
position (``instruments.0.multiplier``) or, for instruments, by symbol
(``instruments.ES.multiplier``). VALUE is read as a TOML value (``25``, ``0.15``,
``true``, ``"x"``, ``[1, 2]``, ``2020-01-02``, ``{ a = 1 }``); anything that is not
valid TOML, such as a bare word or a path, is taken as a string. The result is
checked by the same schema as the file, and a bad key or value is one line
naming the ``--set``.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from tradesim.errors import ConfigError
from tradesim.schema import PortfolioConfig


def parse_value(text: str) -> Any:
    """``text`` as a TOML value; not TOML (or more than one value): the text itself."""
    try:
        parsed = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        return text
    return parsed["value"] if parsed.keys() == {"value"} else text


def _split(assignment: str) -> tuple[list[str], Any]:
    key, sep, value = assignment.partition("=")
    path = key.strip().split(".")
    if not sep or not all(p.strip() for p in path):
        raise ConfigError(f"--set {assignment}: expected KEY=VALUE with a dotted KEY, "
                          "e.g. --set optimiser.cost_multiplier=25")
    return [p.strip() for p in path], parse_value(value.strip())


def _child(node: Any, part: str, done: list, assignment: str) -> tuple[Any, Any]:
    """The key (or index) ``part`` names in ``node``, and the child there (None if absent)."""
    where = ".".join(str(p) for p in done) or "(top level)"
    if isinstance(node, dict):
        return part, node.get(part)
    if isinstance(node, list):
        if part.isdigit():
            if int(part) >= len(node):
                raise ConfigError(f"--set {assignment}: '{where}' has {len(node)} entries, no entry {part}")
            return int(part), node[int(part)]
        symbols = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get("symbol") == part]
        if not symbols:
            raise ConfigError(f"--set {assignment}: '{where}' has no entry with symbol {part!r}")
        return symbols[0], node[symbols[0]]
    raise ConfigError(f"--set {assignment}: '{where}' is a value, not a table")


def _assign(raw: dict, path: list[str], value: Any, assignment: str) -> tuple:
    """Set ``value`` at ``path`` in ``raw`` (in place), making missing tables; the path with list indices."""
    node: Any = raw
    done: list = []
    for part in path[:-1]:
        key, child = _child(node, part, done, assignment)
        if child is None:
            child = node[key] = {}
        node = child
        done.append(key)
    key, _ = _child(node, path[-1], done, assignment)
    node[key] = value
    return (*done, key)


def apply_sets(raw: dict, sets: Sequence[str], source: str) -> dict:
    """A copy of the raw config ``raw`` (read from ``source``) with each ``KEY=VALUE`` of ``sets`` applied.

    The result is validated by the config schema; an error in a field a ``--set``
    wrote is a ConfigError naming that ``--set``. Errors elsewhere are left to the
    caller's own validation of the file.
    """
    if not sets:
        return raw
    out = copy.deepcopy(raw)
    written = [(_assign(out, *_split(a), a), a) for a in sets]
    before = {(tuple(e["loc"]), e["type"]) for e in _errors(raw)}
    for error in _errors(out):
        loc = tuple(error["loc"])
        if (loc, error["type"]) in before:
            continue  # the file's own mistake: the caller reports it as such
        # Blame the last --set on the error's path (the last write of a field is the one
        # that counts), else the last one of all (e.g. a duplicate symbol it created).
        on_path = [a for path, a in written if path[:len(loc)] == loc[:len(path)]]
        assignment = (on_path or [a for _, a in written])[-1]
        field = ".".join(str(p) for p in loc) or "(top level)"
        why = "no such field" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{source}: --set {assignment}: field '{field}': {why}")
    return out


def _errors(raw: dict) -> list[dict]:
    try:
        PortfolioConfig.model_validate(raw)
    except ValidationError as exc:
        return exc.errors()
    return []


def touches(sets: Sequence[str], prefix: str) -> list[str]:
    """The assignments among ``sets`` whose key is ``prefix`` or lies under it."""
    return [a for a in sets if (a.partition("=")[0].strip() + ".").startswith(prefix + ".")]
