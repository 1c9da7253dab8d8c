"""The sweep without Dask (variants run here, one after another): what the one writer records."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from db.models import Run, RunSummary
from db.session import open_engine
from tests.sweep.conftest import BIN, SMALL
from tradesim.compare import variant_config
from tradesim.config import load_config
from tradesim.errors import ConfigError, TradesimError
from tradesim.metrics import DAYS_PER_YEAR, daily_returns
from tradesim.replay import load_market, replay
from tradesim.sweep import record, run as sweep
from tradesim.sweep.results import SweepError, sweep_table
from tradesim.sweep.task import run_variant

GRID = ["optimiser.method=dynamic,round", "capital=200000,1000000"]


def small(sets):  # noqa: ANN001, ANN201
    return load_config(SMALL, sets=sets)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> tuple[str, sweep.Plan, sweep.Outcome]:  # noqa: ANN001
    url = f"sqlite:///{tmp_path_factory.mktemp('sweep') / 'sweep.db'}"
    plan = sweep.plan(small, GRID, compare=True)
    return url, plan, sweep.run(plan, url, None, load_market=load_market)


def test_each_variant_is_recorded_with_its_overrides_and_figures(ledger) -> None:  # noqa: ANN001
    url, plan, outcome = ledger
    assert len(outcome.recorded) == 4 and not outcome.failed and not outcome.skipped
    for v in plan.variants:
        config = load_config(SMALL, sets=v.sets)
        alone = replay(config, None)
        with open_engine(url).connect() as conn:
            run = conn.execute(select(Run).where(Run.id == outcome.recorded[v.key])).one()
            figures = conn.execute(select(RunSummary).where(RunSummary.run_id == run.id)).one()
        assert (run.sweep_id, run.overrides, run.status, run.mode) == (plan.sweep_id, v.key, "finished", "sweep")
        assert json.loads(run.overrides) == dict(v.overrides) and run.config == config.canonical_json()
        s = alone.summary
        assert (figures.annual_return, figures.sharpe, figures.max_drawdown, figures.total_costs, figures.trades,
                figures.end_nav) == (s.annual_return, s.sharpe, s.max_drawdown, s.total_costs, s.trades, s.end_nav)


def test_drag_and_te_against_the_ideal_follow_their_definitions(ledger) -> None:  # noqa: ANN001
    """Drag: the ideal's annual return minus the variant's; TEideal: annualised std of the
    daily return differences (as ``tradesim compare`` defines them), the ideal being the
    variant with fractional positions and no costs."""
    url, plan, outcome = ledger
    with open_engine(url).connect() as conn:
        table = sweep_table(conn, plan.sweep_id)
    assert table.compared
    for row in table.rows:
        r = dict(zip(table.columns, row))
        config = load_config(SMALL, sets=[f"optimiser.method={r['optimiser.method']}", f"capital={r['capital']}"])
        market = load_market(config)
        variant, ideal = replay(config, None, market=market), replay(variant_config(config, "none"), None, market=market)
        diff = daily_returns(variant.nav, config.capital) - daily_returns(ideal.nav, config.capital)
        assert r["drag"] == ideal.summary.annual_return - variant.summary.annual_return
        assert r["realised_te"] == pytest.approx(float(np.std(diff, ddof=1) * np.sqrt(DAYS_PER_YEAR)), rel=1e-12)


def test_variants_differing_only_in_the_optimisers_settings_share_one_ideal() -> None:
    plan = sweep.plan(small, ["optimiser.cost_multiplier=10,100", "optimiser.buffer_fraction=0.02,0.1",
                              "capital=1e5,1e6"], compare=True)
    ideals = {sweep.ideal_config(c).config_hash() for c in plan.configs.values()}
    assert len(ideals) == 2  # one per capital
    # A threshold trigger's bands are made of the buffer: there each buffer has its ideal.
    threshold = sweep.plan(small, ["optimiser.buffer_fraction=0.02,0.1"],
                           sets=['trigger={kind = "threshold", measure = "tracking_error"}'])
    assert len({sweep.ideal_config(c).config_hash() for c in threshold.configs.values()}) == 2


def test_a_rerun_records_nothing_and_a_second_recording_is_refused(ledger) -> None:  # noqa: ANN001
    url, plan, outcome = ledger
    again = sweep.run(plan, url, None, load_market=load_market)
    assert sorted(again.skipped) == sorted(outcome.recorded) and not again.recorded
    # Another client finishing the same variant later: the unique (sweep, overrides) index refuses it.
    variant = plan.variants[0]
    config = plan.configs[variant.key]
    market = load_market(config)
    result = run_variant(variant.key, config, market)
    db = open_engine(url)
    assert record.record(db, plan.sweep_id, variant.label, result, market.dates) is None
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Run).where(Run.sweep_id == plan.sweep_id)).scalar() == 4
    db.dispose()


def test_a_sweep_id_is_one_config_and_one_ledger_mode(ledger) -> None:  # noqa: ANN001
    url, plan, _ = ledger
    other = sweep.plan(small, GRID, sets=["risk_target=0.1"], name=plan.sweep_id)
    with pytest.raises(ConfigError, match=f"sweep {plan.sweep_id} was run on another config"):
        sweep.run(other, url, None, load_market=load_market)
    full = sweep.plan(small, GRID, ledger_mode="full", name=plan.sweep_id, compare=True)
    with pytest.raises(ConfigError, match="records --ledger summary, not full"):
        sweep.run(full, url, None, load_market=load_market)


@pytest.mark.parametrize("kwargs, message", [
    ({"grid": GRID, "ledger_mode": "some"}, "--ledger 'some': choose summary or full"),
    ({}, "give the variants as --grid"),
    ({"grid": ["capital=1,2"], "sets": ["capital=3"]}, "--set capital: the key is also swept"),
    ({"grid": ["capital=1,-5"]}, "variant capital=-5: .*field 'capital'"),
    ({"grid": ["optimiser.nope=1"]}, "variant nope=1: .*optimiser.nope"),
    ({"grid": ["capital=1"], "name": "no spaces"}, "--id 'no spaces'"),
])
def test_a_bad_sweep_is_refused_before_anything_runs(kwargs: dict, message: str) -> None:
    with pytest.raises(TradesimError, match=message):
        sweep.plan(small, **kwargs)


def test_sweep_figures_and_their_mistakes(ledger, tmp_path) -> None:  # noqa: ANN001
    url, plan, _ = ledger
    db = url.removeprefix("sqlite:///")
    done = subprocess.run([str(BIN / "tradesim"), "report", "--sweep", plan.sweep_id, "--metric", "drag", "--db", db,
                           "--out", str(tmp_path / "sweep.html"), "--png", str(tmp_path / "png")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    png = tmp_path / "png" / "sweep-drag-method-capital.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "sweep.html").read_text()
    assert "drag against the ideal over optimiser.method and capital" in html and "data:image/png;base64," in html

    from tradesim.report.sweep import render_sweep

    with open_engine(url).connect() as conn:
        lines = render_sweep(conn, plan.sweep_id, "sharpe", x="capital", lines=True)
        assert list(lines.figures) == ["sweep-sharpe-capital"]
        with pytest.raises(SweepError, match="--metric sortino: choose one of"):
            render_sweep(conn, plan.sweep_id, "sortino")
        with pytest.raises(SweepError, match="--x lambda: not a key of sweep"):
            render_sweep(conn, plan.sweep_id, x="lambda")
        with pytest.raises(SweepError, match="--sweep sw-nothing: no such sweep in the ledger"):
            render_sweep(conn, "sw-nothing")


def test_a_failing_variant_is_reported_and_not_recorded_and_the_others_run(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    plan = sweep.plan(small, ["data.max_daily_move=0.75,0.01"])  # 1% a day: the data's first big move stops it
    failed: list[str] = []
    outcome = sweep.run(plan, url, None, load_market=load_market,
                        on_variant=lambda key, run_id, error: failed.append(str(error)) if error else None)
    assert list(outcome.recorded) == ['{"data.max_daily_move":0.75}']
    assert list(outcome.failed) == ['{"data.max_daily_move":0.01}'] and outcome.exit_code == 2
    assert len(failed) == 1 and "beyond the sanity limit of 1% (data.max_daily_move)" in failed[0]
    again = sweep.run(plan, url, None, load_market=load_market)  # the failed one is tried again, alone
    assert again.skipped == ['{"data.max_daily_move":0.75}'] and list(again.failed) == list(outcome.failed)


def test_a_bad_grid_is_one_line_and_exit_2_with_nothing_written(tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "sweep.db"
    done = subprocess.run([str(BIN / "tradesim"), "sweep", str(SMALL), "--grid", "optimiser.cost_multiplier=25,lots",
                           "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: variant cost_multiplier=lots: ") and "optimiser.cost_multiplier" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not db.exists()


def test_each_variants_sharpe_is_over_its_own_risk_free_rate_and_shows_it(tmp_path) -> None:
    """A sweep over the rate itself: 0, 4% and the bundled T-bill rate. Each recorded Sharpe
    ratio is the variant's daily returns over its own rate; 4% lowers it by exactly 0.04 /
    annual volatility; the CSV puts the rate beside the ratio, the Sharpe figure's caption
    names the rates."""
    from tradesim.metrics import sharpe_ratio
    from tradesim.report.sweep import render_sweep
    from tradesim.risk_free import risk_free_rates

    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    plan = sweep.plan(small, ["risk_free=0,0.04,bundled:us_tbill_3m"])
    outcome = sweep.run(plan, url, None, load_market=load_market)
    assert len(outcome.recorded) == 3 and not outcome.failed
    alone = replay(small(["risk_free=0"]), None)
    r = daily_returns(alone.nav, small([]).capital)
    tbill = risk_free_rates("bundled:us_tbill_3m", alone.dates)
    with open_engine(url).connect() as conn:
        table = sweep_table(conn, plan.sweep_id)
        html = render_sweep(conn, plan.sweep_id, "sharpe", lines=True).html
    sr, rf = table.columns.index("sharpe"), table.columns.index("sharpe_rf")
    rows = {row[table.columns.index(table.keys[0])]: row for row in table.rows}
    assert set(rows) == {0, 0.04, "bundled:us_tbill_3m"}
    assert rows[0][rf] == 0.0 and rows[0.04][rf] == pytest.approx(0.04, rel=1e-12)
    assert rows["bundled:us_tbill_3m"][rf] == pytest.approx(float(np.mean(tbill)), rel=1e-12)
    assert 0.005 < rows["bundled:us_tbill_3m"][rf] < 0.03  # 2019-2020: TB3MS fell from 2.4% to 0.1%
    assert rows[0][sr] == pytest.approx(sharpe_ratio(r), rel=1e-12)
    assert rows[0.04][sr] == pytest.approx(sharpe_ratio(r, 0.04), rel=1e-12)
    assert rows[0][sr] - rows[0.04][sr] == pytest.approx(0.04 / alone.summary.annual_volatility, rel=1e-9)
    assert rows["bundled:us_tbill_3m"][sr] == pytest.approx(sharpe_ratio(r, tbill), rel=1e-12)
    rates = f"{np.mean(tbill):.2%}"
    assert f"over a risk-free rate of 0.00% or {rates} or 4.00%" in html
    shown = subprocess.run([str(BIN / "tradesim"), "runs", "--sweep", plan.sweep_id, "--format", "csv", "--db",
                            url.removeprefix("sqlite:///")], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr
    header = shown.stdout.splitlines()[0].split(",")
    assert header.index("sharpe_rf") == header.index("sharpe") + 1
