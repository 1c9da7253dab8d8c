"""Calendar triggers fire on hand-listed 2024 session dates: holidays, month ends and DST switches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradesim.calendar import sessions
from tradesim.triggers.cron import CalendarTrigger, review_days

NYSE_2024 = sessions("XNYS", "2024-01-01", "2024-12-31")


def fires(cron: str, snap: str = "next", dates: pd.DatetimeIndex = NYSE_2024, calendar: str = "XNYS") -> list[str]:
    mask = review_days(cron, calendar, dates, snap)
    return [str(d.date()) for d in dates[mask]]


def between(days: list[str], lo: str, hi: str) -> list[str]:
    return [d for d in days if lo <= d <= hi]


def test_weekly_friday_moves_off_good_friday_to_monday():
    got = fires("0 16 * * fri")
    assert between(got, "2024-03-01", "2024-04-30") == [
        "2024-03-01", "2024-03-08", "2024-03-15", "2024-03-22",
        "2024-04-01",  # Good Friday 29 March: the exchange is shut, the review moves to Monday
        "2024-04-05", "2024-04-12", "2024-04-19", "2024-04-26",
    ]
    assert len(got) == 52  # every Friday of 2024 gets exactly one review
    assert all(pd.Timestamp(d).day_name() == "Friday" for d in got if d != "2024-04-01")
    # 5 July (day after Independence Day) and 29 November (13:00 early close) are sessions.
    assert "2024-07-05" in got and "2024-11-29" in got


def test_weekly_friday_snapping_back_reviews_on_maundy_thursday():
    got = fires("0 16 * * fri", snap="previous")
    assert between(got, "2024-03-20", "2024-04-10") == ["2024-03-22", "2024-03-28", "2024-04-05"]


def test_month_end_with_snap_previous_is_the_last_session_of_each_month():
    assert fires("0 16 last * *", snap="previous") == [
        "2024-01-31", "2024-02-29",
        "2024-03-28",  # 31 March is a Sunday and 29 March Good Friday
        "2024-04-30", "2024-05-31",
        "2024-06-28",  # 30 June is a Sunday
        "2024-07-31",
        "2024-08-30",  # 31 August is a Saturday
        "2024-09-30", "2024-10-31",
        "2024-11-29",  # 30 November is a Saturday
        "2024-12-31",
    ]


def test_month_end_with_snap_next_spills_into_the_next_month():
    """Why month-end reviews want snap = "previous": the default moves weekend month ends forward."""
    assert fires("0 16 last * *") == [
        "2024-01-02",  # Sunday 31 December 2023, snapped past New Year's Day into the data
        "2024-01-31", "2024-02-29", "2024-04-01", "2024-04-30", "2024-05-31", "2024-07-01", "2024-07-31",
        "2024-09-03",  # 31 August (Sat) -> past Sunday and Labor Day
        "2024-09-30", "2024-10-31", "2024-12-02", "2024-12-31",
    ]


def test_first_monday_of_the_month():
    # APScheduler ANDs the day and day-of-week fields: days 1-7 that are Mondays.
    assert fires("0 16 1-7 * mon") == [
        "2024-01-02",  # 1 January, New Year's Day
        "2024-02-05", "2024-03-04", "2024-04-01", "2024-05-06", "2024-06-03", "2024-07-01", "2024-08-05",
        "2024-09-03",  # 2 September, Labor Day
        "2024-10-07", "2024-11-04", "2024-12-02",
    ]


def test_wednesdays_around_juneteenth():
    assert between(fires("0 16 * * wed"), "2024-06-01", "2024-07-15") == [
        "2024-06-05", "2024-06-12",
        "2024-06-20",  # Juneteenth, Wednesday 19 June
        "2024-06-26",
        "2024-07-03",  # an early close (13:00) is still a session
        "2024-07-10",
    ]


def test_thursdays_around_independence_day_and_thanksgiving():
    got = fires("0 16 * * thu")
    assert between(got, "2024-06-25", "2024-07-15") == ["2024-06-27", "2024-07-05", "2024-07-11"]
    assert between(got, "2024-11-15", "2024-12-10") == ["2024-11-21", "2024-11-29", "2024-12-05"]


def test_a_fixed_date_on_a_holiday():
    assert fires("0 16 4 7 *") == ["2024-07-05"]
    assert fires("0 16 25 12 *") == ["2024-12-26"]


# Daylight saving in New York: clocks went forward on Sunday 10 March 2024 and back on
# Sunday 3 November 2024. Expressions are read on the exchange's clock, so the switch
# never moves a review to another date.

def test_late_evening_fridays_stay_on_friday_across_both_dst_switches():
    # 23:30 New York is already Saturday in UTC: a UTC clock would push these to Monday.
    got = fires("30 23 * * fri")
    assert between(got, "2024-03-01", "2024-03-22") == ["2024-03-01", "2024-03-08", "2024-03-15", "2024-03-22"]
    assert between(got, "2024-10-25", "2024-11-15") == ["2024-10-25", "2024-11-01", "2024-11-08", "2024-11-15"]


def test_early_morning_mondays_stay_on_monday_across_both_dst_switches():
    # 00:30 New York is still Sunday evening in Asia's time zones and Monday 04:30/05:30 UTC.
    got = fires("30 0 * * mon")
    assert between(got, "2024-03-01", "2024-03-20") == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert between(got, "2024-10-25", "2024-11-12") == ["2024-10-28", "2024-11-04", "2024-11-11"]


def test_times_that_dst_skips_or_repeats_still_fire_once():
    assert fires("30 2 10 3 *") == ["2024-03-11"]  # 02:30 on 10 March never happened; Sunday -> Monday
    assert fires("30 1 3 11 *") == ["2024-11-04"]  # 01:30 on 3 November happened twice; one review
    assert fires("30 2 * * *") == [str(d.date()) for d in NYSE_2024]


def test_every_minute_is_one_review_per_session():
    assert fires("* * * * *") == [str(d.date()) for d in NYSE_2024]


def test_the_exchange_calendar_decides_the_sessions():
    london = sessions("XLON", "2024-01-01", "2024-12-31")
    got = fires("0 16 * * fri", dates=london, calendar="XLON")
    # London is shut on Good Friday and Easter Monday too.
    assert between(got, "2024-03-20", "2024-04-10") == ["2024-03-22", "2024-04-02", "2024-04-05"]
    # ... but open on Juneteenth, which New York is not.
    assert between(fires("0 16 * * wed", dates=london, calendar="XLON"), "2024-06-15", "2024-06-25") == ["2024-06-19"]


def test_a_session_missing_from_the_data_is_reviewed_on_the_next_day_with_data():
    gappy = NYSE_2024.drop(pd.DatetimeIndex(["2024-03-08", "2024-03-11"]))
    got = fires("0 16 * * fri", dates=gappy)
    assert between(got, "2024-03-01", "2024-03-20") == ["2024-03-01", "2024-03-12", "2024-03-15"]


def test_reviews_before_the_data_starts_are_dropped_not_piled_onto_day_one():
    days = NYSE_2024[NYSE_2024 >= "2024-03-12"]  # a Tuesday
    got = fires("0 16 * * fri", dates=days)
    assert got[:2] == ["2024-03-15", "2024-03-22"]
    assert fires("0 16 * * mon", dates=days)[0] == "2024-03-18"


def test_paper_trading_on_the_last_friday_of_november_sees_the_month_end_review():
    """With data up to Friday 29 November only, Saturday 30th's review already lands on Friday."""
    days = NYSE_2024[NYSE_2024 <= "2024-11-29"]
    assert fires("0 16 last * *", snap="previous", dates=days)[-1] == "2024-11-29"
    assert fires("0 16 last * *", snap="next", dates=days)[-1] == "2024-10-31"


def test_calendar_trigger_due_on_review_days_only():
    mask = review_days("0 16 * * fri", "XNYS", NYSE_2024)
    trigger = CalendarTrigger(mask)
    x = np.zeros(3)
    reasons = [trigger.due(t, x, x + 5, x + 0.01, np.eye(3)) for t in range(len(NYSE_2024))]
    assert [r for r in reasons if r is not None] == ["calendar"] * 52
    assert reasons[NYSE_2024.get_loc(pd.Timestamp("2024-04-01"))] == "calendar"
    assert reasons[NYSE_2024.get_loc(pd.Timestamp("2024-03-28"))] is None


@pytest.mark.parametrize("snap", ["next", "previous"])
def test_replay_and_paper_trading_agree_day_by_day(snap):
    """Growing the data one day at a time (paper trading) reviews on the same days as the full year."""
    full = review_days("0 16 last * *", "XNYS", NYSE_2024, snap)
    for t in range(0, len(NYSE_2024), 7):
        grown = review_days("0 16 last * *", "XNYS", NYSE_2024[: t + 1], snap)
        assert grown[t] == full[t]
