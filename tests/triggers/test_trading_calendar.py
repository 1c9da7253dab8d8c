"""tradesim.calendar: sessions, closes and the exchange clock from exchange_calendars."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tradesim.calendar import exchange_timezone, latest_completed_session, session_close, sessions
from tradesim.errors import ConfigError

NY = ZoneInfo("America/New_York")


def test_2024_nyse_sessions_skip_every_holiday():
    days = sessions("XNYS", "2024-01-01", "2024-12-31")
    assert len(days) == 252
    holidays = ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
                "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"]
    assert not set(pd.DatetimeIndex(holidays)) & set(days)
    assert days[0] == pd.Timestamp("2024-01-02") and days[-1] == pd.Timestamp("2024-12-31")


def test_sessions_reach_back_past_the_twenty_year_default():
    days = sessions("XNYS", "1990-01-01", "1990-01-10")
    assert list(days) == list(pd.DatetimeIndex(["1990-01-02", "1990-01-03", "1990-01-04", "1990-01-05",
                                                "1990-01-08", "1990-01-09", "1990-01-10"]))


def test_exchange_timezones():
    assert exchange_timezone("XNYS") == NY
    assert exchange_timezone("XLON") == ZoneInfo("Europe/London")
    assert exchange_timezone("NYSE") == NY  # exchange_calendars' aliases work too


def test_session_close_in_utc_with_early_closes_and_dst():
    assert session_close("XNYS", "2024-03-08") == pd.Timestamp("2024-03-08 21:00", tz="UTC")  # EST
    assert session_close("XNYS", "2024-03-11") == pd.Timestamp("2024-03-11 20:00", tz="UTC")  # EDT
    assert session_close("XNYS", "2024-11-29") == pd.Timestamp("2024-11-29 18:00", tz="UTC")  # 13:00 early close
    with pytest.raises(ValueError, match="not a XNYS trading session"):
        session_close("XNYS", "2024-03-29")  # Good Friday


@pytest.mark.parametrize("now, expected", [
    (datetime(2024, 4, 1, 15, 59, tzinfo=NY), "2024-03-28"),  # Monday before the close; Good Friday shut
    (datetime(2024, 4, 1, 16, 0, tzinfo=NY), "2024-04-01"),  # the close itself has passed
    (datetime(2024, 3, 30, 12, 0, tzinfo=NY), "2024-03-28"),  # a Saturday
    (datetime(2024, 11, 29, 13, 30, tzinfo=NY), "2024-11-29"),  # after the 13:00 early close
    (datetime(2024, 11, 29, 12, 30, tzinfo=NY), "2024-11-27"),  # before it; Thanksgiving shut
    (datetime(2024, 3, 11, 20, 30, tzinfo=ZoneInfo("UTC")), "2024-03-11"),  # 16:30 EDT, first day of DST
])
def test_latest_completed_session(now, expected):
    assert latest_completed_session("XNYS", now) == pd.Timestamp(expected)


def test_latest_completed_session_refuses_naive_times():
    with pytest.raises(ValueError, match="time-zone-aware"):
        latest_completed_session("XNYS", datetime(2024, 4, 1, 17, 0))


def test_unknown_calendar_is_a_config_error_naming_the_field():
    with pytest.raises(ConfigError, match=r"^field 'calendar': unknown exchange calendar 'XNYZ'"):
        sessions("XNYZ", "2024-01-01", "2024-01-31")


def test_dates_before_a_calendars_bound_are_a_config_error():
    with pytest.raises(ConfigError, match=r"field 'calendar': XSES has sessions only from 1986-01-01"):
        sessions("XSES", "1980-01-01", "1990-01-10")


def test_the_default_calendar_is_valid_without_importing_exchange_calendars() -> None:
    """Every config names a calendar; the default (XNYS) needs no look-up, so a replay from files
    never imports exchange_calendars (about 0.1 s and 7 MB)."""
    import subprocess
    import sys

    child = ("import sys; from tradesim.config import load_config; c = load_config(None); "
             "print(c.calendar, 'exchange_calendars' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["XNYS", "False"]
