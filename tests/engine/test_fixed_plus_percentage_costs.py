"""The course's cost model, "$10 + 0.1% a trade", in a replay (tests/fixtures/cash_flows without the flows).

Capital 10,000; AAA at 80%, rounded; orders fill at the next close.
03-25 close 100: target 80: buy 80.
03-26 close 101: buy 80 @101: notional 8,080, commission 10 + 8.08 = 18.08.
                 cash 10,000 - 8,080 - 18.08 = 1,901.92; NAV 1,901.92 + 8,080 = 9,981.92.
                 target 0.8 x 9,981.92 / 101 = 79.07 -> 79: sell 1.
03-27 close  99: sell 1 @99: commission 10 + 0.099 = 10.099; cash 1,901.92 + 99 - 10.099 = 1,990.821;
                 NAV 1,990.821 + 79 x 99 = 9,811.821.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from db.models import Equity, Fill
from db.session import open_engine
from tradesim.config import load_config
from tradesim.replay import replay

FIXTURE = Path(__file__).parent.parent / "fixtures" / "cash_flows" / "endowment.toml"


def test_a_fixed_fee_plus_a_percentage_per_trade(tmp_path: Path) -> None:
    config = load_config(FIXTURE, cash_flows=[], spending=None,
                         costs={"commission_fixed": 10.0, "commission_pct": 0.001})
    url = f"sqlite:///{tmp_path / 'l.db'}"
    replay(config, url)
    engine = open_engine(url)
    with engine.connect() as conn:
        fills = conn.execute(select(Fill.quantity, Fill.commission, Fill.cost_base).order_by(Fill.day)).all()
        equity = conn.execute(select(Equity.nav, Equity.cash).order_by(Equity.day)).all()
    engine.dispose()
    assert [f.quantity for f in fills[:2]] == [80, -1]
    np.testing.assert_allclose([f.commission for f in fills[:2]], [18.08, 10.099], atol=1e-9)
    np.testing.assert_allclose([e.cash for e in equity[:3]], [10_000.0, 1_901.92, 1_990.821], atol=1e-9)
    np.testing.assert_allclose([e.nav for e in equity[:3]], [10_000.0, 9_981.92, 9_811.821], atol=1e-9)


def test_the_fixed_fee_is_per_order_not_per_unit() -> None:
    from tradesim.costs import CostTable

    table = CostTable.from_config(load_config(FIXTURE, costs={"commission_fixed": 10.0, "commission_pct": 0.001}))
    fee = table.commission(np.array([0.0, 1.0, 1_000.0]), np.array([100.0] * 3), np.ones(3))
    assert list(fee) == pytest.approx([0.0, 10.1, 110.0])
    assert table.per_unit_cost(np.array([100.0]), np.ones(1)) == pytest.approx([0.1])
