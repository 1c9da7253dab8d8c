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
    """The bundled default replayed over its last day, its last ten days and its last year."""
    db = tmp_path_factory.mktemp("short") / "ledger.db"
    for start in ("2022-12-28", "2022-12-14", "2022-01-03"):
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
    assert "<th>Sharpe ratio</th><td>(not annualised: 1 day)</td>" in html


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


def date_axes(fig) -> list:  # noqa: ANN001
    from matplotlib.dates import ConciseDateFormatter

    return [ax for ax in fig.axes if isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)]


def visible_labels(ax, axis: str) -> list:  # noqa: ANN001
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    return [t for t in labels if t.get_visible() and t.get_text()
            and lo <= (t.get_position()[0] if axis == "x" else t.get_position()[1]) <= hi]


def all_figures(conn, run_id: int) -> dict:  # noqa: ANN001
    from tradesim.report.figures.costs import costs_figure
    from tradesim.report.figures.optimum import optimum_figure
    from tradesim.report.figures.pnl import pnl_figure
    from tradesim.report.figures.positions import positions_figure
    from tradesim.report.figures.risk import risk_figure
    from tradesim.report.figures.tracking import tracking_figure
    from tradesim.report.ledger import instrument_pnl, load_orders, order_counts
    from tradesim.report.figures.optimum import default_symbols

    run = load_run(conn, run_id)
    symbols = default_symbols(order_counts(conn, run_id))
    orders = load_orders(conn, run_id, symbols)
    return {"equity": equity_figure([run]), "risk": risk_figure([run]), "positions": positions_figure(run),
            "optimum": optimum_figure(run, orders, symbols), "tracking": tracking_figure([run]),
            "costs": costs_figure([run]), "pnl": pnl_figure(run, instrument_pnl(run))}, run, symbols


@pytest.mark.parametrize("run_id", [1, 2, 3], ids=["1 day", "10 days", "1 year"])
def test_every_figure_keeps_to_the_runs_dates_with_distinct_unoverlapping_ticks(short_runs: str, run_id: int) -> None:
    """Each date axis spans the run (a day either side of a one-day run), not the years matplotlib
    puts around an empty or one-point plot; tick labels differ and do not overlap; drawing warns of nothing."""
    import warnings

    from matplotlib.dates import date2num

    with queries.connect(short_runs) as conn, rc_context(RC), warnings.catch_warnings():
        warnings.simplefilter("error")  # "identical low and high xlims" was one
        figures, run, _ = all_figures(conn, run_id)
        first, last = date2num(run.days[0]), date2num(run.days[-1])
        for name, fig in figures.items():
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            for ax in date_axes(fig):
                lo, hi = ax.get_xlim()
                whole = (first - 1, last + 1) if first == last else (first, last)
                if name == "optimum" and lo != whole[0]:  # the zoom on the last 120 days of a longer run
                    assert first < lo < hi == last
                else:
                    assert (lo, hi) == whole, name
            for ax in fig.axes:
                for axis in ("x", "y"):
                    labels = visible_labels(ax, axis)
                    texts = [t.get_text() for t in labels]
                    assert len(set(texts)) == len(texts), (name, axis, texts)
                    boxes = [t.get_window_extent(renderer) for t in labels]
                    for a, b in zip(boxes, boxes[1:]):
                        assert not a.overlaps(b), (name, axis, texts)


def test_short_runs_get_short_periods_and_one_panel(short_runs: str) -> None:
    with queries.connect(short_runs) as conn, rc_context(RC):
        one_day, _, _ = all_figures(conn, 1)
        ten_days, run, symbols = all_figures(conn, 2)
        year, _, year_symbols = all_figures(conn, 3)
    assert ten_days["costs"].axes[0].get_title() == "Turnover and costs per trading day; costs since the start"
    assert year["costs"].axes[0].get_title() == "Turnover and costs per month; costs since the start"
    assert ten_days["positions"].axes[0].get_title().startswith("Positions: value held as a share of NAV at each close")
    assert "each week's last close" in year["positions"].axes[0].get_title()
    # the ten days' optimum is shown once (a zoom on its last 120 days would repeat it); a year's twice
    assert len(ten_days["optimum"].axes) == len(symbols) and len(year["optimum"].axes) == 2 * len(year_symbols)
    strip = one_day["tracking"].axes[2]
    assert [t.get_text() for t in strip.get_yticklabels()] == ["1 day"]
    assert "no trades: no turnover and no costs" in [t.get_text() for t in one_day["costs"].axes[0].texts]
    zero = [t.get_text() for t in ten_days["costs"].axes[2].get_yticklabels() if t.get_position()[1] == 0]
    assert zero == ["0"]  # not "0.0k"
