"""The replay's stage split counts each second once: the stages add up to no more than the replay took."""

from __future__ import annotations

import time

from tradesim.config import load_config
from tradesim.engine import Engine
from tradesim.replay import load_market, replay


def test_stages_add_up_to_at_most_the_replay(monkeypatch) -> None:  # noqa: ANN001
    config = load_config(None, start="2019-01-01", end="2019-03-31")
    market = load_market(config)
    original = Engine.__init__

    def slow_init(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kwargs)
        time.sleep(0.3)  # after the estimates: counted as the strategy's preparation below
        self.strategy_seconds += 0.3

    monkeypatch.setattr(Engine, "__init__", slow_init)
    started = time.perf_counter()
    result = replay(config, None, market=market)
    wall = time.perf_counter() - started
    times = result.times.as_dict()
    assert times["strategy"] >= 0.3
    # Before the fix the strategy's preparation was inside "estimates" as well: counted twice.
    assert sum(times.values()) <= wall
