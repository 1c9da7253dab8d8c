"""Reports of runs of a day, ten days and thirty years: what a person would find odd, fixed.

A day's run has no fills yet (its orders fill the next day); ten days move the NAV by
less than a unit of its ticks; thirty years grow it 400-fold.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from matplotlib import rc_context

from db import queries
from tradesim.report.figures.equity import equity_figure, log_scale_suits
from tradesim.report.ledger import load_run
from tradesim.report.style import RC, figure, money_axis, percent_axis


def tick_labels(ax) -> list[str]:  # noqa: ANN001
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_yticklabels() if ax.get_ylim()[0] <= t.get_position()[1] <= ax.get_ylim()[1]]


def test_ticks_of_a_narrow_range_differ() -> None:
    fig = figure(3)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [987_100.0, 1_006_700.0, 993_700.0])
    money_axis(ax)
    assert tick_labels(ax) == ["0.990m", "0.995m", "1.000m", "1.005m"]
    fig = figure(3)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0.0, -0.0125, -0.004])
    percent_axis(ax)
    assert tick_labels(ax) == ["−1.2%", "−1.0%", "−0.8%", "−0.6%", "−0.4%", "−0.2%", "0.0%"]
    fig = figure(3)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0.0, -0.41])
    percent_axis(ax)
    assert tick_labels(ax) == ["−40%", "−30%", "−20%", "−10%", "0%"]


@pytest.fixture(scope="module")
def short_runs(tmp_path_factory) -> str:  # noqa: ANN001
    """The bundled default replayed over its last day and its last ten days."""
    db = tmp_path_factory.mktemp("short") / "ledger.db"
    for start in ("2022-12-28", "2022-12-14"):
        done = subprocess.run(["tradesim", "-q", "replay", "--start", start, "--db", str(db), "-f", "csv"],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return f"sqlite:///{db}"


def test_a_one_day_run_has_a_report(short_runs: str, tmp_path: Path) -> None:
    done = subprocess.run(["tradesim", "report", "1", "--db", short_runs, "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<th>Total return</th><td>0.00%</td>" in html
    assert "<th>Sharpe ratio</th><td>(not annualised: 1 days)</td>" in html


def test_short_runs_are_linear_and_headline_total_return(short_runs: str) -> None:
    with queries.connect(short_runs) as conn:
        run = load_run(conn, 2)
    assert not log_scale_suits([run])
    with rc_context(RC):
        top = equity_figure([run]).axes[0]
    assert top.get_yscale() == "linear"
    labels = tick_labels(top)
    assert len(set(labels)) == len(labels) and all(label.endswith("m") for label in labels)
    nav = run.equity["nav"]
    assert top.get_title() == "us-stocks-risk-parity: equity and drawdown, 2022-12-14 to 2022-12-28"
    assert [line.get_label() for line in top.lines] == ["us-stocks-risk-parity (run 2)", "starting capital"]
    assert len(nav) == 10
