"""What the figures draw is what the ledger holds: read back from the matplotlib artists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.dates import date2num, num2date

from db import queries
from tradesim.report.figures.optimum import optimum_figure
from tradesim.report.figures.positions import positions_figure
from tradesim.report.figures.risk import risk_figure
from tradesim.report.figures.tracking import tracking_figure
from tradesim.report.ledger import instrument_pnl, load_orders, load_run


def run_of(ledger, k: int = 0):  # noqa: ANN001, ANN201
    with queries.connect(ledger.url) as conn:
        return load_run(conn, ledger.run_ids[k])


def test_optimum_is_markers_on_decision_days_and_held_is_a_step_line_with_flat_days_zero(stocks) -> None:  # noqa: ANN001
    run = run_of(stocks)
    with queries.connect(stocks.url) as conn:
        orders = load_orders(conn, run.run_id, ["KO"])
    fig = optimum_figure(run, orders, ["KO"])
    whole, zoom = fig.axes[:2]
    markers, held = whole.lines[:2]
    assert markers.get_linestyle() == "None"  # never joined: the optimum is unknown between orders
    expected = queries.orders(stocks.url, run=run.run_id, symbol="KO")
    assert len(expected) > 50
    assert list(pd.DatetimeIndex(markers.get_xdata()).date) == list(expected["day"])
    np.testing.assert_array_equal(markers.get_ydata(), expected["optimal"].to_numpy())
    assert held.get_drawstyle() == "steps-post"
    held_by_day = pd.Series(held.get_ydata(), index=pd.DatetimeIndex(held.get_xdata()).date)
    positions = queries.positions(stocks.url, run=run.run_id, symbol="KO", latest=False).set_index("day")["quantity"]
    assert len(held_by_day) == 629
    np.testing.assert_array_equal(held_by_day.reindex(positions.index).to_numpy(), positions.to_numpy())
    flat = held_by_day.index.difference(positions.index)
    assert len(flat) > 0 and (held_by_day.loc[flat] == 0).all()  # no row in the ledger: flat
    # The zoom shows the last 120 trading days only.
    assert len(zoom.lines[1].get_xdata()) == 120


def test_tracking_figure_draws_the_buffer_and_marks_trading_days_by_trigger(stocks) -> None:  # noqa: ANN001
    run = run_of(stocks)
    fig = tracking_figure([run])
    te_ax, alpha_ax, strip = fig.axes[:3]
    buffer = [line for line in te_ax.lines if line.get_label().startswith("buffer")]
    assert len(buffer) == 1 and buffer[0].get_ydata()[0] == pytest.approx(0.05 * 0.20)  # buffer_fraction x target
    equity = queries.equity(stocks.url, run=run.run_id)
    traded = equity[equity["rebalanced"]]
    assert len(alpha_ax.lines[0].get_xdata()) == len(traded)  # adjustment factor on days with a trade only
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert legend == set(traded["reason"].dropna()) and len(legend) == 2  # review and emergency
    # The strip: a date bin is coloured exactly where some day in it had orders.
    image = strip.images[0]
    grid = image.get_array()
    x0, x1 = image.get_extent()[:2]
    edges = np.linspace(x0, x1, grid.shape[1] + 1)
    bins = np.searchsorted(edges, date2num(pd.to_datetime(traded["day"])), side="right") - 1
    assert set(np.flatnonzero(~grid.mask[0])) == set(bins)
    assert [t.get_text() for t in strip.get_yticklabels()] == [f"{len(traded):,} days"]


def test_positions_heatmap_is_held_value_over_nav_at_week_ends(stocks) -> None:  # noqa: ANN001
    run = run_of(stocks)
    fig = positions_figure(run)
    image = fig.axes[0].images[0].get_array()
    assert image.shape[0] == 3  # AAPL, KO, XOM
    positions = queries.positions(stocks.url, run=run.run_id, since="2021-06-25", until="2021-06-25")
    nav = queries.equity(stocks.url, run=run.run_id, since="2021-06-25", until="2021-06-25")["nav"].iat[0]
    last_week = image[:, -1]  # Friday 2021-06-25 closes the last full week; the last column is 2021-06-30 (Wed)
    week_before = image[:, -2]
    np.testing.assert_allclose(week_before, positions.sort_values("symbol")["notional_base"].to_numpy() / nav)
    assert np.all(last_week > 0)


def test_a_run_shorter_than_a_year_says_so_and_shorts_get_a_diverging_scale(futures) -> None:  # noqa: ANN001
    run = run_of(futures)
    risk = risk_figure([run])
    texts = [t.get_text() for ax in risk.axes for t in ax.texts]
    assert texts == ["the run is shorter than a year: no rolling figure yet"] * 2
    heat = positions_figure(run)
    norm = heat.axes[0].images[0].norm
    assert norm.vmin < 0 < norm.vmax and norm.vcenter == 0  # short crude shows red, long bund blue


def test_pnl_by_asset_class_is_tradesim_pnls_and_adds_up_to_the_equity(futures) -> None:  # noqa: ANN001
    run = run_of(futures)
    per_day = instrument_pnl(run)
    ours = per_day.groupby("asset_class")[["gross_pnl", "costs", "net_pnl"]].sum()
    theirs = queries.pnl(futures.url, run=run.run_id, by="asset_class").set_index("asset_class")
    assert set(ours.index) == {"Bond", "OilGas", "(rolls)"}
    for col in ("gross_pnl", "costs", "net_pnl"):
        np.testing.assert_allclose(ours.loc[theirs.index, col], theirs[col], rtol=0, atol=1e-6)
    daily = per_day.groupby("day")["gross_pnl"].sum().reindex(run.days, fill_value=0.0)
    np.testing.assert_allclose(daily.to_numpy(), run.equity["gross_pnl"].to_numpy(), atol=1e-6)
    assert ours["net_pnl"].sum() == pytest.approx(run.equity["nav"].iat[-1] - run.capital, abs=1e-6)


def test_dates_on_the_axes_are_the_runs_dates(stocks) -> None:  # noqa: ANN001
    run = run_of(stocks)
    fig = risk_figure([run])
    left, right = fig.axes[1].get_xlim()
    assert num2date(left).date() == run.days[0].date() and num2date(right).date() == run.days[-1].date()
    assert date2num(run.days[0]) == left
