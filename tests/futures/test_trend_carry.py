"""The trend_carry strategy: sizing formula by hand, and its behaviour on the synthetic fixture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strategies.base import StrategyContext
from strategies.trend_carry import TrendCarry
from tradesim.config import load_config, parse_config
from tradesim.data.pysystemtrade import PysystemtradeSource
from tradesim.data.source import PriceBars
from tradesim.engine import Engine
from tradesim.errors import ConfigError
from tradesim.market import build_market
from tradesim.replay import load_market, replay

DATES = pd.bdate_range("2024-03-04", periods=3)


def carry_only_config(symbols: list[tuple[str, str, str, float]]) -> object:
    return parse_config({
        "name": "sizing", "capital": 500_000, "risk_target": 0.2,
        "strategy": {"name": "trend_carry", "params": {"trend_spans": [], "carry_spans": [1], "fdm": 1.0}},
        "instruments": [{"symbol": s, "currency": c, "asset_class": a, "multiplier": m, "kind": "future"}
                        for s, c, a, m in symbols],
    })


def test_position_formula_by_hand() -> None:
    """One instrument, carry with span 1 (no smoothing) so the forecast is worked by hand:
    PRICE 100 (contract 20240600), CARRY 100.5 (20240300): annualised carry (100 - 100.5) / (-3/12) = 2
    points a year; annual price vol 100 x 10% = 10 points; forecast 2 / 10 x 30 = 6.
    Weight = 6/10 x IDM 1 x w 1 x tau 0.2 / sigma 0.10 = 1.2 of capital; the engine's position
    = 1.2 x 500,000 / (50 x 100 x 1.25 USD per EUR) = 96 contracts."""
    cfg = carry_only_config([("SYN_DAX", "EUR", "Equity", 50.0)])
    frame = lambda v: pd.DataFrame({"SYN_DAX": v}, index=DATES)  # noqa: E731
    bars = PriceBars(close=frame([-20.0, -20.0, -20.0]), contract_price=frame([100.0] * 3),
                     carry_price=frame([100.5] * 3), contract=frame([20240600] * 3),
                     carry_contract=frame([20240300] * 3), fx=pd.DataFrame({"EURUSD": [1.25] * 3}, index=DATES))
    market = build_market(cfg, bars)
    strategy = TrendCarry(trend_spans=[], carry_spans=[1], fdm=1.0)
    vol = np.full((3, 1), 0.10)
    strategy.prepare(StrategyContext(market, cfg, market.percentage_returns(), vol))
    assert strategy.forecasts["carry1"][:, 0] == pytest.approx([6.0, 6.0, 6.0])
    assert strategy.idm == pytest.approx([1.0, 1.0, 1.0]) and strategy.instrument_weights[:, 0] == pytest.approx([1, 1, 1])
    weight = strategy.target_weights(2, None)[0]
    assert weight == pytest.approx(1.2)
    unit = market.multiplier[0] * market.contract_price[2, 0] * market.fx[2, 0]
    assert weight * 500_000 / unit == pytest.approx(96.0)


def test_asset_classes_and_idm_enter_the_weight() -> None:
    """Two instruments in two classes (0.5 each), uncorrelated (weekly correlation not yet estimated:
    0), so IDM = 1 / sqrt(0.5^2 + 0.5^2) = sqrt(2): weight = 6/10 x sqrt(2) x 0.5 x 0.2 / 0.10."""
    cfg = carry_only_config([("SYN_A", "USD", "Bond", 10.0), ("SYN_B", "USD", "Ags", 10.0)])
    frame = lambda v: pd.DataFrame({"SYN_A": v, "SYN_B": v}, index=DATES)  # noqa: E731
    bars = PriceBars(close=frame([5.0] * 3), contract_price=frame([100.0] * 3), carry_price=frame([100.5] * 3),
                     contract=frame([20240600] * 3), carry_contract=frame([20240300] * 3))
    market = build_market(cfg, bars)
    strategy = TrendCarry(trend_spans=[], carry_spans=[1], fdm=1.0)
    strategy.prepare(StrategyContext(market, cfg, market.percentage_returns(), np.full((3, 2), 0.10)))
    assert strategy.target_weights(2, None) == pytest.approx([0.6 * np.sqrt(2) * 0.5 * 2.0] * 2)


@pytest.fixture(scope="module")
def fixture_config(tmp_path_factory, pst_folder: Path):  # noqa: ANN001, ANN201
    path = tmp_path_factory.mktemp("cfg") / "synthetic.toml"
    path.write_text(f"""name = "synthetic-trend-carry"
capital = 1000000
risk_target = 0.2
[data]
source = "pysystemtrade"
path = "{pst_folder}"
[strategy]
name = "trend_carry"
[strategy.params]
fdm_min_observations = 20
[optimiser]
method = "round"
[[instruments]]
symbol = "SYNTH_BUND"
[[instruments]]
symbol = "SYNTH_CRUDE"
""")
    return load_config(path)


@pytest.fixture(scope="module")
def engine(fixture_config):  # noqa: ANN001, ANN201
    return Engine(fixture_config, load_market(fixture_config))


def test_weights_follow_the_formula_on_the_fixture(engine) -> None:  # noqa: ANN001
    s, vol = engine.strategy, engine.vol
    live = np.isfinite(s.weights)
    expected = s.combined / 10 * s.idm[:, None] * s.instrument_weights * 0.2 / vol
    np.testing.assert_allclose(s.weights[live], expected[live], rtol=1e-12)
    # Combined forecast: FDM x weighted rules (60% trend over six spans, 40% carry over four), capped.
    rules = np.stack(list(s.forecasts.values()), axis=2)
    rule_w = np.array([0.1] * 6 + [0.1] * 4)
    t = 80
    raw = (rules[t] * rule_w).sum(axis=1)
    assert s.combined[t] == pytest.approx(np.clip(raw * s.fdm_used[t], -20, 20))
    assert (s.fdm_used[t] > 1.0).all() and (s.fdm_used <= 2.5).all()


def test_rules_a_few_instruments_at_a_time_give_the_same_bits(fixture_config, engine, monkeypatch) -> None:  # noqa: ANN001
    """Each rule works on an instrument's own series: computing them one instrument at a time
    gives every weight and every part bit for bit, and only the weights are kept."""
    import strategies.trend_carry as trend_carry

    monkeypatch.setattr(trend_carry, "INSTRUMENTS_AT_ONCE", 1)
    one_at_a_time = Engine(fixture_config, engine.market).strategy
    assert one_at_a_time._parts is None  # the parts are recomputed when asked for
    assert one_at_a_time.weights.tobytes() == engine.strategy.weights.tobytes()
    for part in ("combined", "fdm_used", "instrument_weights", "idm"):
        assert getattr(one_at_a_time, part).tobytes() == getattr(engine.strategy, part).tobytes()
    assert one_at_a_time.idm is one_at_a_time.idm  # recomputed once, then kept


def test_no_rule_has_a_forecast_before_the_first_forecast_day(engine) -> None:  # noqa: ANN001
    """What the blocks leave out (``first_forecast_day``) is NaN in every rule, and each instrument's
    rules have forecasts from some day on."""
    from strategies.trend_carry import first_forecast_day

    s = engine.strategy
    first = first_forecast_day(s._forecast_inputs)
    assert (first < engine.market.n_days).all()
    for forecast in s.forecasts.values():
        for i, day in enumerate(first):
            assert np.isnan(forecast[:day, i]).all()
    assert all(np.isfinite(np.stack([f[:, i] for f in s.forecasts.values()])).any() for i in range(len(first)))


def test_instruments_joining_late_give_the_same_bits_as_whole_blocks(fixture_config, engine, monkeypatch) -> None:  # noqa: ANN001
    """Blocks of days store only the instruments that can have a forecast by their last day: with
    instruments joining years apart, the weights and every part are those of blocks holding every
    instrument, bit for bit."""
    import dataclasses

    import strategies.forecasts.combine as combine
    import strategies.trend_carry as trend_carry

    monkeypatch.setattr(combine, "BLOCK_DAYS", 16)  # the fixture's 90 days in six blocks
    m = engine.market
    late = m.has_price.copy()
    late[:20, 0], late[:5, -1] = False, False
    market = dataclasses.replace(m, has_price=late, close=np.where(late, m.close, np.nan),
                                 contract_price=np.where(late, m.contract_price, np.nan))
    packed = Engine(fixture_config, market).strategy
    # Each joins (35 returns for a volatility) in a different block, after the first two.
    assert sorted(trend_carry.first_forecast_day(packed._forecast_inputs) // 16) == [2, 3]
    monkeypatch.setattr(trend_carry, "first_forecast_day", lambda ctx: np.zeros(ctx.market.n_instruments, int))
    whole = Engine(fixture_config, market).strategy
    assert packed.weights.tobytes() == whole.weights.tobytes()
    assert np.isfinite(packed.weights[:, [0, -1]]).any(axis=0).all()  # both trade once they join
    for part in ("combined", "fdm_used", "instrument_weights", "idm"):
        assert getattr(packed, part).tobytes() == getattr(whole, part).tobytes()


def test_too_short_history_has_no_position(engine) -> None:  # noqa: ANN001
    s, vol = engine.strategy, engine.vol
    assert np.isnan(s.weights[np.isnan(vol)]).all()
    first = np.argmax(np.isfinite(vol), axis=0)
    assert (first >= 35).all()  # 35 real returns before a volatility, hence a position
    assert np.isfinite(s.weights[first, [0, 1]]).all()


def test_no_look_ahead(fixture_config, engine) -> None:  # noqa: ANN001
    """Prices after day 60 changed wildly: every row up to day 60 is unchanged."""
    bars = PysystemtradeSource(fixture_config.data.path).load(fixture_config.symbols)
    later = bars.close.index > bars.close.index[60]
    close = bars.close.copy()
    close.loc[later] = close.loc[later] * 1.5 + 7.0
    carry = bars.carry_price.copy()
    carry.loc[carry.index > bars.close.index[60]] += 3.0
    changed = Engine(fixture_config, build_market(fixture_config, PriceBars(
        close=close, contract_price=bars.contract_price, carry_price=carry, contract=bars.contract,
        carry_contract=bars.carry_contract, fx=bars.fx)))
    np.testing.assert_array_equal(changed.strategy.weights[:61], engine.strategy.weights[:61])
    assert not np.array_equal(changed.strategy.weights[61:], engine.strategy.weights[61:], equal_nan=True)


def test_without_carry_data_trend_takes_all_the_weight(fixture_config, engine) -> None:  # noqa: ANN001
    bars = PysystemtradeSource(fixture_config.data.path).load(fixture_config.symbols)
    no_carry = Engine(fixture_config, build_market(fixture_config, PriceBars(
        close=bars.close, contract_price=bars.contract_price, contract=bars.contract, fx=bars.fx))).strategy
    assert all(np.isnan(no_carry.forecasts[f"carry{s}"]).all() for s in (5, 20, 60, 120))
    trend = np.stack([no_carry.forecasts[k] for k in no_carry.forecasts if k.startswith("ewmac")], axis=2)
    t = 80
    assert no_carry.combined[t] == pytest.approx(np.clip(trend[t].mean(axis=1) * no_carry.fdm_used[t], -20, 20))


def test_replay_reconciles_to_the_cent(fixture_config) -> None:  # noqa: ANN001
    """Sum of daily futures P&L (held x change in back-adjusted price x multiplier x FX, plus
    fill-to-close) minus all costs equals the change in NAV."""
    market = load_market(fixture_config)
    engine = Engine(fixture_config, market)
    book, held, pnl, costs, trades = engine.opening_book(), np.zeros(2), 0.0, 0.0, 0
    for t in range(market.n_days):
        book, day = engine.step(book, t)
        if t:
            pnl += float(np.nansum(held * (market.close[t] - market.close[t - 1]) * market.multiplier * market.fx[t]))
        f = day.fills
        pnl += float(np.sum(f.quantity * (market.close[t, f.instrument] - f.price) * market.multiplier[f.instrument]
                            * f.fx))
        costs += day.costs
        trades += len(f.instrument)
        held = day.positions.copy()
    assert trades > 10 and costs > 0
    assert pnl - costs == pytest.approx(book.nav - 1_000_000, abs=0.005)
    assert replay(fixture_config, None).nav[-1] == pytest.approx(book.nav, abs=0.005)


def test_bad_parameters_are_config_errors(tmp_path: Path, pst_folder: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"""name = "bad"
capital = 1000
[data]
source = "pysystemtrade"
path = "{pst_folder}"
[strategy]
name = "trend_carry"
[strategy.params]
trend_spans = [3, 8]
[[instruments]]
symbol = "SYNTH_BUND"
""")
    with pytest.raises(ConfigError, match="no AFTS forecast scalar for trend span 3: give trend_scalars"):
        load_config(path)
    with pytest.raises(ValueError, match="trend_weight"):
        TrendCarry(trend_weight=1.5)
    with pytest.raises(ValueError, match="2 values for 1 trend_spans"):
        TrendCarry(trend_spans=[8], trend_scalars=[5.95, 1.0])
