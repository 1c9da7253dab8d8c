"""The Jumbo config: symbols only, and (with the shared futures data) a replay that reconciles."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tradesim.config import load_config
from tradesim.engine import Engine
from tradesim.replay import load_market

JUMBO = Path(__file__).resolve().parents[2] / "strategies" / "configs" / "jumbo.toml"


def test_jumbo_names_instruments_by_symbol_only() -> None:
    raw = tomllib.loads(JUMBO.read_text())
    symbols = [i["symbol"] for i in raw["instruments"]]
    assert len(symbols) >= 100 and len(set(symbols)) == len(symbols)
    assert all(set(i) == {"symbol"} for i in raw["instruments"])  # nothing copied from the data
    assert raw["capital"] == 500_000 and raw["risk_target"] == 0.2 and raw["start"] == date(2000, 1, 1)
    assert raw["optimiser"]["method"] == "dynamic" and raw["strategy"]["name"] == "trend_carry"
    assert raw["data"]["source"] == "pysystemtrade"


def jumbo_config(shared_futures: Path, folder: Path) -> Path:
    """jumbo.toml, pointed at the shared data wherever this checkout sits (a worktree is one floor deeper)."""
    text = JUMBO.read_text()
    relative = tomllib.loads(text)["data"]["path"]
    if (JUMBO.parent / relative).resolve() == shared_futures:
        return JUMBO
    copy = folder / "jumbo.toml"
    copy.write_text(text.replace(f'path = "{relative}"', f'path = "{shared_futures}"'))
    return copy


@pytest.fixture(scope="module")
def jumbo(shared_futures: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The config and its market over the whole period (loaded once: the files are large)."""
    cfg = load_config(jumbo_config(shared_futures, tmp_path_factory.mktemp("jumbo")))
    return cfg, load_market(cfg)


def test_jumbo_loads_its_metadata_from_the_data(jumbo, shared_futures: Path) -> None:  # noqa: ANN001
    cfg, market = jumbo
    assert Path(cfg.data.path) == shared_futures
    assert all(i.kind == "future" and i.costs is not None for i in cfg.instruments)
    assert len({i.asset_class for i in cfg.instruments}) >= 7
    # The whole period passed the data sanity checks (no bad prints) on the way in.
    assert market.dates[0].year == 1998 and market.n_instruments == len(cfg.instruments)


def test_jumbo_replay_reconciles_to_the_cent(jumbo) -> None:  # noqa: ANN001
    """First half of 2000: sum of daily P&L (held x change in back-adjusted price x multiplier x FX
    plus fill-to-close) minus every cost (fees, slippage, rolls) equals the change in NAV."""
    cfg, whole = jumbo
    # Estimates are causal, so the first days of the whole market are the market of a shorter run.
    market = whole.slice(0, int(whole.dates.searchsorted(np.datetime64("2000-07-01"))))
    engine = Engine(cfg, market)
    start = int(market.dates.searchsorted(np.datetime64("2000-01-01")))
    book = engine.opening_book(start)
    held, pnl, costs, rolls, trades = np.zeros(market.n_instruments), 0.0, 0.0, 0.0, 0
    for t in range(start, market.n_days):
        book, day = engine.step(book, t)
        if t > start:
            move = np.where(held != 0, held * (market.close[t] - market.close[t - 1]) * market.multiplier
                            * market.fx[t], 0.0)
            pnl += float(move.sum())
        f = day.fills
        pnl += float(np.sum(f.quantity * (market.close[t, f.instrument] - f.price) * market.multiplier[f.instrument]
                            * f.fx))
        costs += day.costs
        rolls += day.roll_costs
        trades += len(f.instrument)
        held = day.positions.copy()
    assert trades > 100 and rolls > 0
    assert pnl - costs == pytest.approx(book.nav - cfg.capital, abs=0.005)
