"""The configs behind the report tests' small real ledgers (replayed in conftest.py).

- ``stocks``: three bundled US stocks, 2019-01 to 2021-06 (longer than the one-year
  rolling window), dynamic optimiser, weekly hybrid trigger (reviews and emergencies).
- ``futures``: the SYNTHETIC pysystemtrade fixture (90 days: shorter than the window),
  long the EUR bund future and short crude, fixed weights: two asset classes, FX, rolls.
- ``compare``: a ``tradesim compare`` of the stock config over one year (three runs).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tradesim.config import PortfolioConfig, parse_config

REPO = Path(__file__).resolve().parents[2]
PST = REPO / "tests" / "fixtures" / "pysystemtrade"

STOCKS_TOML = """
name = "three-stocks"
capital = 1_000_000
risk_target = 0.20
start = 2019-01-02
end = 2021-06-30
[trigger]
kind = "hybrid"
cron = "0 16 * * fri"
snap = "next"
[trigger.review]
measure = "drift"
band = 0.01
[trigger.emergency]
measure = "drift"
band = 0.03
[data]
source = "bundled"
dataset = "sp500"
[strategy]
name = "buy_and_hold_risk_parity"
[optimiser]
method = "dynamic"
start = "rounded"
[costs]
commission_pct = 0.0005
commission_min = 1.0
half_spread_bps = 5.0
[[instruments]]
symbol = "AAPL"
[[instruments]]
symbol = "KO"
[[instruments]]
symbol = "XOM"
"""

FUTURES_TOML = f"""
name = "synthetic-futures"
capital = 1_000_000
risk_target = 0.20
[data]
source = "pysystemtrade"
path = "{PST}"
[strategy]
name = "fixed_weights"
[strategy.params.weights]
SYNTH_BUND = 2.0
SYNTH_CRUDE = -0.5
[optimiser]
method = "round"
[[instruments]]
symbol = "SYNTH_BUND"
multiplier = 100
currency = "EUR"
asset_class = "Bond"
kind = "future"
[instruments.costs]
commission_per_unit = 2.0
half_spread = 0.01
[[instruments]]
symbol = "SYNTH_CRUDE"
multiplier = 10
asset_class = "OilGas"
kind = "future"
[instruments.costs]
commission_per_unit = 1.5
half_spread = 0.02
"""


def stocks_config(**overrides) -> PortfolioConfig:  # noqa: ANN003
    return parse_config(tomllib.loads(STOCKS_TOML), "<stocks>", **overrides)


def futures_config(**overrides) -> PortfolioConfig:  # noqa: ANN003
    return parse_config(tomllib.loads(FUTURES_TOML), "<futures>", **overrides)
