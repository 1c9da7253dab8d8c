"""Calendar triggers: a cron expression on the exchange's clock, snapped to its trading sessions.

The expression is read by APScheduler's ``CronTrigger`` on the exchange's wall
clock: "0 16 * * fri" is Friday 16:00 in New York for XNYS, in London for XLON.
Only the local date of each fire time matters: the decision is always taken at
that session's close. A fire on a day the exchange
is shut moves to the next session (``snap = "next"``, the default) or the
previous one (``snap = "previous"``, for month-end reviews).

Snapping uses the exchange calendar, not the price data, so replay and paper
trading agree: on Friday 28 November 2025, with no data yet for the next week,
"0 16 last * *" with snap "previous" already knows Sunday's fire belongs to
Friday. A session missing from the price data is reviewed on the next day that
has data.

All review days are found once, up front, so ``due`` is one array lookup.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import pandas as pd

from tradesim.calendar import sessions

# Exchanges shut for at most a few sessions in a row (9/11: four); a fire further
# than this outside the data cannot snap into it.
SNAP_MARGIN = timedelta(days=14)


def fire_dates(cron: str, first: date, last: date) -> np.ndarray:
    """Local dates in [first, last] on which ``cron`` fires at least once (datetime64[D]).

    The trigger runs on a clock without daylight saving (UTC) standing in for the
    exchange's wall clock. In a DST zone APScheduler 3.11 steps days by wall-clock
    differences added in UTC, so a search that crosses the spring switch lands an
    hour late and skips a day: "30 0 * * mon" in America/New_York, searched from
    5 March 2024, answers 18 March instead of 11 March. Dates are all we need, and
    on a DST-free clock every wall time exists exactly once, so this is exact.
    """
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(cron, timezone=timezone.utc)
    out: list[date] = []
    now = datetime.combine(first, time(), tzinfo=timezone.utc)
    while (fire := trigger.get_next_fire_time(None, now)) is not None and fire.date() <= last:
        out.append(fire.date())
        # Several fires a day are one review: resume at the next midnight.
        now = datetime.combine(fire.date() + timedelta(days=1), time(), tzinfo=timezone.utc)
    return np.array(out, dtype="datetime64[D]")


def review_days(cron: str, calendar: str, dates: pd.DatetimeIndex, snap: str = "next") -> np.ndarray:
    """Boolean mask over ``dates``: True on the days a review falls."""
    mask = np.zeros(len(dates), dtype=bool)
    if len(dates) == 0:
        return mask
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]")
    first, last = dates[0].date() - SNAP_MARGIN, dates[-1].date() + SNAP_MARGIN
    sess = sessions(calendar, first, last).to_numpy().astype("datetime64[D]")
    fires = fire_dates(cron, first, last)
    if snap == "next":
        k = np.searchsorted(sess, fires, side="left")
        snapped = sess[k[k < len(sess)]]
    elif snap == "previous":
        k = np.searchsorted(sess, fires, side="right") - 1
        snapped = sess[k[k >= 0]]
    else:
        raise ValueError(f"snap must be 'next' or 'previous', not {snap!r}")
    snapped = snapped[snapped >= days[0]]
    pos = np.searchsorted(days, snapped, side="left")
    mask[pos[pos < len(days)]] = True
    return mask


class CalendarTrigger:
    def __init__(self, reviews: np.ndarray) -> None:
        self.reviews = reviews

    def due(self, t: int, positions: np.ndarray, x_star: np.ndarray, v: np.ndarray, sigma: np.ndarray) -> str | None:
        return "calendar" if self.reviews[t] else None
