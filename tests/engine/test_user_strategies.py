"""A user's strategy, from a file, a module or an installed entry point, is treated as a built-in."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import open_engine
from strategies import ENTRY_POINT_GROUP, known_strategies
from tradesim.config import load_config
from tradesim.errors import ConfigError, StrategyError
from tradesim.replay import replay

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))

CONFIG = """
name = "{portfolio}"
capital = 100000
start = "{start}"
end = "2021-03-31"
[strategy]
name = "{name}"
params = {params}
[optimiser]
method = "round"
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
"""

# The built-in fixed_weights, written as a user would: the same ledger is expected.
MY_WEIGHTS = '''
import numpy as np


class MyWeights:
    def __init__(self, weights: dict[str, float]) -> None:
        self.by_symbol = weights

    def prepare(self, ctx) -> None:
        row = np.array([self.by_symbol.get(s, 0.0) for s in ctx.market.symbols])
        self.row = row

    def target_weights(self, t, account):
        return self.row
'''


def write_config(folder: Path, name: str, params: str = "{}", *, portfolio: str = "user-strategy",
                 start: str = "2021-01-04") -> Path:
    """Two bundled stocks, rounded, to 2021-03-31, running strategy ``name`` with ``params``."""
    path = folder / "portfolio.toml"
    path.write_text(CONFIG.format(name=name, params=params, portfolio=portfolio, start=start))
    return path


def ledger_rows(url: str, run_id: int) -> list[tuple]:
    engine = open_engine(url, create=False)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT day, instrument_id, quantity, price, commission FROM fills "
                                 "WHERE run_id = :r ORDER BY day, instrument_id"), {"r": run_id}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_strategy_file_trades_exactly_as_the_built_in_it_copies(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "my_weights.py").write_text(MY_WEIGHTS)
    weights = '{ weights = { AAPL = 0.6, KO = 0.3 } }'
    mine = load_config(write_config(tmp_path, "elsewhere/my_weights.py:MyWeights", weights))
    assert mine.strategy.name == f"{tmp_path / 'elsewhere' / 'my_weights.py'}:MyWeights"  # stored absolute
    ours = load_config(write_config(tmp_path, "fixed_weights", weights))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    a, b = replay(mine, url), replay(ours, url)
    assert a.summary.trades > 0
    assert ledger_rows(url, a.run_id) == ledger_rows(url, b.run_id)
    assert a.nav.tolist() == b.nav.tolist()


def test_a_module_strategy_and_its_params(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rules.py").write_text(MY_WEIGHTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = load_config(write_config(tmp_path, "mypkg.rules:MyWeights", '{ weights = { AAPL = 1 } }'))
    assert config.strategy.name == "mypkg.rules:MyWeights"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, "mypkg.rules:MyWeights", '{ weights = { AAPL = "lots" } }'))
    assert str(err.value) == (f"{tmp_path / 'portfolio.toml'}: field 'strategy.params.weights.AAPL': "
                              "mypkg.rules:MyWeights: Input should be a valid number, unable to parse string as a number")
    with pytest.raises(ConfigError, match=r"field 'strategy.params.weight': mypkg.rules:MyWeights: unknown parameter "
                                          r"\(parameters: weights\)"):
        load_config(write_config(tmp_path, "mypkg.rules:MyWeights", '{ weight = 1 }'))
    with pytest.raises(ConfigError, match=r"field 'strategy.params.weights': mypkg.rules:MyWeights: required parameter"):
        load_config(write_config(tmp_path, "mypkg.rules:MyWeights"))


@pytest.mark.parametrize(("source", "name", "message"), [
    (None, "gone.py:Rule", "field 'strategy.name': {tmp}/gone.py:Rule: no such file '{tmp}/gone.py'"),
    ("x = 1\n", "rule.py:Rule", "field 'strategy.name': {tmp}/rule.py:Rule: {tmp}/rule.py has no class 'Rule'"),
    ("Rule = 3\n", "rule.py:Rule", "field 'strategy.name': {tmp}/rule.py:Rule: 'Rule' is a int, not a class"),
    ("class Rule:\n    def prepare(self, ctx): pass\n", "rule.py:Rule",
     "field 'strategy.name': {tmp}/rule.py:Rule: class Rule is not a strategy: it has no target_weights() method"),
    ("class Rule:\n    def prepare(self, ctx) pass\n", "rule.py:Rule",
     "field 'strategy.name': {tmp}/rule.py:Rule: importing {tmp}/rule.py failed: SyntaxError: expected ':' ({tmp}/rule.py, line 2)"),
    ("import numpy\n\nraise RuntimeError('no licence')\n", "rule.py:Rule",
     "field 'strategy.name': {tmp}/rule.py:Rule: importing {tmp}/rule.py failed: RuntimeError: no licence ({tmp}/rule.py, line 3)"),
    (None, "no_such_module_xyz:Rule", "field 'strategy.name': no_such_module_xyz:Rule: no module named 'no_such_module_xyz'"),
    (None, "moon_shot", "field 'strategy.name': unknown strategy 'moon_shot'"),
])
def test_a_bad_class_is_one_line_naming_file_and_class(tmp_path: Path, source: str | None, name: str,
                                                        message: str) -> None:
    if source is not None:
        (tmp_path / "rule.py").write_text(source)
    path = write_config(tmp_path, name)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: " + message.format(tmp=tmp_path))
    assert "\n" not in str(err.value)


FAILING = '''
import numpy as np


class Rule:
    def prepare(self, ctx) -> None:
        self.n = ctx.market.n_instruments
        if {fail_in_prepare}:
            scale = {{}}["missing"]

    def target_weights(self, t, account):
        return np.zeros(self.n + 1)
'''


def test_a_strategys_own_exceptions_are_its_own_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "rule.py").write_text(FAILING.format(fail_in_prepare=True))
    path = write_config(tmp_path, "rule.py:Rule")
    result = subprocess.run([TRADESIM, "replay", str(path), "--db", str(tmp_path / "l.db")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: strategy {tmp_path / 'rule.py'}:Rule: prepare failed: KeyError: "
                                     f"'missing' ({tmp_path / 'rule.py'}, line 9)")
    (tmp_path / "rule.py").write_text(FAILING.format(fail_in_prepare=False))
    with pytest.raises(StrategyError, match=r"target_weights returned shape \(3,\) on 2021-01-04, expected \(2,\)"):
        replay(load_config(path), None)


def test_an_installed_entry_point_appears_under_its_short_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_rules.py").write_text(MY_WEIGHTS)
    info = site / "acme_rules-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme_weights = acme_rules:MyWeights\n"
                                           "acme_broken = acme_gone:Rule\n")
    env = {"PYTHONPATH": str(site), "COLUMNS": "200", "PATH": str(Path(sys.executable).parent)}
    listing = subprocess.run([TRADESIM, "strategies"], capture_output=True, text=True, timeout=120, env=env)
    assert listing.returncode == 0, listing.stderr
    line = next(ln for ln in listing.stdout.splitlines() if "acme_weights" in ln)
    assert "entry point (acme-rules)" in line and "weights: dict[str, float] (required)" in line
    broken = next(ln for ln in listing.stdout.splitlines() if "acme_broken" in ln)
    assert "(cannot load)" in broken and "no module named 'acme_gone'" in broken
    path = write_config(tmp_path, "acme_weights", '{ weights = { AAPL = 0.5, KO = 0.5 } }')
    run = subprocess.run([TRADESIM, "replay", str(path), "--db", str(tmp_path / "l.db")],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr
    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}", create=False)
    with engine.connect() as conn:
        stored = json.loads(conn.execute(text("SELECT config FROM runs")).scalar_one())
        fills = conn.execute(text("SELECT count(*) FROM fills")).scalar_one()
    engine.dispose()
    assert stored["strategy"]["name"] == "acme_weights" and fills > 0
    assert "acme_weights" not in known_strategies()  # this process has no such package installed


def test_tradesim_strategies_lists_every_built_in_with_defaults() -> None:
    listing = subprocess.run([TRADESIM, "strategies"], capture_output=True, text=True, timeout=120,
                             env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)})
    assert listing.returncode == 0
    for name in known_strategies():
        assert f"│ {name} " in listing.stdout
    assert "idm_cap: float = 2.5" in listing.stdout and "method: Literal['erc', 'inverse_vol'] = 'erc'" in listing.stdout
    one = subprocess.run([TRADESIM, "strategies", str(EXAMPLES / "momentum.py") + ":Momentum"], capture_output=True,
                         text=True, timeout=120, env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)})
    assert "lookback: int = 120" in one.stdout and "max_weight: float = 0.25" in one.stdout


def test_the_readme_shows_the_example_strategy_and_config_as_they_are() -> None:
    readme = (ROOT / "README.md").read_text()
    assert (EXAMPLES / "momentum.py").read_text().rstrip() in readme
    assert (EXAMPLES / "momentum.toml").read_text().rstrip() in readme
