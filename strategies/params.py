"""A strategy's parameters, checked against its ``__init__`` signature when the config loads.

Built-in and user strategies alike: an unknown parameter, a missing required one or a
value of the wrong type is one line naming the parameter, before any data is read.
Annotated parameters are validated (and converted: TOML's 60 for a float) by pydantic;
unannotated ones are passed as given. The class's own checks (``ValueError`` in
``__init__``) come after.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, ValidationError, create_model

from tradesim.errors import ConfigError


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str  # as written, "" if none
    default: Any  # inspect.Parameter.empty: required


def parameters(cls: type) -> list[Param]:
    """The keyword parameters ``cls(...)`` takes (``self`` and ``*args``/``**kwargs`` left out)."""
    out = []
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append(Param(p.name, "" if p.annotation is p.empty else _spelt(p.annotation), p.default))
    return out


def _spelt(annotation: Any) -> str:
    """An annotation as the source writes it: ``int``, ``dict[str, float]``, ``Sequence[int] | None``."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("collections.abc.", "")


def _takes_any_keyword(cls: type) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())


def checked_params(cls: type, params: dict[str, Any], name: str) -> dict[str, Any]:
    """``params`` validated against ``cls.__init__``; a one-line ConfigError naming the parameter."""
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation that does not resolve: check names only, not types
        hints = {}
    fields: dict[str, Any] = {}
    for p in parameters(cls):
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), default)
    extra = "allow" if _takes_any_keyword(cls) else "forbid"
    model = create_model(f"{cls.__name__}Params", __config__=ConfigDict(extra=extra, arbitrary_types_allowed=True),
                         **fields)
    try:
        checked = model.model_validate(params)
    except ValidationError as exc:
        # A misspelt name shows as both unknown and missing: the unknown one is the news.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = ".".join(str(x) for x in first["loc"])
        why = {"extra_forbidden": f"unknown parameter (parameters: {', '.join(fields) or 'none'})",
               "missing": "required parameter missing"}.get(first["type"], first["msg"])
        raise ConfigError(f"field 'strategy.params.{loc}': {name}: {why}") from None
    given = checked.model_fields_set | set(checked.model_extra or {})
    values = {k: getattr(checked, k) for k in checked.model_fields_set}
    values.update({k: v for k, v in (checked.model_extra or {}).items() if k in given})
    return values
