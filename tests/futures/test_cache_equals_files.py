"""One source of truth, one answer: a replay from pysystemtrade's files and one from the same
files imported into the price cache (``source = "database"``) give identical ledgers.

The rule that made them differ: a roll day can have a blank price but the new contract
(pysystemtrade's SOYOIL on 2003-10-06). The import must keep that row, or the cache sees
the roll a day later. The committed SYNTHETIC fixture ``pysystemtrade_roll_gap`` has such a
day; the shared futures data (when present) checks a few real instruments over four years.
"""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from db import queries
from db.models import Instrument, Price
from db.price_cache import load_bars
from db.session import open_engine
from tradesim.cli.data import import_pysystemtrade
from tradesim.config import load_config
from tradesim.data.cached import CachedSource
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.replay import load_market, replay

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pysystemtrade_roll_gap"
ROLL_DAY = date(2024, 3, 26)  # day 60 of the fixture: no price, new contract
LATE_START = date(2024, 5, 21)  # GAP_LATE's first price
SYMBOLS = ["GAP_SOY", "GAP_NOTE", "GAP_LATE"]


def _config(folder: Path, name: str, data: str, body: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(body + data)
    return path


def _replay(config: Path, db: Path, *args: str) -> str:
    done = subprocess.run(["tradesim", "replay", str(config), "--db", str(db), *args], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0, done.stdout + done.stderr
    return f"sqlite:///{db}"


def _ledger(url: str) -> dict[str, pd.DataFrame]:
    everything = dict(since="1900-01-01", until="2100-12-31")
    return {"trades": queries.trades(url), "orders": queries.orders(url), "equity": queries.equity(url),
            "positions": queries.positions(url, **everything), "pnl": queries.pnl(url, by="instrument")}


def assert_same_ledgers(a: str, b: str) -> dict[str, pd.DataFrame]:
    left, right = _ledger(a), _ledger(b)
    ids = ["run_id", "fill_id", "order_id"]  # the cache's ledger may hold other runs before this one
    for name in left:
        pd.testing.assert_frame_equal(left[name].drop(columns=ids, errors="ignore"),
                                      right[name].drop(columns=ids, errors="ignore"), check_exact=True, obj=name)
    return left


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cache") / "cache.db"
    done = subprocess.run(["tradesim", "data", "import-pysystemtrade", str(FIXTURE), "--db", str(db)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return db


def test_the_import_keeps_a_roll_day_without_a_price(cache: Path) -> None:
    with open_engine(f"sqlite:///{cache}").connect() as conn:
        rows = conn.execute(select(Price.day, Price.close, Price.contract_price, Price.contract)
                            .join(Instrument, Instrument.id == Price.instrument_id)
                            .where(Instrument.symbol == "GAP_SOY",
                                   Price.day.between(date(2024, 3, 25), date(2024, 3, 27)))
                            .order_by(Price.day)).all()
    assert [(d, c is None, p is None, k) for d, c, p, k in rows] == [
        (date(2024, 3, 25), False, False, 20240300),
        (ROLL_DAY, True, True, 20240500),  # the roll is on this day, price or not
        (date(2024, 3, 27), False, False, 20240500),
    ]


def test_cached_bars_are_the_files_bars(cache: Path) -> None:
    direct = PysystemtradeSource(FIXTURE).load(SYMBOLS)
    with open_engine(f"sqlite:///{cache}").connect() as conn:
        cached = load_bars(conn, SYMBOLS)
    for field in ("close", "contract_price", "carry_price", "contract", "carry_contract"):
        mine, theirs = getattr(cached, field), getattr(direct, field)
        # The cache stores a day when any field has a value; files keep their own row sets.
        days = mine.index.union(theirs.index)
        pd.testing.assert_frame_equal(mine.reindex(days), theirs.reindex(days), check_names=False, obj=field)
    assert cached.close.loc["2024-03-26", "GAP_SOY"] != cached.close.loc["2024-03-26", "GAP_SOY"]  # NaN
    assert cached.contract.loc["2024-03-26", "GAP_SOY"] == 20240500


def test_a_window_before_an_instrument_starts_is_a_column_without_prices(cache: Path) -> None:
    """As from the files: the replay decides what an unpriced instrument means, not the cache."""
    with open_engine(f"sqlite:///{cache}").connect() as conn:
        cached = load_bars(conn, SYMBOLS, end=date(2024, 4, 30))
    direct = PysystemtradeSource(FIXTURE).load(SYMBOLS, end=date(2024, 4, 30))
    assert cached.close["GAP_LATE"].isna().all() and direct.close["GAP_LATE"].isna().all()
    assert cached.close["GAP_NOTE"].notna().all()


BODY = """name = "roll-gap"
capital = 1000000
risk_target = 0.25
[strategy]
name = "fixed_weights"
[strategy.params.weights]
GAP_SOY = 1.0
GAP_NOTE = 1.5
GAP_LATE = 0.5
[optimiser]
method = "round"
[[instruments]]
symbol = "GAP_SOY"
[[instruments]]
symbol = "GAP_NOTE"
[[instruments]]
symbol = "GAP_LATE"
"""


@pytest.mark.parametrize("end", [None, "2024-04-30"])
def test_replays_from_files_and_from_the_cache_give_identical_ledgers(cache: Path, tmp_path: Path,
                                                                      end: str | None) -> None:
    files = _config(tmp_path, "files", f'[data]\nsource = "pysystemtrade"\npath = "{FIXTURE}"\n', BODY)
    database = _config(tmp_path, "database", f'[data]\nsource = "database"\ninstrument_table = "{FIXTURE}"\n', BODY)
    args = ("--end", end) if end else ()
    ledger = assert_same_ledgers(_replay(files, tmp_path / "files.db", *args),
                                 _replay(database, cache, *args))
    equity = ledger["equity"].set_index("day")
    # GAP_SOY is held over its roll, and the roll is charged on the day the contract changed.
    assert equity.loc[ROLL_DAY, "roll_costs"] > 0
    assert (equity["roll_costs"].drop(ROLL_DAY) == 0).all()
    traded = set(ledger["trades"]["symbol"])
    assert traded == ({"GAP_SOY", "GAP_NOTE"} if end else set(SYMBOLS))


# -- the shared futures data, when present ------------------------------------------------------

SHARED_SYMBOLS = ["SOYOIL", "CRUDE_W_micro", "BBCOMM", "BUXL", "CORN", "JPY"]


def test_real_instruments_replay_identically_from_files_and_cache(shared_futures: Path, tmp_path: Path) -> None:
    """SOYOIL rolls on 2003-10-06 without a price; CRUDE_W_micro is where the Jumbo ledgers first
    differed (2001-03-15); BBCOMM has no prices before 2006, inside a replay that ends in 2003."""
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    report = import_pysystemtrade(shared_futures, url, symbols=SHARED_SYMBOLS)
    assert sorted(report.instruments) == sorted(SHARED_SYMBOLS)
    body = ('name = "shared-few"\ncapital = 500000\nrisk_target = 0.2\nstart = 2001-01-01\n'
            '[strategy]\nname = "trend_carry"\n[optimiser]\nmethod = "dynamic"\n'
            + "".join(f'[[instruments]]\nsymbol = "{s}"\n' for s in SHARED_SYMBOLS))
    files = _config(tmp_path, "files", f'[data]\nsource = "pysystemtrade"\npath = "{shared_futures}"\n', body)
    database = _config(tmp_path, "database",
                       f'[data]\nsource = "database"\ninstrument_table = "{shared_futures}"\n', body)
    # In process (the files are large: parsed once here, not once per command).
    a, b = load_config(files, end="2003-12-31"), load_config(database, end="2003-12-31")
    replay(a, f"sqlite:///{tmp_path / 'files.db'}")
    replay(b, url, market=load_market(b, CachedSource(url)))
    ledger = assert_same_ledgers(f"sqlite:///{tmp_path / 'files.db'}", url)
    equity = ledger["equity"].set_index("day")
    assert equity.loc[date(2003, 10, 6), "roll_costs"] > 0  # SOYOIL's roll, on its day
    assert len(ledger["trades"]) > 100 and np.isfinite(equity["nav"]).all()
