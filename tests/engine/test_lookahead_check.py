"""``tradesim check lookahead``: every bundled strategy passes; a strategy that peeks is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from strategies import known_strategies
from tradesim.config import load_config
from tradesim.lookahead import check_lookahead, cut_days, with_future_replaced
from tradesim.replay import first_trading_index, load_market

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "strategies" / "configs"
PST = ROOT / "tests" / "fixtures" / "pysystemtrade"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))
SHORT = ["start=2019-06-03", "end=2019-12-31"]

SMALL = """
name = "lookahead-{name}"
capital = 1000000
[strategy]
name = "{name}"
params = {params}
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
[[instruments]]
symbol = "XOM"
"""

TREND_CARRY = f"""
name = "lookahead-trend-carry"
capital = 1000000
[data]
source = "pysystemtrade"
path = "{PST}"
[strategy]
name = "trend_carry"
params = {{ fdm_min_observations = 20 }}
[[instruments]]
symbol = "SYNTH_BUND"
[[instruments]]
symbol = "SYNTH_CRUDE"
"""

# Two ways to cheat: trade on tomorrow's return, and scale by the whole sample's peak.
PEEK = '''
import numpy as np


class Tomorrow:
    def prepare(self, ctx):
        close = ctx.market.close
        ahead = np.zeros_like(close)
        ahead[:-1] = np.sign(close[1:] - close[:-1])
        self.w = 0.2 * ahead

    def target_weights(self, t, account):
        return self.w[t]


class PeakScaled:
    def prepare(self, ctx):
        close = ctx.market.close
        self.w = 0.3 * close / np.nanmax(close, axis=0)

    def target_weights(self, t, account):
        return self.w[t]
'''


def small(tmp_path: Path, name: str, params: str = "{}") -> Path:
    path = tmp_path / f"{name.replace(':', '_').replace('.', '_')}.toml"
    path.write_text(SMALL.format(name=name, params=params))
    return path


NAMES = ["buy_and_hold_risk_parity", "fixed_weights", "weights", "trend_carry", "strategic", "tactical", "cppi",
         "risk_parity", "beta_profile", "momentum example"]


def configs(tmp_path: Path) -> dict[str, tuple[Path, list[str]]]:
    (tmp_path / "w.csv").write_text("date,AAPL,KO,XOM\n2019-01-02,0.3,0.3,0.3\n2019-09-03,0.5,0,-0.2\n")
    (tmp_path / "tc.toml").write_text(TREND_CARRY)
    return {
        "buy_and_hold_risk_parity": (small(tmp_path, "buy_and_hold_risk_parity"), SHORT),
        "fixed_weights": (small(tmp_path, "fixed_weights", "{ weights = { AAPL = 0.5, XOM = -0.2 } }"), SHORT),
        "weights": (small(tmp_path, "weights", '{ path = "w.csv" }'), SHORT),
        "trend_carry": (tmp_path / "tc.toml", []),
        "strategic": (CONFIGS / "allocation_strategic.toml", SHORT),
        "tactical": (CONFIGS / "allocation_tactical.toml", SHORT),
        "cppi": (CONFIGS / "allocation_cppi.toml", SHORT),
        "risk_parity": (CONFIGS / "allocation_risk_parity_erc.toml", SHORT),
        "beta_profile": (CONFIGS / "allocation_beta_profile.toml", ["start=2019-01-02", "end=2019-12-31"]),
        "momentum example": (ROOT / "docs" / "examples" / "momentum.toml", SHORT),
    }


def test_every_bundled_strategy_is_checked(tmp_path: Path) -> None:
    assert set(known_strategies()) <= set(configs(tmp_path)) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_no_bundled_strategy_looks_ahead(tmp_path: Path, name: str) -> None:
    path, sets = configs(tmp_path)[name]
    config = load_config(path, sets=sets)
    market = load_market(config)
    report = check_lookahead(config, market, first_trading_index(market, config.start), count=3)
    assert len(report.cuts) == 3 and report.days_checked > 20
    assert report.leaks == []
    assert report.notes == ([] if name != "beta_profile" else report.notes)  # made-up betas may be infeasible


def test_a_strategy_that_peeks_is_caught(tmp_path: Path) -> None:
    (tmp_path / "peek.py").write_text(PEEK)
    for cheat in ("Tomorrow", "PeakScaled"):
        path = small(tmp_path, f"peek.py:{cheat}")
        result = subprocess.run([TRADESIM, "check", "lookahead", str(path), "--days", "3", *sum((["--set", s] for s in SHORT), [])],
                                capture_output=True, text=True, timeout=300, env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)})
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.startswith("error: look-ahead found after 3 of 3 cut days: ")
        assert "│ 2019-06-03 │ removed  │" in result.stdout
    config = load_config(small(tmp_path, "peek.py:Tomorrow"), sets=SHORT)
    market = load_market(config)
    first = first_trading_index(market, config.start)
    report = check_lookahead(config, market, first, count=3)
    # Tomorrow's weight on the cut day itself is the first to know the future; without it, no view.
    removed = [leak for leak in report.leaks if leak.future == "removed"]
    assert [leak.day for leak in removed] == report.cuts
    assert all(leak.weight_without == 0.0 and abs(leak.weight) == 0.2 for leak in removed)


def test_a_clean_strategy_passes_on_the_command_line(tmp_path: Path) -> None:
    result = subprocess.run([TRADESIM, "check", "lookahead", str(ROOT / "docs" / "examples" / "momentum.toml"),
                             "--days", "2", *sum((["--set", s] for s in SHORT), [])],
                            capture_output=True, text=True, timeout=300,
                            env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no look-ahead: " in result.stdout and "2 cut days from 2019-06-03 to 2019-12-30" in result.stdout


def test_the_replaced_future_keeps_the_past_and_the_gaps(tmp_path: Path) -> None:
    config = load_config(small(tmp_path, "fixed_weights", "{ weights = { AAPL = 1 } }"), sets=SHORT)
    market = load_market(config)
    t = market.n_days // 2
    other = with_future_replaced(market, t, seed=1)
    assert np.array_equal(other.close[:t + 1], market.close[:t + 1])
    assert not np.allclose(other.close[t + 1:], market.close[t + 1:])
    assert np.array_equal(np.isnan(other.close), np.isnan(market.close))
    assert np.array_equal(np.sign(other.close), np.sign(market.close), equal_nan=True)
    assert cut_days(10, 20, 3) == [10, 14, 18] and cut_days(10, 12, 3) == [10] and cut_days(10, 11, 3) == []
