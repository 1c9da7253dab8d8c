"""The ``[trigger]`` table of a portfolio config: which rebalance rule, validated up front.

A discriminated union on ``kind`` (daily, never, calendar, threshold, hybrid); a
threshold is itself discriminated on ``measure`` (drift, tracking_error), so
a typo fails at load time naming the field, not months into a replay.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WrapValidator
from pydantic_core import InitErrorDetails, ValidationError


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def check_cron(expr: str) -> str:
    """A five-field crontab expression APScheduler accepts, with day names rather than numbers.

    Crontab numbers Sunday 0; APScheduler 3 numbers Monday 0 and reads crontab
    digits its own way, so "0 16 * * 5" would quietly mean Saturday. Names are
    the same in both.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"cron {expr!r} needs 5 fields (minute hour day month day_of_week), got {len(fields)}")
    day_of_week = fields[4]
    if re.search(r"\d", re.sub(r"/\d+", "", day_of_week)):
        raise ValueError(f"cron {expr!r}: write days of the week as names (mon-fri, sat, sun), not numbers: "
                         "crontab counts from Sunday=0 but APScheduler from Monday=0")
    trigger = CronTrigger.from_crontab(expr, timezone="UTC")  # raises ValueError naming the bad field
    if trigger.get_next_fire_time(None, datetime(2000, 1, 1, tzinfo=timezone.utc)) is None:
        raise ValueError(f"cron {expr!r} never fires (no such date)")
    return expr


Cron = Annotated[str, AfterValidator(check_cron)]
# A cron fire on a day the exchange is shut moves to the next session ("next") or the
# previous one ("previous": month-end reviews, so Saturday the 31st trades on Friday the 30th).
Snap = Literal["next", "previous"]


class DriftBand(_Spec):
    """Any instrument's weight w = x v more than ``band`` from its target w* = x* v.

    relative: |w - w*| / |w*| > band instead of |w - w*| > band (a position
    against a zero target is an infinite relative drift).
    """

    measure: Literal["drift"]
    band: float = Field(gt=0)
    relative: bool = False


class TrackingErrorBand(_Spec):
    """Tracking error of the held positions against the unrounded optimum above ``multiple`` x buffer.

    buffer = optimiser.buffer_fraction x risk_target, the optimiser's own buffer.
    """

    measure: Literal["tracking_error"]
    multiple: float = Field(1.0, gt=0)


Band = Annotated[DriftBand | TrackingErrorBand, Field(discriminator="measure")]


class DailyTriggerConfig(_Spec):
    kind: Literal["daily"]


class NeverTriggerConfig(_Spec):
    """Buy once, then hold: the static baseline. The first day with targets invests; later
    trades come only from cash flows (a flow buys or sells every holding pro rata)."""

    kind: Literal["never"]


class CalendarTriggerConfig(_Spec):
    kind: Literal["calendar"]
    cron: Cron
    snap: Snap = "next"


class DriftTriggerConfig(DriftBand):
    kind: Literal["threshold"]


class TrackingErrorTriggerConfig(TrackingErrorBand):
    kind: Literal["threshold"]


ThresholdTriggerConfig = Annotated[DriftTriggerConfig | TrackingErrorTriggerConfig, Field(discriminator="measure")]


class HybridTriggerConfig(_Spec):
    """Review on the calendar, trade only if ``review`` is crossed; ``emergency`` trades any day."""

    kind: Literal["hybrid"]
    cron: Cron
    snap: Snap = "next"
    review: Band
    emergency: Band | None = None


def _toml_paths(value: Any, handler: Any) -> Any:
    """Report errors at the path the user wrote ("trigger.band"), not pydantic's tagged
    path ("trigger.threshold.drift.band"), and a missing ``kind``/``measure`` as that field missing."""
    try:
        return handler(value)
    except ValidationError as exc:
        details = []
        for err in exc.errors():
            loc, ctx, kind = _untagged(value, err["loc"]), err.get("ctx"), err["type"]
            if kind == "union_tag_not_found":
                kind, loc, ctx = "missing", (*loc, ctx["discriminator"].strip("'")), None
            elif kind == "union_tag_invalid":
                loc = (*loc, ctx["discriminator"].strip("'"))
            detail = InitErrorDetails(type=kind, loc=loc, input=err["input"])
            if ctx:
                detail["ctx"] = ctx
            details.append(detail)
        raise ValidationError.from_exception_data(exc.title, details) from None


def _untagged(value: Any, loc: tuple) -> tuple:
    out, node = [], value
    for part in loc:
        if isinstance(node, dict) and part not in node and part in (node.get("kind"), node.get("measure")):
            continue  # a union tag pydantic inserted, not a key of the user's table
        out.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(out)


TriggerConfig = Annotated[
    Annotated[
        DailyTriggerConfig | NeverTriggerConfig | CalendarTriggerConfig | ThresholdTriggerConfig | HybridTriggerConfig,
        Field(discriminator="kind"),
    ],
    WrapValidator(_toml_paths),
]
