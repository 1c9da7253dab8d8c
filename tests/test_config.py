"""A wrong config field is one line naming the field and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradesim.cli import main
from tradesim.config import load_config
from tradesim.errors import ConfigError, DataError
from tradesim.replay import load_market

DEFAULT = (Path(__file__).parent.parent / "tradesim" / "defaults" / "default.toml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "portfolio.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("capital = 1_000_000", "capital = -5", "field 'capital': Input should be greater than 0"),
        ("risk_target = 0.20", "risk_target = 1.5", "field 'risk_target': Input should be less than or equal to 1"),
        ("risk_target = 0.20", "risk_target = 0", "field 'risk_target': Input should be greater than 0"),
        ('name = "buy_and_hold_risk_parity"', 'name = "moon_shot"', "field 'strategy.name': unknown strategy 'moon_shot'"),
        ('method = "dynamic"', 'method = "magic"', "field 'optimiser.method'"),
        ('timing = "next"', 'timing = "yesterday"', "field 'fills.timing'"),
        ('base_currency = "USD"', 'base_currency = "dollars"', "field 'base_currency'"),
        ("commission_min = 1.0", "commission_min = -1.0", "field 'costs.commission_min'"),
        ('symbol = "AAPL"', 'symbol = "AAPL"\nmultiplier = 0', "field 'instruments.0.multiplier'"),
        ('symbol = "AMD"', 'symbol = "AAPL"', "instrument 'AAPL' is listed twice"),
        ('name = "buy_and_hold_risk_parity"', 'name = "buy_and_hold_risk_parity"\nparams = { idm_cap = 0.5 }',
         "field 'strategy.params': buy_and_hold_risk_parity: idm_cap must be at least 1"),
        ("capital = 1_000_000", "capital = 1_000_000\ncolour = 'blue'", "field 'colour': Extra inputs are not permitted"),
    ],
)
def test_bad_field_names_field_and_file(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in DEFAULT
    path = write(tmp_path, DEFAULT.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert text.startswith(str(path))
    assert message in text
    assert "\n" not in text


def test_unknown_instrument_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, DEFAULT.replace('symbol = "AMD"', 'symbol = "ZZZZ"'))
    with pytest.raises(DataError, match="unknown instrument 'ZZZZ'"):
        load_market(load_config(path))


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "name = "))


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, DEFAULT.replace("capital = 1_000_000", "capital = -5"))
    db = tmp_path / "ledger.db"
    assert main(["replay", str(path), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "field 'capital'" in err and "Traceback" not in err
    assert not db.exists(), "a rejected config must not create a ledger"
    assert main(["replay", "--start", "1990-13-01", "--db", str(db)]) == 2
    assert "--start: '1990-13-01' is not a date" in capsys.readouterr().err


def test_bad_price_file_names_file_line_and_instrument(tmp_path: Path) -> None:
    prices = tmp_path / "p.csv"
    prices.write_text("Date,AAA\n2024-01-02,100\n2024-01-03,abc\n")
    cfg = write(tmp_path, '''name = "x"
capital = 1000
[data]
source = "csv"
path = "p.csv"
[strategy]
name = "fixed_weights"
params = { weights = { AAA = 1.0 } }
[[instruments]]
symbol = "AAA"
''')
    with pytest.raises(DataError, match=r"p.csv: instrument 'AAA' on 2024-01-03: price 'abc' is not a number"):
        load_market(load_config(cfg))
    prices.write_text("Date,AAA\n2024-01-02,100\n2024-01-03,-4\n")
    with pytest.raises(DataError, match=r"instrument 'AAA' on 2024-01-03: non-positive price -4.0"):
        load_market(load_config(cfg))


@pytest.mark.parametrize(
    ("settings", "search"),
    [
        ({}, "dynamic"),
        ({"method": "greedy"}, "greedy"),
        ({"method": "greedy", "polish": True}, "greedy+polish"),
        ({"method": "greedy", "start": "rounded"}, "rounded+polish"),
        # configs written before the "dynamic" search: polish/start given run what they ran then
        ({"method": "dynamic", "polish": False}, "greedy"),
        ({"method": "dynamic", "polish": False, "start": "zero"}, "greedy"),
        ({"method": "dynamic", "polish": True}, "greedy+polish"),
        ({"method": "dynamic", "start": "rounded"}, "rounded+polish"),
        ({"method": "round", "polish": True}, "round"),
        ({"method": "buffered"}, "buffered"),
    ],
)
def test_optimiser_settings_choose_the_search(settings, search):
    from tradesim.config import OptimiserConfig

    assert OptimiserConfig(**settings).search == search
