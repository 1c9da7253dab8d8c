"""`tradesim data import-pysystemtrade`: the SYNTHETIC fixture into the price cache, and back."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from db.models import FxRate, Instrument, Price
from db.price_cache import load_bars
from db.session import open_engine
from tradesim.cli import main
from tradesim.cli.data import import_pysystemtrade
from tradesim.config import load_config
from tradesim.data.cached import CachedSource
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.replay import load_market, replay


@pytest.fixture
def imported(tmp_path: Path, pst_folder: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    assert main(["data", "import-pysystemtrade", str(pst_folder), "--db", url]) == 0
    return url


def test_instruments_get_their_metadata(imported: str) -> None:
    with open_engine(imported).connect() as conn:
        rows = conn.execute(select(Instrument.symbol, Instrument.multiplier, Instrument.currency, Instrument.asset_class,
                                   Instrument.kind, Instrument.description).order_by(Instrument.symbol)).all()
    assert [tuple(r) for r in rows] == [
        ("SYNTH_BUND", 100.0, "EUR", "Bond", "future", "Synthetic EUR bond future"),
        ("SYNTH_CRUDE", 10.0, "USD", "OilGas", "future", "Synthetic crude future"),
    ]  # SYNTH_NOPRICES has no prices: not imported


def test_prices_round_trip(imported: str, pst_folder: Path) -> None:
    symbols = ["SYNTH_BUND", "SYNTH_CRUDE"]
    direct = PysystemtradeSource(pst_folder).load(symbols)
    with open_engine(imported).connect() as conn:
        cached = load_bars(conn, symbols)
        assert conn.execute(select(func.count()).select_from(Price)).scalar() == 180
        assert conn.execute(select(func.count()).select_from(FxRate)).scalar() == 90
    pd.testing.assert_frame_equal(cached.close, direct.close, check_names=False, check_freq=False,
                                  check_index_type=False)
    assert (cached.close["SYNTH_CRUDE"] < 0).all()  # negative back-adjusted prices survive the cache
    for field in ("contract_price", "carry_price", "contract", "carry_contract"):
        np.testing.assert_array_equal(getattr(cached, field).to_numpy(), getattr(direct, field).to_numpy())
    assert cached.fx["EURUSD"].to_numpy() == pytest.approx(direct.fx["EURUSD"].to_numpy())


def test_importing_twice_replaces_rows(imported: str, pst_folder: Path) -> None:
    report = import_pysystemtrade(pst_folder, imported)
    assert report.instruments == ["SYNTH_BUND", "SYNTH_CRUDE"] and report.rows == 180
    with open_engine(imported).connect() as conn:
        assert conn.execute(select(func.count()).select_from(Price)).scalar() == 180


def test_prices_without_an_instrument_row_are_reported(tmp_path: Path, pst_folder: Path) -> None:
    folder = tmp_path / "pst"
    shutil.copytree(pst_folder, folder)
    for sub in ("adjusted_prices_csv", "multiple_prices_csv"):
        shutil.copy(folder / sub / "SYNTH_CRUDE.csv", folder / sub / "SYNTH_ORPHAN.csv")
    report = import_pysystemtrade(folder, f"sqlite:///{tmp_path / 'c.db'}")
    assert report.skipped == ["SYNTH_ORPHAN"] and report.instruments == ["SYNTH_BUND", "SYNTH_CRUDE"]


def test_a_bad_folder_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "import-pysystemtrade", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'c.db'}"]) == 2
    err = capsys.readouterr().err
    assert "neither pysystemtrade's layout" in err and "Traceback" not in err


def test_a_database_replay_equals_the_folder_replay(imported: str, tmp_path: Path, pst_folder: Path) -> None:
    """After an import, source "database" replays the same portfolio to the same NAV. The database
    gives multiplier, currency and asset class; costs come from the folder's instrument table."""
    body = """name = "synthetic"
capital = 1000000
[strategy]
name = "trend_carry"
[optimiser]
method = "round"
[[instruments]]
symbol = "SYNTH_BUND"
[[instruments]]
symbol = "SYNTH_CRUDE"
"""
    folder_cfg = tmp_path / "folder.toml"
    folder_cfg.write_text(body + f'[data]\nsource = "pysystemtrade"\npath = "{pst_folder}"\n')
    db_cfg = tmp_path / "db.toml"
    db_cfg.write_text(f'database = "{imported}"\n' + body
                      + f'[data]\nsource = "database"\ninstrument_table = "{pst_folder}"\n')
    a, b = load_config(folder_cfg), load_config(db_cfg)
    assert a.instruments == b.instruments
    nav_folder = replay(a, None).nav
    nav_db = replay(b, None, market=load_market(b, CachedSource(imported))).nav
    np.testing.assert_allclose(nav_db, nav_folder, rtol=0, atol=1e-6)


def test_database_metadata_without_costs(imported: str, tmp_path: Path) -> None:
    """The price cache knows point value, currency and asset class but not costs: those fall
    to the portfolio's [costs] unless an instrument table or the config gives them."""
    cfg = tmp_path / "db.toml"
    cfg.write_text(f'name = "x"\ncapital = 1000\ndatabase = "{imported}"\n[data]\nsource = "database"\n'
                   '[strategy]\nname = "trend_carry"\n[[instruments]]\nsymbol = "SYNTH_BUND"\n'
                   '[[instruments]]\nsymbol = "NOT_IMPORTED"\n')
    bund, other = load_config(cfg).instruments
    assert (bund.multiplier, bund.currency, bund.asset_class, bund.kind, bund.costs) == (100.0, "EUR", "Bond",
                                                                                         "future", None)
    assert (other.multiplier, other.kind) == (1.0, "stock")  # not in the cache (yet): the config's own values
