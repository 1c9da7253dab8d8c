"""``[strategy] name = "weights"``: the user's own weights table, aligned without look-ahead."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from db.session import open_engine
from strategies.weights import Weights, aligned
from tests.engine.test_user_strategies import write_config
from tradesim.config import load_config
from tradesim.errors import ConfigError
from tradesim.replay import replay

TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))

def write(folder: Path, name: str, params: str) -> Path:
    return write_config(folder, name, params, portfolio="my-weights", start="2021-03-01")


def test_a_row_dated_d_is_used_from_ds_close_and_holds_until_the_next() -> None:
    table = pd.DataFrame({"A": [0.1, 0.2, 0.3]}, index=pd.to_datetime(["2021-03-03", "2021-03-06", "2021-03-09"]))
    dates = pd.to_datetime(["2021-03-02", "2021-03-03", "2021-03-04", "2021-03-05", "2021-03-08", "2021-03-09",
                            "2021-03-10"])  # 03-06 is a Saturday: its row is first used on Monday 03-08
    assert aligned(table, dates)[:, 0].tolist() == pytest.approx([np.nan, 0.1, 0.1, 0.1, 0.2, 0.3, 0.3], nan_ok=True)


def test_weights_from_a_csv_trade_exactly_as_the_same_fixed_weights(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "w.csv").write_text("date,AAPL,KO\n2020-01-02,0.6,0.3\n")
    mine = load_config(write(tmp_path, "weights", '{ path = "data/w.csv" }'))
    assert mine.strategy.params["path"] == str(tmp_path / "data" / "w.csv")  # relative to the config file
    ours = load_config(write(tmp_path, "fixed_weights", "{ weights = { AAPL = 0.6, KO = 0.3 } }"))
    a, b = replay(mine, None), replay(ours, None)
    assert a.summary.trades > 0 and a.nav.tolist() == b.nav.tolist()


def test_orders_follow_the_file_dates_and_fill_next_day(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text("date,AAPL,KO\n2021-03-10,0.5,0\n2021-03-20,0,0.5\n")
    url = f"sqlite:///{tmp_path / 'l.db'}"
    result = replay(load_config(write(tmp_path, "weights", '{ path = "w.csv" }')), url)
    engine = open_engine(url, create=False)
    with engine.connect() as conn:
        orders = conn.execute(text("SELECT o.day, i.symbol, o.quantity FROM orders o JOIN instruments i "
                                   "ON i.id = o.instrument_id WHERE o.run_id = :r ORDER BY o.day, i.symbol"),
                              {"r": result.run_id}).all()
        fills = conn.execute(text("SELECT day, decided_on FROM fills WHERE run_id = :r ORDER BY day"),
                             {"r": result.run_id}).all()
    engine.dispose()
    # Nothing before 03-10, when AAPL is bought at the close (and resized daily as its price moves).
    # 03-20 is a Saturday, so the switch to KO is decided on Monday 03-22. Fills come the next session.
    orders = [(str(d), s, q) for d, s, q in orders]
    assert orders[0][:2] == ("2021-03-10", "AAPL") and orders[0][2] > 0
    assert {s for d, s, _ in orders if d < "2021-03-22"} == {"AAPL"}
    assert min(d for d, s, q in orders if s == "KO") == "2021-03-22"
    assert [(d, q < 0) for d, s, q in orders if d >= "2021-03-22" and s == "AAPL"] == [("2021-03-22", True)]
    sessions = {str(d) for d in result.dates.date}
    for day, decided in fills:
        assert str(day) == min(s for s in sessions if s > str(decided))


@pytest.mark.parametrize(("csv", "message"), [
    ("date,AAPL,KO,MSFT\n2021-03-01,0.5,0.5,0\n", "{file}: column 'MSFT' is not an instrument of the config"),
    ("date,AAPL\n2021-03-01,0.5\n", "{file}: no column for instrument 'KO'"),
])
def test_symbols_must_match_the_config(tmp_path: Path, csv: str, message: str) -> None:
    (tmp_path / "w.csv").write_text(csv)
    path = write(tmp_path, "weights", '{ path = "w.csv" }')
    result = subprocess.run([TRADESIM, "replay", str(path), "--db", str(tmp_path / "l.db")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: field 'strategy.params': weights: " + message.format(file=tmp_path / "w.csv")


@pytest.mark.parametrize(("csv", "message"), [
    (None, "weights file {file} not found"),
    ("date,AAPL,KO\n2021-03-01,0.5,lots\n", "{file}: instrument 'KO' on 2021-03-01: weight 'lots' is not a number"),
    ("date,AAPL,KO\n2021-03-01,0.5,0\n2021-03-01,0.5,0\n", "{file}: date 2021-03-01 appears twice"),
    ("date,AAPL,KO\nsoon,0.5,0\n", "{file}: line 2: field 'date' is not a date"),
])
def test_a_bad_file_is_one_line_when_the_config_loads(tmp_path: Path, csv: str | None, message: str) -> None:
    if csv is not None:
        (tmp_path / "w.csv").write_text(csv)
    path = write(tmp_path, "weights", '{ path = "w.csv" }')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: field 'strategy.params': weights: " + message.format(file=tmp_path / "w.csv")


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "w.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(ValueError, match=r"w.parquet: reading Parquet needs pyarrow: pip install 'tradesim\[parquet\]'"):
        Weights(str(tmp_path / "w.parquet"))


def test_parquet_reads_as_the_csv_does(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"AAPL": [0.5, 0.0], "KO": [0.0, 0.5]}, index=pd.to_datetime(["2021-03-10", "2021-03-22"]))
    frame.rename_axis("date").to_parquet(tmp_path / "w.parquet")
    frame.rename_axis("date").to_csv(tmp_path / "w.csv")
    pd.testing.assert_frame_equal(Weights(str(tmp_path / "w.parquet")).table, Weights(str(tmp_path / "w.csv")).table,
                                  check_names=False, check_freq=False)
