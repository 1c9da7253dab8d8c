"""``--set KEY=VALUE``: one field changed from the command line, validated like the file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import open_engine
from tradesim.config import load_config
from tradesim.errors import ConfigError
from tradesim.overrides import apply_sets, parse_value

RAW = {"name": "p", "capital": 1000, "strategy": {"name": "fixed_weights", "params": {"weights": {"A": 0.5}}},
       "instruments": [{"symbol": "A"}, {"symbol": "B", "multiplier": 5}]}
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))

CONFIG = """
name = "set-fixture"
capital = 100000
start = "2022-06-01"
end = "2022-07-29"
[strategy]
name = "buy_and_hold_risk_parity"
[optimiser]
method = "dynamic"
start = "rounded"
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
"""


@pytest.mark.parametrize(("value", "parsed"), [
    ("25", 25), ("0.15", 0.15), ("1e6", 1e6), ("true", True), ('"x"', "x"), ("[1, 2]", [1, 2]),
    ("2020-01-02", date(2020, 1, 2)), ("{ a = 1 }", {"a": 1}),
    ("weekly", "weekly"), ("momentum.py:Momentum", "momentum.py:Momentum"), ("my portfolio", "my portfolio"),
    ("15%", "15%"), ("", ""), ("1\nother = 2", "1\nother = 2"),
])
def test_values_are_toml_and_anything_else_a_string(value: str, parsed: object) -> None:
    assert parse_value(value) == parsed


def test_sets_write_nested_fields_and_leave_the_input_alone() -> None:
    out = apply_sets(RAW, ["optimiser.cost_multiplier=25", "risk_target=0.15", "strategy.params.weights.B=0.25",
                           "instruments.1.multiplier=50", "instruments.A.currency=EUR", "capital = 2e6"], "p.toml")
    assert out["optimiser"] == {"cost_multiplier": 25}
    assert out["risk_target"] == 0.15 and out["capital"] == 2e6
    assert out["strategy"]["params"]["weights"] == {"A": 0.5, "B": 0.25}
    assert out["instruments"] == [{"symbol": "A", "currency": "EUR"}, {"symbol": "B", "multiplier": 50}]
    assert RAW["instruments"][1] == {"symbol": "B", "multiplier": 5} and "optimiser" not in RAW
    assert apply_sets(RAW, ["risk_target=0.1", "risk_target=0.3"], "p.toml")["risk_target"] == 0.3


@pytest.mark.parametrize(("assignment", "message"), [
    ("optimiser.cost_multipler=25", "p.toml: --set optimiser.cost_multipler=25: field 'optimiser.cost_multipler': no such field"),
    ("risk_target=1.5", "p.toml: --set risk_target=1.5: field 'risk_target': Input should be less than or equal to 1"),
    ("optimiser.method=magic", "p.toml: --set optimiser.method=magic: field 'optimiser.method': Input should be 'dynamic', 'greedy', 'round', 'buffered' or 'none'"),
    ("colour=blue", "p.toml: --set colour=blue: field 'colour': no such field"),
    ("capital.amount=5", "--set capital.amount=5: 'capital' is a value, not a table"),
    ("instruments.7.multiplier=5", "--set instruments.7.multiplier=5: 'instruments' has 2 entries, no entry 7"),
    ("instruments.ES.multiplier=5", "--set instruments.ES.multiplier=5: 'instruments' has no entry with symbol 'ES'"),
    ("instruments.1.symbol=A", "p.toml: --set instruments.1.symbol=A: field 'instruments': instrument 'A' is listed twice"),
    ("risk_target", "--set risk_target: expected KEY=VALUE with a dotted KEY"),
    ("optimiser..method=round", "--set optimiser..method=round: expected KEY=VALUE with a dotted KEY"),
])
def test_a_bad_key_or_value_is_one_line_naming_the_set(assignment: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        apply_sets(RAW, ["risk_target=0.1", assignment], "p.toml")
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_the_files_own_mistakes_are_left_to_the_file() -> None:
    raw = {**RAW, "colour": "blue"}
    assert apply_sets(raw, ["risk_target=0.1"], "p.toml")["colour"] == "blue"
    with pytest.raises(ConfigError, match=r"^p.toml: field 'colour'"):
        load_config_from(raw, ["risk_target=0.1"])


def load_config_from(raw: dict, sets: list[str]):  # noqa: ANN201
    from tradesim.config import parse_config

    return parse_config(raw, "p.toml", sets=sets)


def test_load_config_applies_sets_before_validation(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(CONFIG)
    config = load_config(path, sets=["optimiser.cost_multiplier=25", "risk_target=0.15", "fills.timing=next_close"],
                         capital=5e5)
    assert (config.optimiser.cost_multiplier, config.risk_target, config.fills.timing, config.capital) == (
        25, 0.15, "next_close", 5e5)
    with pytest.raises(ConfigError) as err:
        load_config(path, sets=["strategy.params.idm_cap=0.5"])
    assert str(err.value) == (f"{path}: --set strategy.params.idm_cap=0.5: field 'strategy.params': "
                              "buy_and_hold_risk_parity: idm_cap must be at least 1, got 0.5")
    with pytest.raises(ConfigError, match=r"--set strategy.name=moon_shot: field 'strategy.name': unknown strategy"):
        load_config(path, sets=["strategy.name=moon_shot"])


def test_replay_stores_the_config_it_used(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(CONFIG)
    db = tmp_path / "ledger.db"
    result = subprocess.run([TRADESIM, "replay", str(path), "--db", str(db), "--set", "optimiser.cost_multiplier=25",
                             "--set", "risk_target=0.15"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    engine = open_engine(f"sqlite:///{db}", create=False)
    with engine.connect() as conn:
        stored = json.loads(conn.execute(text("SELECT config FROM runs")).scalar_one())
    engine.dispose()
    assert stored["optimiser"]["cost_multiplier"] == 25 and stored["risk_target"] == 0.15


@pytest.mark.parametrize("command", [["replay"], ["compare"], ["paper", "run"], ["paper", "schedule"]])
def test_every_command_that_takes_a_config_takes_set(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "p.toml"
    path.write_text(CONFIG)
    result = subprocess.run([TRADESIM, *command, str(path), "--db", str(tmp_path / "x.db"),
                             "--set", "optimiser.cost_multipler=25"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        f"{path}: --set optimiser.cost_multipler=25: field 'optimiser.cost_multipler': no such field")
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.db").exists()
