"""Replay every allocation example config over its full bundled data and print one summary table.

    python scripts/replay_allocations.py [--markdown] [--configs DIR]

``--markdown`` prints the README's table (without the timings) and the notes under it.

The ledger is kept in memory (no database). Each strategy's own story comes from what it
logs during the replay (structured ``extra`` on the log records): the tactical tilts, a
CPPI floor breach, the beta profile's quarterly allocations.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tradesim.config import load_config  # noqa: E402
from tradesim.metrics import sharpe_cell  # noqa: E402
from tradesim.replay import replay  # noqa: E402

CONFIGS = [
    "allocation_strategic.toml",
    "allocation_tactical.toml",
    "allocation_cppi.toml",
    "allocation_risk_parity_erc.toml",
    "allocation_risk_parity_inverse_vol.toml",
    "allocation_beta_profile.toml",
]


class Collect(logging.Handler):
    """Keeps the structured payloads strategies attach to their log records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.payloads: dict[str, list] = {}

    def emit(self, record: logging.LogRecord) -> None:
        for key in ("tactical_tilt", "cppi_breach", "beta_profile"):
            if hasattr(record, key):
                self.payloads.setdefault(key, []).append(getattr(record, key))


def notes(strategy: str, payloads: dict[str, list], start) -> str:  # noqa: ANN001
    out = []
    if "tactical_tilt" in payloads:
        tilts = np.array([p["tilt"] for p in payloads["tactical_tilt"]])
        out.append(f"{len(tilts)} tilt changes logged, tilt {tilts.min():+.1%} to {tilts.max():+.1%}")
    if "cppi_breach" in payloads:
        b = payloads["cppi_breach"][0]
        out.append(f"floor breached {b.date.date()} (NAV {b.nav:,.0f} <= floor {b.floor:,.0f})")
    elif strategy == "cppi":
        out.append("floor never breached")
    if "beta_profile" in payloads:
        qs = [q for q in payloads["beta_profile"] if q.date >= start]
        betas = np.array([q.result.beta for q in qs])
        x = np.array([q.result.allocation for q in qs]).mean(axis=0)
        out.append(f"{len(qs)} quarters, planned beta {betas.min():.2f}-{betas.max():.2f}, "
                   f"mean x low/mid/high {x[0]:.0%}/{x[1]:.0%}/{x[2]:.0%}")
    return "; ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=Path, default=Path(__file__).resolve().parent.parent / "strategies" / "configs")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # the console shows warnings; INFO goes only to Collect
    strategies_log = logging.getLogger("strategies")
    strategies_log.setLevel(logging.INFO)

    header = ["config", "strategy", "from", "to", "ann. return", "ann. vol", "Sharpe", "max DD", "turnover",
              "trades", "costs", "end NAV", "secs", "notes"]
    rows = []
    for name in CONFIGS:
        cfg = load_config(args.configs / name)
        collect = Collect()
        strategies_log.addHandler(collect)
        started = time.perf_counter()
        try:
            result = replay(cfg, None)
        finally:
            strategies_log.removeHandler(collect)
        seconds = time.perf_counter() - started
        s = result.summary
        rows.append([name.removesuffix(".toml"), cfg.strategy.name, str(result.dates[0].date()),
                     str(result.dates[-1].date()), f"{s.annual_return:.2%}", f"{s.annual_volatility:.2%}",
                     sharpe_cell(s), f"{s.max_drawdown:.2%}", f"{s.annual_notional_turnover:.2f}x", f"{s.trades:,}",
                     f"{s.total_costs:,.0f}", f"{s.end_nav:,.0f}", f"{seconds:.1f}",
                     notes(cfg.strategy.name, collect.payloads, result.dates[0])])
    if args.markdown:
        # The README's table, as printed: timings (noisy) stay out, the notes follow as a list.
        shown = header[:-2]
        print("| " + " | ".join(shown) + " |")
        print("|" + "|".join("---" for _ in shown) + "|")
        for r in rows:
            print("| " + " | ".join(r[:-2]) + " |")
        print()
        for r in rows:
            if r[-1]:
                print(f"- {r[0]}: {r[-1]}")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="allocation strategies, full bundled data (capital 1,000,000 USD; costs per config)")
    for h in header:
        table.add_column(h, justify="left" if h in ("config", "strategy", "notes") else "right")
    for r in rows:
        table.add_row(*r)
    Console(width=250).print(table)


if __name__ == "__main__":
    main()
