"""``tradesim compare``: the cost-free ideal and the figures measured against it."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from db.session import open_engine
from tradesim.compare import compare
from tradesim.config import load_config
from tradesim.metrics import DAYS_PER_YEAR, daily_returns
from tradesim.replay import load_market


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    cfg = load_config(capital=25_000, start="2021-01-04", end="2021-12-31")
    url = f"sqlite:///{tmp_path_factory.mktemp('compare') / 'ledger.db'}"
    rows, results = compare(cfg, url, load_market(cfg))
    return cfg, url, {r.variant: r for r in rows}, results


def test_the_ideal_is_fractional_and_trades_free(compared) -> None:
    cfg, url, rows, results = compared
    ideal = rows["fractional"]
    assert ideal.summary.total_costs == 0 and ideal.summary.trades > 0
    assert ideal.correlation == pytest.approx(1.0) and ideal.realised_te == 0 and ideal.drag == 0
    with open_engine(url).connect() as conn:
        labels = dict(conn.execute(text("SELECT label, id FROM runs WHERE mode = 'compare'")).all())
        ideal_costs = conn.execute(text("SELECT sum(cost_base) FROM fills WHERE run_id = :r"),
                                   {"r": labels["fractional"]}).scalar()
        fractional = conn.execute(text("SELECT count(*) FROM fills WHERE run_id = :r AND quantity != round(quantity)"),
                                  {"r": labels["fractional"]}).scalar()
    assert set(labels) == {"fractional", "fractional_costs", "rounded", "buffered", "dynamic"}
    assert ideal_costs == 0 and fractional > 0  # divisible positions, traded free


def test_carvers_benchmark_is_fractional_and_pays_costs(compared) -> None:
    cfg, url, rows, results = compared
    with open_engine(url).connect() as conn:
        run = conn.execute(text("SELECT id FROM runs WHERE label = 'fractional_costs'")).scalar()
        costs, fractional = conn.execute(text(
            "SELECT sum(cost_base), sum(quantity != round(quantity)) FROM fills WHERE run_id = :r"), {"r": run}).one()
    assert costs > 0 and fractional > 0
    assert rows["fractional_costs"].summary.total_costs == pytest.approx(costs)
    assert rows["fractional_costs"].drag > 0  # the same positions, less the costs


def test_the_static_buffer_trades_less_often_than_rounding(compared) -> None:
    _, _, rows, _ = compared
    assert rows["buffered"].summary.trades < rows["rounded"].summary.trades
    assert rows["buffered"].summary.total_costs < rows["rounded"].summary.total_costs


@pytest.mark.parametrize("variant", ["fractional_costs", "rounded", "buffered", "dynamic"])
def test_figures_against_the_ideal_follow_their_definitions(compared, variant: str) -> None:
    cfg, _, rows, results = compared
    row, ideal = rows[variant], results["fractional"]
    r, base = daily_returns(results[variant].nav, cfg.capital), daily_returns(ideal.nav, cfg.capital)
    assert row.summary.total_costs > 0
    assert row.drag == pytest.approx(ideal.summary.annual_return - row.summary.annual_return)
    assert row.correlation == pytest.approx(np.corrcoef(base, r)[0, 1])
    assert row.realised_te == pytest.approx(np.std(r - base, ddof=1) * np.sqrt(DAYS_PER_YEAR))
    assert row.tracking_error == pytest.approx(results[variant].tracking_error.mean())


def test_dynamic_trades_less_than_rounding_on_a_small_account(compared) -> None:
    _, _, rows, _ = compared
    assert rows["dynamic"].summary.total_costs < rows["rounded"].summary.total_costs
    assert rows["dynamic"].drag < rows["rounded"].drag
