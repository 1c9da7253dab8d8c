"""The [trigger] table and the calendar field: typed, and bad input named in one line."""

from __future__ import annotations

import pytest

from tradesim.config import load_config
from tradesim.errors import ConfigError
from tradesim.triggers.spec import CalendarTriggerConfig, DriftBand, HybridTriggerConfig, TrackingErrorBand


def test_no_trigger_means_daily_and_nyse():
    config = load_config()
    assert config.trigger is None and config.calendar == "XNYS"


def test_each_kind_parses_to_its_model():
    weekly = load_config(trigger={"kind": "calendar", "cron": "0 16 * * fri"}).trigger
    assert isinstance(weekly, CalendarTriggerConfig) and weekly.snap == "next"
    drift = load_config(trigger={"kind": "threshold", "measure": "drift", "band": 0.02, "relative": True}).trigger
    assert (drift.kind, drift.measure, drift.band, drift.relative) == ("threshold", "drift", 0.02, True)
    te = load_config(trigger={"kind": "threshold", "measure": "tracking_error"}).trigger
    assert (te.measure, te.multiple) == ("tracking_error", 1.0)
    hybrid = load_config(trigger={"kind": "hybrid", "cron": "0 16 last * *", "snap": "previous",
                                  "review": {"measure": "drift", "band": 0.02},
                                  "emergency": {"measure": "tracking_error", "multiple": 3}}).trigger
    assert isinstance(hybrid, HybridTriggerConfig)
    assert isinstance(hybrid.review, DriftBand) and isinstance(hybrid.emergency, TrackingErrorBand)


def test_trigger_is_part_of_the_config_hash():
    a = load_config(trigger={"kind": "calendar", "cron": "0 16 * * fri"})
    b = load_config(trigger={"kind": "calendar", "cron": "0 16 * * thu"})
    assert a.config_hash() != b.config_hash() != load_config().config_hash()


@pytest.mark.parametrize("trigger, field, words", [
    ({"kind": "weekly"}, "trigger.kind", "does not match any of the expected tags"),
    ({"cron": "0 16 * * fri"}, "trigger.kind", "Field required"),
    ({"kind": "calendar"}, "trigger.cron", "Field required"),
    ({"kind": "calendar", "cron": "0 16 * *"}, "trigger.cron", "needs 5 fields"),
    ({"kind": "calendar", "cron": "0 25 * * fri"}, "trigger.cron", "higher than the maximum value (23)"),
    ({"kind": "calendar", "cron": "0 16 * * 5"}, "trigger.cron", "write days of the week as names"),
    ({"kind": "calendar", "cron": "0 16 * * frii"}, "trigger.cron", "Invalid weekday name"),
    ({"kind": "calendar", "cron": "0 16 31 2 *"}, "trigger.cron", "never fires"),
    ({"kind": "calendar", "cron": "0 16 * * fri", "snap": "nearest"}, "trigger.snap", "'next' or 'previous'"),
    ({"kind": "calendar", "cron": "0 16 * * fri", "band": 0.1}, "trigger.band", "Extra inputs"),
    ({"kind": "threshold", "band": 0.1}, "trigger.measure", "Field required"),
    ({"kind": "threshold", "measure": "drift"}, "trigger.band", "Field required"),
    ({"kind": "threshold", "measure": "drift", "band": 0}, "trigger.band", "greater than 0"),
    ({"kind": "threshold", "measure": "tracking_error", "multiple": -1}, "trigger.multiple", "greater than 0"),
    ({"kind": "hybrid", "cron": "0 16 * * fri"}, "trigger.review", "Field required"),
    ({"kind": "hybrid", "cron": "0 16 * * fri", "review": {"measure": "drft"}}, "trigger.review.measure",
     "does not match"),
    ({"kind": "hybrid", "cron": "0 16 * * fri", "review": {"measure": "drift", "band": 0.1},
      "emergency": {"measure": "drift", "band": "wide"}}, "trigger.emergency.band", "valid number"),
])
def test_bad_triggers_name_the_field_as_written_in_toml(trigger, field, words):
    with pytest.raises(ConfigError) as err:
        load_config(trigger=trigger)
    message = str(err.value)
    assert "\n" not in message
    assert f"field '{field}'" in message and words in message


def test_unknown_calendar_names_the_field():
    with pytest.raises(ConfigError, match=r"field 'calendar': unknown exchange calendar 'NYSX'"):
        load_config(calendar="NYSX")
    assert load_config(calendar="XLON").calendar == "XLON"


def test_example_config_loads():
    from pathlib import Path

    path = Path(__file__).parents[2] / "strategies" / "configs" / "stocks_weekly_hybrid.toml"
    config = load_config(path)
    assert isinstance(config.trigger, HybridTriggerConfig)
    assert config.symbols == load_config().symbols
