"""Trading days and the exchange's clock, from exchange_calendars.

Building a calendar takes a fifth of a second and its answers never change, so
one calendar per exchange is kept for the process and rebuilt wider only when a
request reaches outside it. exchange_calendars' own default span starts 20
years back, too short for replays from 1990, so every build passes ``start=``.

Session labels are naive midnight timestamps (the exchange's local date), as
exchange_calendars and ``Market.dates`` use; closes are UTC timestamps.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import AfterValidator

from tradesim.errors import ConfigError

# Wide enough for any bundled or typical data set; a request beyond it widens the build.
EARLIEST = pd.Timestamp("1970-01-01")
# How far ahead of today to build: paper trading asks about today and the next few sessions.
AHEAD = pd.Timedelta(days=366)

_cache: dict[str, tuple[pd.Timestamp, pd.Timestamp, object]] = {}
_lock = threading.Lock()


# The config's default: the New York Stock Exchange, exchange_calendars' own example. Every config
# names a calendar, and most leave it at this one, which needs no look-up: importing
# exchange_calendars to list its names costs about 0.1 s and 7 MB that a replay from files keeps.
DEFAULT_CALENDAR = "XNYS"


def unknown_calendar_message(name: str) -> str | None:
    """Why ``name`` is not an exchange calendar, or None if it is one (aliases such as NYSE count)."""
    if name == DEFAULT_CALENDAR:
        return None
    import exchange_calendars as xc

    if name in xc.get_calendar_names(include_aliases=True):
        return None
    return f"unknown exchange calendar {name!r} (e.g. XNYS, XLON, CMES; see exchange_calendars.get_calendar_names())"


def check_calendar_name(name: str) -> str:
    """Validator for a config's ``calendar`` field (raises ValueError for pydantic to word)."""
    if (why := unknown_calendar_message(name)) is not None:
        raise ValueError(why)
    return name


CalendarName = Annotated[str, AfterValidator(check_calendar_name)]


def exchange_calendar(name: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None):
    """The cached ``ExchangeCalendar`` for ``name``, covering at least [start, end]."""
    import exchange_calendars as xc

    if (why := unknown_calendar_message(name)) is not None:
        raise ConfigError(f"field 'calendar': {why}")
    name = xc.resolve_alias(name)  # NYSE and XNYS share one build
    want_start = _day(start) if start is not None else EARLIEST
    want_end = _day(end) if end is not None else pd.Timestamp.today().normalize()
    with _lock:
        cached = _cache.get(name)
        if cached and cached[0] <= want_start and want_end <= cached[1]:
            return cached[2]
        cls = type(xc.get_calendar(name))  # a default build, only to read the bounds of its class
        lo = min(want_start, EARLIEST, cached[0] if cached else want_start)
        hi = max(want_end, pd.Timestamp.today().normalize() + AHEAD, cached[1] if cached else want_end)
        bound_min, bound_max = cls.bound_min(), cls.bound_max()
        if bound_min is not None and want_start < bound_min:
            raise ConfigError(f"field 'calendar': {name} has sessions only from {bound_min.date()}, "
                              f"not {want_start.date()}")
        if bound_max is not None and want_end > bound_max:
            raise ConfigError(f"field 'calendar': {name} has sessions only up to {bound_max.date()}, "
                              f"not {want_end.date()}")
        lo = max(lo, bound_min) if bound_min is not None else lo
        hi = min(hi, bound_max) if bound_max is not None else hi
        cal = xc.get_calendar(name, start=lo, end=hi)
        _cache[name] = (lo, hi, cal)
        return cal


def sessions(name: str, start, end) -> pd.DatetimeIndex:
    """The exchange's trading days from ``start`` to ``end`` inclusive (naive midnight labels)."""
    lo, hi = _day(start), _day(end)
    if lo > hi:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    cal = exchange_calendar(name, lo, hi)
    return cal.sessions_in_range(lo, hi)


def exchange_timezone(name: str) -> ZoneInfo:
    """The exchange's own time zone: cron expressions are read on this clock."""
    return ZoneInfo(str(exchange_calendar(name).tz))


def session_close(name: str, day) -> pd.Timestamp:
    """When session ``day`` closes, in UTC (early closes included)."""
    d = _day(day)
    cal = exchange_calendar(name, d, d)
    if not cal.is_session(d):
        raise ValueError(f"{d.date()} is not a {name} trading session")
    return cal.session_close(d)


def latest_completed_session(name: str, now: datetime | pd.Timestamp) -> pd.Timestamp:
    """The last session whose close is at or before ``now`` (which must carry a time zone).

    Paper trading processes a day only after its close: at 15:00 New York on a
    Tuesday the latest completed XNYS session is Monday's.
    """
    now = pd.Timestamp(now)
    if now.tzinfo is None:
        raise ValueError("latest_completed_session needs a time-zone-aware 'now' (naive times are ambiguous)")
    now = now.tz_convert("UTC")
    # The longest market shutdowns (9/11: four sessions) are far shorter than a month.
    lo, hi = now.tz_localize(None).normalize() - pd.Timedelta(days=31), now.tz_localize(None).normalize() + pd.Timedelta(days=1)
    cal = exchange_calendar(name, lo, hi)
    closes = cal.closes.loc[cal.sessions_in_range(lo, hi)]
    k = int(closes.searchsorted(now, side="right")) - 1
    if k < 0:
        raise ValueError(f"no {name} session closed in the month before {now}")
    return closes.index[k]


def _day(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()
