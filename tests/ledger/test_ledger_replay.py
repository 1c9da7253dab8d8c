"""A real replay into the ledger: P&L attribution reconciles with equity, and PostgreSQL records what SQLite does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from db import queries
from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import replay

CONFIG = Path(__file__).parent / "data" / "mixed.toml"


@pytest.fixture(scope="module")
def config():  # noqa: ANN201
    return load_config(CONFIG)


def test_pnl_by_instrument_reconciles_with_equity(new_url, config) -> None:  # noqa: ANN001
    url = new_url()
    replay(config, url)
    equity = queries.equity(url)
    # Days with neither holdings nor fills (the first) have no P&L rows.
    by_day = queries.pnl(url, by="day").set_index("day")[["gross_pnl", "costs", "net_pnl"]]
    by_day = by_day.reindex(equity["day"], fill_value=0.0)
    assert len(equity) == 90
    # Gross P&L per day (position carried x price move x multiplier x FX, plus fill-to-close) is equity's.
    assert by_day["gross_pnl"].to_numpy() == pytest.approx(equity["gross_pnl"].to_numpy(), abs=1e-6)
    assert by_day["costs"].to_numpy() == pytest.approx(equity["costs"].to_numpy(), abs=1e-9)
    assert by_day["net_pnl"].to_numpy() == pytest.approx(equity["net_pnl"].to_numpy(), abs=1e-6)

    by_instrument = queries.pnl(url)
    assert by_instrument["symbol"].tolist() == ["BUND", "EUST", "SPYX", "ZNX"]
    assert (by_instrument["gross_pnl"] != 0).all() and (by_instrument["costs"] > 0).all()
    assert by_instrument["gross_pnl"].sum() == pytest.approx(equity["gross_pnl"].sum(), abs=1e-6)
    trades = queries.trades(url)
    assert set(trades["symbol"]) == {"BUND", "EUST", "SPYX", "ZNX"}
    assert by_instrument.set_index("symbol")["costs"].to_dict() == pytest.approx(
        trades.groupby("symbol")["cost_base"].sum().to_dict(), abs=1e-9)


def test_pnl_over_part_of_a_run_reconciles_too(new_url, config) -> None:  # noqa: ANN001
    url = new_url()
    replay(config, url)
    equity = queries.equity(url, since="2024-02-15", until="2024-03-20")
    months = queries.pnl(url, by=("asset_class", "month"), since="2024-02-15", until="2024-03-20")
    assert sorted(set(months["month"])) == ["2024-02", "2024-03"]
    assert months["gross_pnl"].sum() == pytest.approx(equity["gross_pnl"].sum(), abs=1e-6)
    assert months["costs"].sum() == pytest.approx(equity["costs"].sum(), abs=1e-9)


TABLES = {
    "orders": "day, instrument_id, quantity, side, target, optimal, reason, status",
    "fills": "day, decided_on, instrument_id, quantity, price, contract_price, commission, slippage, fx, cost_base, "
             "notional_base",
    "positions": "day, instrument_id, quantity, price, fx, notional_base",
    "equity": "day, nav, cash, costs, roll_costs, gross_pnl, net_pnl, gross_exposure, traded_notional",
    "diagnostics": "day, tracking_error, adjustment_factor, path, passes, reason, rebalanced",
    "processed_days": "day",
}


def _plain(row) -> tuple:  # noqa: ANN001
    # Plain SQL on SQLite returns dates as text: compare both backends' rows in that form.
    return tuple(v.isoformat() if isinstance(v, date) else v for v in row)


def ledger_rows(url: str) -> dict[str, list[tuple]]:
    engine = open_engine(url)
    with engine.connect() as conn:
        out = {t: [_plain(r) for r in conn.execute(text(f"SELECT {cols} FROM {t} ORDER BY {cols}"))]
               for t, cols in TABLES.items()}
        out["runs"] = [_plain(r) for r in conn.execute(text("SELECT mode, status, start_date, end_date FROM runs"))]
    engine.dispose()
    return out


def test_a_replay_into_postgresql_records_exactly_what_sqlite_does(pg_databases, config, tmp_path) -> None:  # noqa: ANN001
    pg_url = pg_databases.new()
    assert pg_url.startswith("postgresql+psycopg://")
    replay(config, pg_url)
    replay(config, f"sqlite:///{tmp_path / 'same.db'}")
    pg, lite = ledger_rows(pg_url), ledger_rows(f"sqlite:///{tmp_path / 'same.db'}")
    assert pg["runs"] == lite["runs"] == [("replay", "finished", pg["equity"][0][0], pg["equity"][-1][0])]
    for table in TABLES:
        assert len(pg[table]) == len(lite[table]) > 0, table
        assert pg[table] == lite[table], table


def _with_gaps(market):  # noqa: ANN001, ANN202
    """The default market with some instrument-days priceless (valued at the last price), so
    that some orders decided the day before cannot fill and are cancelled."""
    import numpy as np

    from tradesim.market import Market

    has_price, close = market.has_price.copy(), market.close.copy()
    rng = np.random.default_rng(7)
    for t in sorted(rng.choice(np.arange(40, market.n_days), size=60, replace=False)):
        j = rng.integers(market.n_instruments)
        has_price[t, j], close[t, j] = False, close[t - 1, j]
    return Market(market.dates, market.symbols, close, has_price, market.open, close, market.fx,
                  market.multiplier, market.is_future, market.asset_class, market.currency)


def all_rows(url: str) -> dict[str, list[tuple]]:
    """Every ledger row with its id, in id (or key) order: what a group's writes must not change."""
    engine = open_engine(url)
    with engine.connect() as conn:
        out = {t: [_plain(r) for r in conn.execute(text(f"SELECT id, {cols} FROM {t} ORDER BY id"))]
               for t, cols in TABLES.items() if t in ("orders", "fills")}
        out.update({t: [_plain(r) for r in conn.execute(text(f"SELECT {cols} FROM {t} ORDER BY {cols}"))]
                    for t, cols in TABLES.items() if t not in ("orders", "fills")})
    engine.dispose()
    return out


def test_days_written_in_groups_give_the_rows_of_days_written_one_by_one(new_url) -> None:  # noqa: ANN001
    """A replay writes its days in groups (orders settled within the group by the next day's
    fills, the group's last pending orders by UPDATE in the next): whatever the group size,
    the rows, their ids and every order's status are those of writing each day on its own."""
    from tradesim.replay import load_market

    cfg = load_config(start="1991-01-01", end="1991-12-31")
    market = _with_gaps(load_market(cfg))
    rows = {}
    for every in (1, 3, 64, 10_000):
        url = new_url()
        replay(cfg, url, market=market, commit_every=every)
        rows[every] = all_rows(url)
    statuses = [r[-1] for r in rows[1]["orders"]]
    assert statuses.count("cancelled") >= 5 and statuses.count("filled") > 100
    assert statuses[-1] == "pending"  # the last day's orders wait for a next day that never comes
    assert rows[3] == rows[1] and rows[64] == rows[1] and rows[10_000] == rows[1]
