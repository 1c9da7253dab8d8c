"""PysystemtradeSource reads both layouts: pysystemtrade's folders and the daily files.

The folder fixture (tests/fixtures/pysystemtrade, SYNTHETIC) is described in its generate.py;
the daily-layout files are written here by hand, also made up.
"""

from __future__ import annotations

import gzip
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.errors import ConfigError, DataError


def test_folder_layout_collapses_intraday_rows_and_drops_weekends(pst_folder: Path) -> None:
    bars = PysystemtradeSource(pst_folder).load(["SYNTH_BUND", "SYNTH_CRUDE"])
    assert list(bars.close.columns) == ["SYNTH_BUND", "SYNTH_CRUDE"]
    assert len(bars.close) == 90 and (bars.close.index.day_of_week < 5).all()  # the Sunday 2023-01-29 row is gone
    # 2023-01-16 has rows at 09:00 (130.30), 14:00 (129.20) and 23:00 (129.60): the close is the last.
    assert bars.close.loc["2023-01-16", "SYNTH_BUND"] == 129.60
    assert bars.contract_price.loc["2023-01-16", "SYNTH_CRUDE"] == 71.2
    # Negative back-adjusted prices come through as they are.
    assert bars.close["SYNTH_CRUDE"].max() == -5.4 and bars.close["SYNTH_CRUDE"].min() == -9.4


def test_folder_layout_carry_inputs_and_roll(pst_folder: Path) -> None:
    bars = PysystemtradeSource(pst_folder).load(["SYNTH_BUND", "SYNTH_CRUDE"])
    crude = bars.contract["SYNTH_CRUDE"]
    assert crude.loc["2023-03-03"] == 20230300 and crude.loc["2023-03-06"] == 20230400  # rolled on day 45
    assert bars.carry_contract.loc["2023-03-06", "SYNTH_CRUDE"] == 20230300
    assert math.isnan(bars.carry_price.loc["2023-01-05", "SYNTH_CRUDE"])  # blank CARRY stays missing
    assert bars.carry_price.loc["2023-01-04", "SYNTH_CRUDE"] == 71.7
    assert bars.fx.loc["2023-01-03", "EURUSD"] == 1.080


def test_dates_are_cut_but_fx_keeps_its_history(pst_folder: Path) -> None:
    bars = PysystemtradeSource(pst_folder).load(["SYNTH_CRUDE"], date(2023, 2, 1), date(2023, 2, 28))
    assert bars.close.index[0] == pd.Timestamp("2023-02-01") and bars.close.index[-1] == pd.Timestamp("2023-02-28")
    assert bars.contract_price.index[0] == pd.Timestamp("2023-02-01")
    assert bars.fx.index[0] == pd.Timestamp("2023-01-02") and bars.fx.index[-1] <= pd.Timestamp("2023-02-28")


def test_folder_layout_instrument_table(pst_folder: Path) -> None:
    source = PysystemtradeSource(pst_folder)
    assert source.symbols() == ["SYNTH_BUND", "SYNTH_CRUDE"]  # SYNTH_NOPRICES has no price files
    meta = source.metadata(["SYNTH_BUND", "SYNTH_CRUDE", "SYNTH_NOPRICES", "NOT_THERE"])
    assert meta["SYNTH_BUND"] == {
        "kind": "future", "multiplier": 100.0, "currency": "EUR", "asset_class": "Bond",
        # Blank Percentage and PerTrade mean no such fee.
        "costs": {"commission_per_unit": 2.0, "commission_pct": 0.0, "commission_min": 0.0, "half_spread": 0.01}}
    assert meta["SYNTH_CRUDE"]["costs"] == {"commission_per_unit": 1.5, "commission_pct": 0.0001,
                                            "commission_min": 5.0, "half_spread": 0.02}
    assert "SYNTH_NOPRICES" in meta and "NOT_THERE" not in meta


def test_unknown_instrument_is_a_data_error(pst_folder: Path) -> None:
    with pytest.raises(DataError, match="unknown instrument 'SYNTH_GOLD'"):
        PysystemtradeSource(pst_folder).load(["SYNTH_GOLD"])


def test_missing_or_wrong_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="data.path"):
        PysystemtradeSource(None)
    with pytest.raises(ConfigError, match="no such folder"):
        PysystemtradeSource(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="neither pysystemtrade's layout"):
        PysystemtradeSource(tmp_path)


def test_a_bad_price_names_file_line_and_field(tmp_path: Path, pst_folder: Path) -> None:
    import shutil

    folder = tmp_path / "pst"
    shutil.copytree(pst_folder, folder)
    path = folder / "adjusted_prices_csv" / "SYNTH_CRUDE.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].split(",")[0] + ",n/a"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"SYNTH_CRUDE.csv: line 4: field 'price' on 2023-01-04 23:00:00: 'n/a'"):
        PysystemtradeSource(folder).load(["SYNTH_CRUDE"])


# -- the daily layout -------------------------------------------------------------

def write_daily_layout(folder: Path) -> Path:
    """Hand-made daily files (made-up numbers): two instruments over four days."""
    folder.mkdir()
    (folder / "instruments.csv").write_text(
        "Instrument,Description,Pointsize,Currency,AssetClass,PerBlock,Percentage,PerTrade,Region,SpreadCost\n"
        "FAKE_OIL,Made-up oil,1000,USD,OilGas,2.5,0,0,US,0.01\n"
        "FAKE_DAX,Made-up index,25,EUR,Equity,1.0,0.0002,3,EMEA,\n")
    gz = lambda name, text: (folder / name).write_bytes(gzip.compress(text.encode()))  # noqa: E731
    gz("adjusted_prices.csv.gz", "DATE,FAKE_OIL,FAKE_DAX\n"
       "2024-01-02,-3.5,15000\n2024-01-03,-3.1,\n2024-01-04,-2.9,15100\n2024-01-05,-3.3,15050\n")
    gz("multiple_prices.csv.gz", "DATE,Instrument,PRICE,PRICE_CONTRACT,CARRY,CARRY_CONTRACT\n"
       "2024-01-02,FAKE_OIL,71.5,20240300,71.8,20240200\n2024-01-03,FAKE_OIL,71.9,20240300,,20240200\n"
       "2024-01-04,FAKE_OIL,72.6,20240400,72.9,20240300\n2024-01-05,FAKE_OIL,72.2,20240400,72.4,20240300\n"
       "2024-01-02,FAKE_DAX,15010,20240300,15000,20240600\n2024-01-04,FAKE_DAX,15110,20240300,15105,20240600\n"
       "2024-01-05,FAKE_DAX,15060,20240300,15050,20240600\n")
    gz("fx_prices.csv.gz", "DATE,EURUSD,GBPUSD\n2024-01-02,1.10,1.27\n2024-01-03,1.09,1.26\n"
       "2024-01-04,1.095,1.265\n2024-01-05,1.094,1.27\n")
    return folder


def test_daily_layout(tmp_path: Path) -> None:
    source = PysystemtradeSource(write_daily_layout(tmp_path / "daily"))
    assert source.layout == "daily" and source.symbols() == ["FAKE_DAX", "FAKE_OIL"]
    bars = source.load(["FAKE_OIL", "FAKE_DAX"], date(2024, 1, 3))
    np.testing.assert_array_equal(bars.close["FAKE_OIL"].to_numpy(), [-3.1, -2.9, -3.3])
    assert math.isnan(bars.close.loc["2024-01-03", "FAKE_DAX"])  # no price that day
    assert bars.contract.loc["2024-01-04", "FAKE_OIL"] == 20240400
    assert math.isnan(bars.carry_price.loc["2024-01-03", "FAKE_OIL"])
    assert bars.contract_price.loc["2024-01-05", "FAKE_DAX"] == 15060
    assert bars.fx.loc["2024-01-02", "EURUSD"] == 1.10  # FX keeps the day before start
    meta = source.metadata(["FAKE_OIL", "FAKE_DAX"])
    assert meta["FAKE_OIL"] == {"kind": "future", "multiplier": 1000.0, "currency": "USD", "asset_class": "OilGas",
                                "costs": {"commission_per_unit": 2.5, "commission_pct": 0.0, "commission_min": 0.0,
                                          "half_spread": 0.01}}
    assert "costs" not in meta["FAKE_DAX"]  # blank SpreadCost: no cost model from the data


def test_daily_layout_rejects_a_repeated_day(tmp_path: Path) -> None:
    folder = write_daily_layout(tmp_path / "daily")
    path = folder / "multiple_prices.csv.gz"
    text = gzip.decompress(path.read_bytes()).decode() + "2024-01-05,FAKE_OIL,72.3,20240400,72.5,20240300\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(DataError, match=r"line 9: instrument 'FAKE_OIL' on 2024-01-05 appears twice"):
        PysystemtradeSource(folder).load(["FAKE_OIL"])


def test_shared_daily_files_load(shared_futures: Path) -> None:
    bars = PysystemtradeSource(shared_futures).load(["US10", "CRUDE_W", "GILT"], None, date(2020, 12, 31))
    assert bars.close["US10"].min() < 0  # Panama-adjusted history goes negative
    assert bars.contract_price["US10"].dropna().min() > 0
    crude_days = bars.close.loc["2020-01-02":, "CRUDE_W"].dropna().index
    assert bars.contract_price["CRUDE_W"].reindex(crude_days).notna().all()
    assert "GBPUSD" in bars.fx.columns


def test_daily_layout_needs_multiple_prices_for_each_instrument(tmp_path: Path) -> None:
    folder = write_daily_layout(tmp_path / "daily")
    path = folder / "multiple_prices.csv.gz"
    text = "\n".join(line for line in gzip.decompress(path.read_bytes()).decode().splitlines()
                     if "FAKE_DAX" not in line) + "\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(DataError, match="instrument 'FAKE_DAX' has no rows in multiple_prices"):
        PysystemtradeSource(folder).load(["FAKE_OIL", "FAKE_DAX"])


def test_a_load_keeps_no_rows_but_an_import_reads_once(tmp_path: Path) -> None:
    """A replay loads once: the multiple-price rows go once its tables are built (they were held
    through the market's alignment). An import's ``read_all`` keeps them for its per-symbol loads."""
    folder = write_daily_layout(tmp_path / "daily")
    source = PysystemtradeSource(folder)
    first = source.load(["FAKE_OIL", "FAKE_DAX"])
    assert source._multiple == {}
    again = source.load(["FAKE_OIL", "FAKE_DAX"])
    for name, frame in first.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name], check_exact=True)
    importing = PysystemtradeSource(folder)
    importing.read_all(["FAKE_OIL", "FAKE_DAX"])
    (folder / "multiple_prices.csv.gz").unlink()  # read already: the loads below need no file
    pd.testing.assert_frame_equal(importing.load(["FAKE_OIL"]).contract, first.contract[["FAKE_OIL"]],
                                  check_exact=True)


def test_rows_in_any_order_across_chunks_give_the_same_bars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The multiple prices are read in chunks, each symbol's rows kept in pieces: a file whose rows
    are shuffled, read two rows at a time, gives exactly the bars of the file in order."""
    folder = write_daily_layout(tmp_path / "daily")
    expected = PysystemtradeSource(folder).load(["FAKE_OIL", "FAKE_DAX"])
    path = folder / "multiple_prices.csv.gz"
    header, *rows = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(gzip.compress("\n".join([header, *(rows[i] for i in (6, 2, 4, 0, 5, 3, 1))]).encode() + b"\n"))
    monkeypatch.setattr("tradesim.data.pysystemtrade._CHUNK_ROWS", 2)
    shuffled = PysystemtradeSource(folder).load(["FAKE_OIL", "FAKE_DAX"])
    for name, frame in expected.frames().items():
        pd.testing.assert_frame_equal(shuffled.frames()[name], frame, check_exact=True)


def test_the_first_repeat_in_the_file_is_named_whichever_chunk_holds_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_daily_layout(tmp_path / "daily")
    path = folder / "multiple_prices.csv.gz"
    text = gzip.decompress(path.read_bytes()).decode()
    # line 9 repeats FAKE_DAX's 2024-01-04 (line 7), line 10 FAKE_OIL's 2024-01-02 (line 2)
    text += "2024-01-04,FAKE_DAX,15111,20240300,15105,20240600\n2024-01-02,FAKE_OIL,71.6,20240300,71.8,20240200\n"
    path.write_bytes(gzip.compress(text.encode()))
    monkeypatch.setattr("tradesim.data.pysystemtrade._CHUNK_ROWS", 3)
    with pytest.raises(DataError, match=r"line 9: instrument 'FAKE_DAX' on 2024-01-04 appears twice"):
        PysystemtradeSource(folder).load(["FAKE_OIL", "FAKE_DAX"])
