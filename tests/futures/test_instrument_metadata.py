"""A config names futures by symbol; the rest comes from the user's instrument table.

Fields given explicitly in the config win. Uses the SYNTHETIC fixture in
tests/fixtures/pysystemtrade (SYNTH_BUND: 100 EUR a point, Bond, PerBlock 2, SpreadCost 0.01;
SYNTH_CRUDE: 10 USD a point, OilGas, PerBlock 1.5, Percentage 0.0001, PerTrade 5, SpreadCost 0.02).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tradesim.config import CostModel, load_config
from tradesim.errors import ConfigError

HEAD = """name = "metadata-test"
capital = 100000
[strategy]
name = "fixed_weights"
[strategy.params.weights]
{first} = 0.1
"""


def write_config(tmp_path: Path, data: str, instruments: str, first: str = "SYNTH_BUND") -> Path:
    path = tmp_path / "portfolio.toml"
    path.write_text(HEAD.format(first=first) + data + instruments)
    return path


def pst_data(folder: Path) -> str:
    return f'[data]\nsource = "pysystemtrade"\npath = "{folder}"\n'


def test_symbols_only_take_everything_from_the_table(tmp_path: Path, pst_folder: Path) -> None:
    cfg = load_config(write_config(tmp_path, pst_data(pst_folder),
                                   '[[instruments]]\nsymbol = "SYNTH_BUND"\n[[instruments]]\nsymbol = "SYNTH_CRUDE"\n'))
    bund, crude = cfg.instruments
    assert (bund.multiplier, bund.currency, bund.asset_class, bund.kind) == (100.0, "EUR", "Bond", "future")
    assert bund.costs == CostModel(commission_per_unit=2.0, half_spread=0.01)
    assert (crude.multiplier, crude.currency, crude.asset_class) == (10.0, "USD", "OilGas")
    assert crude.costs == CostModel(commission_per_unit=1.5, commission_pct=0.0001, commission_min=5.0,
                                    half_spread=0.02)
    # The merged values are part of the run's recorded config and its hash.
    assert '"multiplier":100.0' in cfg.canonical_json()


def test_explicit_fields_win(tmp_path: Path, pst_folder: Path) -> None:
    cfg = load_config(write_config(tmp_path, pst_data(pst_folder),
                                   '[[instruments]]\nsymbol = "SYNTH_BUND"\nasset_class = "Rates"\n'
                                   '[instruments.costs]\nhalf_spread = 0.05\n'))
    bund = cfg.instruments[0]
    assert bund.asset_class == "Rates" and bund.multiplier == 100.0 and bund.currency == "EUR"
    assert bund.costs == CostModel(half_spread=0.05)  # the config's cost model replaces the table's whole


def test_the_data_path_is_relative_to_the_config_file(tmp_path: Path, pst_folder: Path) -> None:
    import os

    relative = os.path.relpath(pst_folder, tmp_path)
    cfg = load_config(write_config(tmp_path, f'[data]\nsource = "pysystemtrade"\npath = "{relative}"\n',
                                   '[[instruments]]\nsymbol = "SYNTH_BUND"\n'))
    assert cfg.instruments[0].multiplier == 100.0


def test_unknown_symbol_names_instrument_and_table(tmp_path: Path, pst_folder: Path) -> None:
    path = write_config(tmp_path, pst_data(pst_folder),
                        '[[instruments]]\nsymbol = "SYNTH_BUND"\n[[instruments]]\nsymbol = "SYNTH_GOLD"\n')
    with pytest.raises(ConfigError, match=r"portfolio.toml: field 'instruments.1.symbol': instrument 'SYNTH_GOLD' "
                                          r"is not in .*instrumentconfig.csv"):
        load_config(path)


def test_a_blank_spread_cost_must_be_given_in_the_config(tmp_path: Path, pst_folder: Path) -> None:
    import shutil

    folder = tmp_path / "pst"
    shutil.copytree(pst_folder, folder)
    (folder / "csvconfig" / "spreadcosts.csv").write_text("Instrument,SpreadCost\nSYNTH_CRUDE,0.02\n")
    path = write_config(tmp_path, pst_data(folder), '[[instruments]]\nsymbol = "SYNTH_BUND"\n')
    with pytest.raises(ConfigError, match=r"field 'instruments.0': .* has no costs for instrument 'SYNTH_BUND'"):
        load_config(path)
    path = write_config(tmp_path, pst_data(folder),
                        '[[instruments]]\nsymbol = "SYNTH_BUND"\n[instruments.costs]\ncommission_per_unit = 2\n')
    assert load_config(path).instruments[0].costs == CostModel(commission_per_unit=2.0)


def test_instrument_table_serves_any_source(tmp_path: Path, pst_folder: Path) -> None:
    """A csv source with its metadata from the user's instrumentconfig.csv."""
    (tmp_path / "closes.csv").write_text("Date,SYNTH_CRUDE\n2024-01-02,-3.0\n")
    data = (f'[data]\nsource = "csv"\npath = "closes.csv"\n'
            f'instrument_table = "{pst_folder / "csvconfig" / "instrumentconfig.csv"}"\n')
    cfg = load_config(write_config(tmp_path, data, '[[instruments]]\nsymbol = "SYNTH_CRUDE"\n', "SYNTH_CRUDE"))
    crude = cfg.instruments[0]
    assert crude.kind == "future" and crude.multiplier == 10.0 and crude.costs.half_spread == 0.02


def test_sources_without_a_table_keep_the_config_defaults(tmp_path: Path) -> None:
    (tmp_path / "closes.csv").write_text("Date,AAA\n2024-01-02,10\n")
    cfg = load_config(write_config(tmp_path, '[data]\nsource = "csv"\npath = "closes.csv"\n',
                                   '[[instruments]]\nsymbol = "AAA"\n', "AAA"))
    assert cfg.instruments[0].kind == "stock" and cfg.instruments[0].multiplier == 1.0
