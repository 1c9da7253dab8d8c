"""A replay's covariances, worked out ahead of the loop on a thread of their own, are the engine's
own, day for day and bit for bit; an error comes on the day it belongs to; the thread ends with
the loop, however the loop ends."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tradesim.config import load_config
from tradesim.engine import Engine
from tradesim.estimates.ahead import CovariancesAhead
from tradesim.replay import load_market, replay


def _ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "covariances-ahead"]


def test_the_same_arrays_as_the_engine_works_out_day_by_day() -> None:
    config = load_config(None, start="2018-01-01", end="2019-12-31")
    market = load_market(config)
    first = int(market.dates.searchsorted(np.datetime64("2018-01-01")))
    plain, ahead = Engine(config, market), Engine(config, market)
    ahead.covariances_ahead(first)
    try:
        for t in range(first, market.n_days):
            assert ahead.covariance(t).tobytes() == plain.covariance(t).tobytes(), market.dates[t]
    finally:
        ahead.stop_ahead()
    assert not _ahead_threads()


def test_an_error_is_raised_on_its_own_day_and_not_before() -> None:
    def covariance(t: int) -> np.ndarray:
        if t == 7:
            raise ValueError("covariance row has NaN on day 7")
        return np.full((2, 2), float(t))

    ahead = CovariancesAhead(covariance, [range(3, 6), range(6, 11)])
    try:
        assert [ahead(t)[0, 0] for t in (3, 4, 5, 6)] == [3.0, 4.0, 5.0, 6.0]
        with pytest.raises(ValueError, match="day 7"):
            ahead(7)
    finally:
        ahead.stop()


def test_days_must_come_in_order() -> None:
    ahead = CovariancesAhead(lambda t: np.eye(2) * t, [range(0, 3), range(3, 6)])
    try:
        ahead(0)
        with pytest.raises(ValueError, match="in order"):
            ahead(4)
    finally:
        ahead.stop()


def test_stop_ends_the_thread_while_weeks_wait_unread() -> None:
    ahead = CovariancesAhead(lambda t: np.eye(2) * t, [range(k, k + 1) for k in range(50)])
    ahead(0)
    ahead.stop()
    assert not _ahead_threads()


def test_a_replay_that_fails_midway_leaves_no_thread_behind(tmp_path) -> None:  # noqa: ANN001
    config = load_config(None, start="2019-01-01", end="2019-06-30")

    def fail_on(day) -> None:  # noqa: ANN001
        if day.t % 50 == 0:
            raise RuntimeError("injected")

    with pytest.raises(RuntimeError, match="injected"):
        replay(config, f"sqlite:///{tmp_path / 'l.db'}", fail_on=fail_on)
    assert not _ahead_threads()
