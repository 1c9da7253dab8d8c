"""The risk-free rate in every Sharpe ratio: a constant or a series, shown beside the ratio."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradesim.errors import ConfigError
from tradesim.metrics import DAYS_PER_YEAR, sharpe_ratio, summarise
from tradesim.risk_free import risk_free_rates
from tradesim.schema import RiskFreeSeries

FIXTURE = Path(__file__).parent.parent / "fixtures" / "cash_flows" / "endowment.toml"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))


def test_sharpe_is_the_mean_excess_return_over_its_volatility() -> None:
    r = np.array([0.001, -0.0005, 0.0015, -0.0003, 0.0008])
    sd = np.std(r, ddof=1)
    assert sharpe_ratio(r) == pytest.approx(r.mean() / sd * 16)
    assert sharpe_ratio(r, 0.04) == pytest.approx((r.mean() - 0.04 / DAYS_PER_YEAR) / sd * 16)
    # The 60/40 book: 13.1% a year at 11.4% volatility is 1.15 without a risk-free
    # rate and 0.80 over 4%: the ratio falls by rf / volatility.
    rng = np.random.default_rng(7)
    book = rng.normal(0.131 / DAYS_PER_YEAR, 0.114 / 16, 25_600)
    drop = sharpe_ratio(book) - sharpe_ratio(book, 0.04)
    assert drop == pytest.approx(0.04 / (np.std(book, ddof=1) * 16), rel=1e-12)


def test_a_rate_per_day_counts_each_day_at_its_own_rate() -> None:
    nav = np.array([100.1, 100.0, 100.3, 100.2])
    rates = np.array([0.0, 0.02, 0.04, 0.06])
    s = summarise(nav, 100.0, np.zeros(4), np.zeros(4), 0, risk_free=rates)
    assert s.risk_free == pytest.approx(0.03)
    assert s.sharpe == pytest.approx(summarise(nav, 100.0, np.zeros(4), np.zeros(4), 0, risk_free=0.03).sharpe)


def test_a_series_holds_each_rate_until_the_next_date(tmp_path: Path) -> None:
    path = tmp_path / "tbill.csv"
    path.write_text("date,rate\n2024-01-02,0.05\n2024-03-27,0.045\n")
    days = pd.DatetimeIndex(["2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28"])
    np.testing.assert_array_equal(risk_free_rates(RiskFreeSeries(file=str(path)), days), [0.05, 0.05, 0.045, 0.045])
    assert list(risk_free_rates(0.04, days)) == [0.04] * 4
    with pytest.raises(ConfigError, match=r"no rate on 2023-12-29 \(the file starts on 2024-01-02\)"):
        risk_free_rates(RiskFreeSeries(file=str(path)), pd.DatetimeIndex(["2023-12-29"]))
    path.write_text("date,rate\n2024-01-02,five\n")
    with pytest.raises(ConfigError, match="line 2 is not a date and a rate"):
        risk_free_rates(RiskFreeSeries(file=str(path)), days)


def test_replay_measures_sharpe_against_a_rate_series(tmp_path: Path) -> None:
    import json

    from tradesim.metrics import daily_returns

    config = tmp_path / "p.toml"
    (tmp_path / "closes.csv").write_text((FIXTURE.parent / "closes.csv").read_text())
    (tmp_path / "rf.csv").write_text("date,rate\n2024-01-02,0.05\n2024-03-28,0.03\n")
    config.write_text(FIXTURE.read_text() + '\n[risk_free]\nfile = "rf.csv"\n')
    out = subprocess.run([TRADESIM, "replay", str(config), "--db", str(tmp_path / "l.db"), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)["summary"]
    # 25-27 March at 5%, 28 March to 2 April at 3%: the file's rate holds until its next date.
    rates = np.array([0.05, 0.05, 0.05, 0.03, 0.03, 0.03])
    assert summary["risk_free"] == pytest.approx(0.04)
    nav = np.array([10_000.0, 10_000.0, 10_840.0, 10_809.81, 10_485.81, 10_657.81])
    flows = np.array([0.0, 0.0, 1_000.0, -109.19, -500.0, 0.0])
    assert summary["sharpe"] == pytest.approx(sharpe_ratio(daily_returns(nav, 10_000.0, flows), rates), rel=1e-9)


def test_replay_shows_the_rate_beside_the_sharpe_ratio(tmp_path: Path) -> None:
    """The bundled portfolio over 18 months (a table shows a Sharpe ratio from a year on): the
    table's ratio at 4% is the JSON's ratio at 0% less 0.04 / volatility."""
    import json

    base = ["--set", "end=1991-06-30"]
    free = subprocess.run([TRADESIM, "replay", "--db", str(tmp_path / "a.db"), *base, "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert free.returncode == 0, free.stderr
    s = json.loads(free.stdout)["summary"]
    out = subprocess.run([TRADESIM, "replay", "--db", str(tmp_path / "b.db"), *base, "--set", "risk_free=0.04"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if "Sharpe ratio" in line)
    assert s["risk_free"] == 0.0 and s["sharpe"] > 0.5
    assert f"{s['sharpe'] - 0.04 / s['annual_volatility']:.2f} (rf 4.00%)" in line


BUNDLED_FIXTURE = Path(__file__).parent.parent / "fixtures" / "risk_free" / "tbill.toml"


def test_the_bundled_tbill_series_is_the_whole_federal_reserve_series_it_names() -> None:
    """FRED TB3MS as shipped: 407 months without a gap, percent turned into annual decimals."""
    from tradesim.risk_free import BUNDLED, bundled_rate
    from tradesim.schema import BUNDLED_RATES

    assert set(BUNDLED) == set(BUNDLED_RATES)  # every rate a config may name has its file
    rates = bundled_rate("us_tbill_3m")
    assert len(rates) == 407
    assert (rates.index == pd.date_range("1990-01-01", "2023-11-01", freq="MS")).all()
    assert rates["1990-01-01"] == pytest.approx(0.0764) and rates["2022-12-01"] == pytest.approx(0.0425)
    assert rates["2020-02-01"] == pytest.approx(0.0152) and rates["2020-03-01"] == pytest.approx(0.0029)
    # each month's average holds on every day of that month
    days = pd.DatetimeIndex(["2020-02-28", "2020-03-02", "2020-03-31"])
    np.testing.assert_allclose(risk_free_rates("bundled:us_tbill_3m", days), [0.0152, 0.0029, 0.0029])


def test_a_bundled_rate_outside_its_span_is_one_clear_error() -> None:
    span = r"\(the bundled series covers 1990-01-01 to 2023-11-30\); give a constant or a \[risk_free\] file"
    with pytest.raises(ConfigError, match=r"risk_free bundled:us_tbill_3m: no rate on 2023-12-01 " + span):
        risk_free_rates("bundled:us_tbill_3m", pd.DatetimeIndex(["2023-11-30", "2023-12-01"]))
    with pytest.raises(ConfigError, match=r"no rate on 1989-12-29 " + span):
        risk_free_rates("bundled:us_tbill_3m", pd.DatetimeIndex(["1989-12-29", "1990-01-02"]))


def test_replay_measures_sharpe_against_the_bundled_tbill_rate(tmp_path: Path) -> None:
    """Buy 80 shares once, filled at 101: NAV 10,000, 10,000, 9,840, 9,920, 10,080, 10,240 over
    26 Feb - 4 Mar 2020; the three February days at TB3MS's 1.52%, the three March days at 0.29%."""
    import json

    for name in ("tbill.toml", "closes.csv"):
        (tmp_path / name).write_text((BUNDLED_FIXTURE.parent / name).read_text())
    out = subprocess.run([TRADESIM, "replay", str(tmp_path / "tbill.toml"), "--db", str(tmp_path / "l.db"),
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)["summary"]
    r = np.array([0.0, 0.0, -160 / 10_000, 80 / 9_840, 160 / 9_920, 160 / 10_080])
    excess = r - np.array([0.0152] * 3 + [0.0029] * 3) / 256
    assert summary["end_nav"] == pytest.approx(10_240.0)
    assert summary["risk_free"] == pytest.approx(0.00905)  # (3 x 1.52% + 3 x 0.29%) / 6
    assert summary["sharpe"] == pytest.approx(excess.mean() / r.std(ddof=1) * 16, rel=1e-12)
    assert summary["sharpe"] == pytest.approx(5.253409908836567, rel=1e-12)


def test_a_bundled_rate_that_ends_before_the_run_stops_the_replay(tmp_path: Path) -> None:
    """The cash-flow fixture trades in 2024, after the bundled series' last month: exit 2, one line,
    no run written."""
    (tmp_path / "closes.csv").write_text((FIXTURE.parent / "closes.csv").read_text())
    config = tmp_path / "p.toml"
    config.write_text('risk_free = "bundled:us_tbill_3m"\n' + FIXTURE.read_text())
    out = subprocess.run([TRADESIM, "replay", str(config), "--db", str(tmp_path / "l.db")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "error: risk_free bundled:us_tbill_3m: no rate on 2024-04-02 (the bundled series covers 1990-01-01 "
        "to 2023-11-30); give a constant or a [risk_free] file"]
    bad = subprocess.run([TRADESIM, "replay", str(config), "--db", str(tmp_path / "l.db"), "--set",
                          "risk_free=bundled:libor"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "'bundled:libor' is not a rate" in bad.stderr


def test_compare_shows_each_rows_rate_beside_its_sharpe_ratio(tmp_path: Path) -> None:
    """Each variant's SR cell carries its rate, in the table (at 80 columns too: the writer leaves
    out optional columns, never the rate) and in --markdown."""
    import json
    import os

    for name in ("tbill.toml", "closes.csv"):
        (tmp_path / name).write_text((BUNDLED_FIXTURE.parent / name).read_text())
    base = [TRADESIM, "compare", str(tmp_path / "tbill.toml"), "--variants", "rounded", "--set", "trigger.kind=daily"]
    env = {**os.environ, "COLUMNS": "120"}
    wide = subprocess.run([*base, "--db", str(tmp_path / "a.db"), "--markdown"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert wide.returncode == 0, wide.stderr
    data = subprocess.run([*base, "--db", str(tmp_path / "b.db"), "--format", "json"], capture_output=True,
                          text=True, timeout=300, env=env)
    variants = json.loads(data.stdout)["variants"]
    assert [v["summary"]["risk_free"] for v in variants] == [pytest.approx(0.00905)] * 2
    for v in variants:
        cell = f"{v['summary']['sharpe']:.2f} (rf 0.91%)"
        table_row = next(line for line in wide.stdout.splitlines()
                         if line.split() and line.split()[0] == {"fractional": "ideal"}.get(v["variant"], v["variant"]))
        markdown_row = next(line for line in wide.stdout.splitlines()
                            if line.startswith(f"| {'ideal' if v['variant'] == 'fractional' else v['variant']} |"))
        assert cell in table_row and f"| {cell} |" in markdown_row
    narrow = subprocess.run([*base, "--db", str(tmp_path / "c.db")], capture_output=True, text=True, timeout=300,
                            env={**env, "COLUMNS": "80"})
    assert narrow.returncode == 0, narrow.stderr
    rows = [line for line in narrow.stdout.splitlines() if line.split()[:1] in (["ideal"], ["rounded"])]
    assert len(rows) == 2 and all("(rf 0.91%)" in line and len(line) <= 80 for line in rows)
