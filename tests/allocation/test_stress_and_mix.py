"""Stress scenarios, mix statistics and constraint checks on the course's endowment and by hand."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradesim.allocation import (
    COURSE_ENDOWMENT, COURSE_ENDOWMENT_VALUE, COURSE_GROUPS, COURSE_LIMITS, COURSE_SCENARIOS, Limit,
    check_constraints, mix_stats, stress_test,
)

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "strategies" / "configs" / "course_endowment.toml"
TRADESIM = shutil.which("tradesim", path=str(Path(sys.executable).parent))


def test_the_course_endowment_under_the_course_scenarios() -> None:
    """$500m: Equity 50%, Fixed Income 20%, Alternatives 30%.
    2008 Crisis: 0.5 x -35% + 0.2 x 5% + 0.3 x -20% = -22.5% -> $387.5m, below the $400m floor.
    Tech Bubble: 0.5 x -25% + 0.2 x 8% + 0.3 x -10% = -13.9% -> $430.5m.
    Inflation Spike: 0.5 x -15% + 0.2 x -10% + 0.3 x 5% = -8% -> $460m."""
    results = stress_test(COURSE_ENDOWMENT, COURSE_SCENARIOS, COURSE_GROUPS, COURSE_ENDOWMENT_VALUE, floor=0.8)
    assert [r.scenario for r in results] == ["2008 Crisis", "Tech Bubble", "Inflation Spike"]
    np.testing.assert_allclose([r.portfolio_return for r in results], [-0.225, -0.139, -0.08], atol=1e-15)
    np.testing.assert_allclose([r.value_after for r in results], [387.5e6, 430.5e6, 460e6], rtol=1e-15)
    np.testing.assert_allclose([r.loss for r in results], [112.5e6, 69.5e6, 40e6], rtol=1e-12)
    assert [r.passed for r in results] == [False, True, True]
    assert results[0].floor == 400e6
    # Real assets, private equity and hedge funds fell into the remaining group, Alternatives.
    assert results[0].contributions["Private Equity"] == pytest.approx(0.10 * -0.20)
    assert stress_test(COURSE_ENDOWMENT, COURSE_SCENARIOS, COURSE_GROUPS)[0].passed is None


def test_a_class_named_as_a_group_needs_no_mapping_and_ambiguity_is_an_error() -> None:
    r = stress_test({"Equity": 0.6, "Bonds": 0.4}, {"s": {"Equity": -0.3, "Rest": 0.02}})[0]
    assert r.portfolio_return == pytest.approx(0.6 * -0.3 + 0.4 * 0.02)
    with pytest.raises(ValueError, match="class 'Bonds' has no shock group.*unused groups: A, B"):
        stress_test({"Equity": 0.6, "Bonds": 0.4}, {"s": {"Equity": -0.3, "A": 0.0, "B": 0.1}})
    with pytest.raises(ValueError, match="mapped to group 'Equities', which the scenario does not shock"):
        stress_test({"X": 1.0}, COURSE_SCENARIOS, {"X": "Equities"})


def test_a_migration_scenario_moves_the_beta_categories() -> None:
    """Two categories, allocation x = (0.7, 0.3), returns r = (5%, 12%). In the scenario 40% of
    the low-beta stocks turn high-beta and 10% of the high-beta ones turn low: P_s x =
    (0.6 x 0.7 + 0.1 x 0.3, 0.4 x 0.7 + 0.9 x 0.3) = (0.45, 0.55); r . P_s x = 2.25% + 6.6% = 8.85%."""
    P = [[0.6, 0.1], [0.4, 0.9]]
    r = stress_test({"low": 0.7, "high": 0.3}, {"beta shift": P}, value=100.0, category_returns=[0.05, 0.12])[0]
    assert r.portfolio_return == pytest.approx(0.0885, abs=1e-15)
    assert r.value_after == pytest.approx(108.85)
    assert r.contributions == pytest.approx({"low": 0.45 * 0.05, "high": 0.55 * 0.12})
    with pytest.raises(ValueError, match="scenario 'bad': migration column 0 sums to 0.9"):
        stress_test({"low": 0.7, "high": 0.3}, {"bad": [[0.5, 0.1], [0.4, 0.9]]}, category_returns=[0.05, 0.12])


def test_mix_statistics_by_hand() -> None:
    """w = (0.6, 0.4), r = (8%, 3%), s = (16%, 5%), rho = 0.2.
    E = 6%; w'Sw = 0.36 x 0.0256 + 0.16 x 0.0025 + 2 x 0.24 x 0.2 x 0.008 = 0.010384;
    Sharpe at 4% = 0.02 / sqrt(0.010384); (S w) = (0.016, 0.00196): risk contributions
    0.0096 / sigma and 0.000784 / sigma."""
    s = mix_stats({"eq": 0.6, "bd": 0.4}, {"eq": 0.08, "bd": 0.03}, {"eq": 0.16, "bd": 0.05},
                  {"eq": {"bd": 0.2}}, risk_free=0.04)
    sigma = np.sqrt(0.010384)
    assert s.expected_return == pytest.approx(0.06, abs=1e-15)
    assert s.volatility == pytest.approx(sigma, rel=1e-12)
    assert s.sharpe == pytest.approx(0.02 / sigma, rel=1e-12)
    assert s.return_contributions == pytest.approx({"eq": 0.048, "bd": 0.012})
    assert s.risk_contributions == pytest.approx({"eq": 0.0096 / sigma, "bd": 0.000784 / sigma}, rel=1e-12)
    assert mix_stats({"eq": 1.0}, {"eq": 0.07}).volatility is None


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 6).flatmap(lambda k: st.tuples(
    st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k).filter(lambda w: sum(w) > 0.01),
    st.lists(st.floats(0.01, 0.5), min_size=k, max_size=k),
    st.lists(st.floats(-1, 1), min_size=k * k, max_size=k * k))))
def test_risk_contributions_always_sum_to_the_volatility(case) -> None:
    w, vols, raw = case
    k = len(w)
    A = np.array(raw).reshape(k, k)
    cov = A @ A.T + np.eye(k) * 0.1  # a valid correlation matrix from any square matrix
    d = np.sqrt(np.diag(cov))
    rho = cov / np.outer(d, d)
    names = [f"c{i}" for i in range(k)]
    s = mix_stats(dict(zip(names, w)), dict.fromkeys(names, 0.05), dict(zip(names, vols)),
                  ((rho + rho.T) / 2).tolist())
    assert sum(s.risk_contributions.values()) == pytest.approx(s.volatility, rel=1e-9)


def test_the_course_constraints_on_the_course_endowment() -> None:
    returns = {"US Equity": 0.07, "International Equity": 0.075, "Fixed Income": 0.04, "Real Assets": 0.06,
               "Private Equity": 0.09, "Hedge Funds": 0.055}
    checks = check_constraints(COURSE_ENDOWMENT, COURSE_LIMITS, returns)
    assert [(c.limit.name, c.value, c.satisfied) for c in checks[:3]] == [
        ("max equity", 0.5, True), ("min liquidity", 0.2, True), ("max alternatives", pytest.approx(0.3), True)]
    # 6.475% against the 6.5% target (4% spending + 2.5% inflation): short by 0.025%.
    assert checks[3].value == pytest.approx(0.06475) and not checks[3].satisfied
    assert checks[3].describe() == "return target: 6.48% >= 6.50%: violated (margin -0.03%)"
    with pytest.raises(ValueError, match="limit 'x': unknown class 'Cash'"):
        check_constraints(COURSE_ENDOWMENT, [Limit("x", "min", 0.1, ("Cash",))])


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRADESIM, *args], capture_output=True, text=True, timeout=120)


def test_tradesim_stress_on_the_example_file() -> None:
    out = run("stress", str(EXAMPLE), "--floor", "0.8")
    assert out.returncode == 0, out.stderr
    assert "2008 Crisis     -22.50% 112,500,000 387,500,000 FAIL" in out.stdout
    assert "Tech Bubble     -13.90%  69,500,000 430,500,000 pass" in out.stdout
    rows = json.loads(run("stress", str(EXAMPLE), "--floor", "0.8", "--format", "json").stdout)
    assert rows[2] == {"scenario": "Inflation Spike", "return": pytest.approx(-0.08), "value_before": 500e6,
                       "loss": pytest.approx(40e6), "value_after": pytest.approx(460e6), "floor": 400e6,
                       "passed": True}


def test_tradesim_mix_on_the_example_file() -> None:
    out = run("mix", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    assert "expected return 6.48%, volatility 11.62%, Sharpe 0.21 (rf 4.00%)" in out.stdout
    assert "FAIL return target: 6.48% >= 6.50%: violated (margin -0.03%)" in out.stdout
    rows = json.loads(run("mix", str(EXAMPLE), "--format", "json", "--risk-free", "0").stdout)
    total = next(r for r in rows if r["section"] == "total")
    sharpe = next(r for r in rows if r["section"] == "sharpe")
    assert sharpe["value"] == pytest.approx(total["return_contribution"] / total["risk_contribution"])


def test_a_bad_mix_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('[weights]\n"US Equity" = "lots"\n')
    out = run("stress", str(bad))
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert f"{bad}: field 'weights.US Equity'" in out.stderr
    bad.write_text('[weights]\n"Cash" = 1.0\n')
    out = run("stress", str(bad))
    assert out.returncode == 2
    assert "scenario '2008 Crisis': class 'Cash' has no shock group" in out.stderr
