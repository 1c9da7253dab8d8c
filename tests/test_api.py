"""``tradesim.backtest`` and ``tradesim.compare``: the CLI's engine and ledger, from pandas."""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tradesim
from db import queries
from tradesim.config import load_config
from tradesim.data.bundled import BundledSource
from tradesim.errors import ConfigError
from tradesim.replay import replay

ROOT = Path(__file__).resolve().parents[1]
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))

CONFIG = """
name = "api-twin"
capital = 250000
risk_target = 0.15
start = "2019-01-02"
end = "2019-12-31"
[strategy]
name = "weights"
params = { path = "w.csv" }
[optimiser]
method = "dynamic"
start = "rounded"
[trigger]
kind = "calendar"
cron = "0 16 * * fri"
snap = "previous"
[costs]
commission_pct = 0.0005
commission_min = 1.0
half_spread_bps = 5.0
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
[[instruments]]
symbol = "XOM"
"""
WEIGHTS = pd.DataFrame({"AAPL": [0.4, 0.2], "KO": [0.3, 0.5], "XOM": [0.2, -0.1]},
                       index=pd.to_datetime(["2018-12-31", "2019-06-28"]))


@pytest.fixture(scope="module")
def closes() -> pd.DataFrame:
    return BundledSource("sp500").load(["AAPL", "KO", "XOM"]).close


def test_backtest_is_the_cli_replay(tmp_path: Path, closes: pd.DataFrame) -> None:
    """The same weights, from a CSV through the config and the console script, and from a DataFrame."""
    WEIGHTS.rename_axis("date").to_csv(tmp_path / "w.csv")
    (tmp_path / "p.toml").write_text(CONFIG)
    db = tmp_path / "cli.db"
    run = subprocess.run([TRADESIM, "replay", str(tmp_path / "p.toml"), "--db", str(db)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    cli = queries.equity(f"sqlite:///{db}", run=1)
    warm = load_config(tmp_path / "p.toml")  # the replay loads two years before start to warm up estimates
    prices = closes.loc[pd.Timestamp("2017-01-02"):pd.Timestamp("2019-12-31")]
    assert warm.start.isoformat() == "2019-01-02"
    result = tradesim.backtest(prices, weights=WEIGHTS, capital=250_000, risk_target=0.15, rebalance="weekly",
                               start="2019-01-02")
    assert result.equity.index[0] == pd.Timestamp("2019-01-02") and len(result.equity) == len(cli) == 252
    np.testing.assert_array_equal(result.equity["nav"].to_numpy(), cli["nav"].to_numpy())
    assert result.summary["trades"] == len(queries.trades(f"sqlite:///{db}", run=1)) == len(result.trades)
    assert result.url == "sqlite:// (in memory)"


def test_the_guides_metrics_on_a_hand_computed_fixture() -> None:
    """One stock at 100 for 4 days, then 50. Capital 10,000 at weight 0.5 and no costs: 50 shares
    bought at the first close (filled at the next close), NAV 10,000 - 50 x 50 = 7,500 after the
    drop, so the target becomes 0.5 x 7,500 / 50 = 75 shares: 25 more, filled a day later."""
    days = pd.bdate_range("2021-01-04", periods=8)
    prices = pd.DataFrame({"A": [100.0] * 4 + [50.0] * 4}, index=days)
    weights = pd.DataFrame({"A": [0.5]}, index=days[:1])
    result = tradesim.backtest(prices, weights=weights, capital=10_000, optimiser="round", costs={})
    assert result.trades["quantity"].tolist() == [50.0, 25.0]
    assert result.trades.index.tolist() == [days[1], days[5]]
    assert result.positions["A"].tolist() == [0, 50, 50, 50, 50, 75, 75, 75]
    s = result.summary
    assert (s["total_turnover"], s["days"]) == (75.0, 8)
    assert s["avg_daily_turnover"] == 75.0 / 8 and s["annual_turnover"] == 75.0 / 8 * 256
    assert s["annual_notional_turnover"] == pytest.approx((50 * 100 + 25 * 50) / np.mean(result.equity["nav"]) / (8 / 256))
    assert s["end_nav"] == 7_500.0 and s["annualized_return"] == pytest.approx(0.75 ** (256 / 8) - 1)
    assert s["avg_tracking_error"] == 0.0  # whole shares hit the fractional target exactly here
    for name in ("annualized_return", "avg_tracking_error", "avg_adjustment_factor", "total_turnover",
                 "avg_daily_turnover", "annual_turnover"):
        assert name in s
    # The Sharpe ratio with the rate it is over beside it: returns 0, 0, 0, 0, -25%, 0, 0, 0.
    r = np.array([0.0] * 4 + [-0.25] + [0.0] * 3)
    over = tradesim.backtest(prices, weights=weights, capital=10_000, optimiser="round", costs={},
                             sets=["risk_free=0.04"]).summary
    assert s["risk_free"] == 0.0 and s["sharpe_ratio"] == pytest.approx(r.mean() / r.std(ddof=1) * 16, rel=1e-12)
    assert over["risk_free"] == pytest.approx(0.04)
    assert over["sharpe_ratio"] == pytest.approx((r.mean() - 0.04 / 256) / r.std(ddof=1) * 16, rel=1e-12)


def test_a_strategy_by_name_or_instance_runs_as_the_weights_do(closes: pd.DataFrame) -> None:
    from strategies.fixed_weights import FixedWeights

    prices = closes.loc["2018":"2019"]
    constant = pd.DataFrame({"AAPL": [0.5], "KO": [0.3], "XOM": [0.0]}, index=prices.index[:1])
    by_weights = tradesim.backtest(prices, weights=constant, rebalance="monthly")
    by_name = tradesim.backtest(prices, strategy="fixed_weights", params={"weights": {"AAPL": 0.5, "KO": 0.3}},
                                rebalance="monthly")
    by_instance = tradesim.backtest(prices, strategy=FixedWeights({"AAPL": 0.5, "KO": 0.3}), rebalance="monthly")
    nav = by_weights.equity["nav"].to_numpy()
    assert by_weights.summary["trades"] > 0
    np.testing.assert_array_equal(by_name.equity["nav"].to_numpy(), nav)
    np.testing.assert_array_equal(by_instance.equity["nav"].to_numpy(), nav)
    assert by_instance.config.strategy.name == "strategies.fixed_weights:FixedWeights"
    assert list(by_weights.positions.columns) == ["AAPL", "KO", "XOM"]
    assert by_weights.diagnostics.index.equals(by_weights.equity.index)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give weights= (a DataFrame of target weights) or strategy= (a name or instance)"),
    ({"weights": WEIGHTS, "strategy": "fixed_weights"}, "give weights="),
    ({"strategy": "moon_shot"}, "unknown strategy 'moon_shot'"),
    ({"weights": WEIGHTS, "rebalance": "fortnightly"}, "rebalance: 'fortnightly' is not daily, weekly, monthly"),
    ({"weights": WEIGHTS, "optimiser": "magic"}, "tradesim.backtest: field 'optimiser.method'"),
    ({"weights": WEIGHTS, "instruments": {"TSLA": {"multiplier": 1}}}, "instruments: 'TSLA' has no prices"),
    ({"weights": WEIGHTS.assign(MSFT=0.1)}, "weights DataFrame: column 'MSFT' is not an instrument of the config"),
    ({"weights": WEIGHTS, "sets": ["optimiser.cost_multipler=5"]}, "--set optimiser.cost_multipler=5: field"),
])
def test_mistakes_are_one_line(closes: pd.DataFrame, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        tradesim.backtest(closes.loc["2019"], **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_compare_is_the_comparison_table_with_the_same_runs(closes: pd.DataFrame) -> None:
    prices = closes.loc["2018":"2019"]
    table = tradesim.compare(prices, weights=WEIGHTS, capital=250_000, rebalance="weekly")
    assert {"fractional", "rounded", "dynamic"} <= set(table.index)
    dynamic = tradesim.backtest(prices, weights=WEIGHTS, capital=250_000, rebalance="weekly")
    assert table.loc["dynamic", "annualized_return"] == dynamic.summary["annualized_return"]
    assert table.loc["dynamic", "total_turnover"] == dynamic.summary["total_turnover"]
    assert table.loc["fractional", "drag"] == 0.0 and table.loc["fractional", "total_costs"] == 0.0
    from tradesim.compare import VARIANTS  # the module is still the module

    assert "dynamic" in VARIANTS


def test_compare_has_turnover_in_contracts_and_daily_te() -> None:
    """One stock at 300 for 4 days, then 150; capital 10,000 at weight 0.5, no costs. Rounding buys
    rint(16.67) = 17 shares, and after the drop (NAV 10,000 - 17 x 150 = 7,450, target 24.83) 8 more:
    25 shares in 8 days, 3.125 a day, 800 a year. The ideal trades 16.67 then 8.33: 25 too."""
    days = pd.bdate_range("2021-01-04", periods=8)
    prices = pd.DataFrame({"A": [300.0] * 4 + [150.0] * 4}, index=days)
    table = tradesim.compare(prices, weights=pd.DataFrame({"A": [0.5]}, index=days[:1]), capital=10_000, costs={})
    rounded = table.loc["rounded"]
    assert (rounded["total_turnover"], rounded["avg_daily_turnover"], rounded["annual_turnover"]) == (25.0, 3.125, 800.0)
    assert table.loc["fractional", "total_turnover"] == pytest.approx(25.0, abs=1e-9)
    assert (table["avg_tracking_error_daily"] == table["avg_tracking_error"] / 16).all()


def test_compare_takes_the_commands_variant_lambda_and_buffer_lists(closes: pd.DataFrame) -> None:
    prices = closes.loc["2019"]
    table = tradesim.compare(prices, weights=WEIGHTS, capital=250_000, rebalance="weekly",
                             variants=["rounded", "dynamic"], lambdas=[0, 50], buffers=[0.05])
    assert list(table.index) == ["fractional", "rounded", "dynamic lambda=0 buffer=0.05", "dynamic lambda=50 buffer=0.05"]
    default = tradesim.compare(prices, weights=WEIGHTS, capital=250_000, rebalance="weekly", variants=["dynamic"])
    assert table.loc["dynamic lambda=50 buffer=0.05", "end_nav"] == default.loc["dynamic", "end_nav"]  # the defaults
    te = table.loc["dynamic lambda=50 buffer=0.05", "avg_tracking_error"]
    assert te > 0 and table.loc["dynamic lambda=50 buffer=0.05", "avg_tracking_error_daily"] == te / 16
    with pytest.raises(ConfigError, match="unknown variant 'magic'"):
        tradesim.compare(prices, weights=WEIGHTS, variants=["magic"])


def test_a_kept_ledger_and_the_report(tmp_path: Path, closes: pd.DataFrame) -> None:
    result = tradesim.backtest(closes.loc["2019"], weights=WEIGHTS, db=str(tmp_path / "kept.db"), name="kept")
    runs = subprocess.run([TRADESIM, "runs", "--db", str(tmp_path / "kept.db"), "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert runs.returncode == 0 and ",kept," in runs.stdout
    page = result.report(tmp_path / "r.html")
    assert Path(page).is_file() and "kept" in Path(page).read_text()


def test_the_readme_notebook_example_runs_as_printed(capsys: pytest.CaptureFixture[str]) -> None:
    source = (ROOT / "docs" / "examples" / "notebook.py").read_text()
    assert source in (ROOT / "README.md").read_text()
    runpy.run_path(str(ROOT / "docs" / "examples" / "notebook.py"))
    out = capsys.readouterr().out
    assert "annualized_return" in out and "dynamic" in out
