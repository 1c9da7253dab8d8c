#!/usr/bin/env python
"""Issue 13's "Done when" on the Jumbo portfolio: every cell measured, one table.

For each sizing (NAV, fixed) and account size ($100k, $500k, $50m) it replays Jumbo
(strategies/configs/jumbo.toml: 123 futures from 2000, deflated costs) as `tradesim
compare` does, ledger in memory:

    ideal       fractional positions, no costs (what the drag is measured against)
    rounded     rint(x*) every day
    greedy      Carver's greedy search, lambda = 50, B = 1% (the config's)
    dynamic     the default search, same lambda and B
    dynamic λ=0 B=0, and greedy λ=0 B=0 with --greedy-zero: the searches alone

and prints, per cell, drag against the ideal and Sharpe ratio of rounded, greedy and
dynamic, and TE against x* (annualised, the optimiser's measure) of rounded and of
dynamic at lambda = 0 with no buffer, then a verdict on each of the issue's conditions:

    drag(dynamic) < drag(rounded) and < drag(greedy)
    SR(dynamic) >= SR(rounded) and >= SR(greedy)
    TE(dynamic, lambda = 0, no buffer) <= TE(rounded)

    python scripts/jumbo_done_when.py                       # all 6 cells: 30 replays, long
    python scripts/jumbo_done_when.py --sizing fixed --capitals 50000000
    python scripts/jumbo_done_when.py --end 2003-12-31      # a quick look

Each cell prints as it finishes (with its seconds); the table comes last, also as Markdown.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
JUMBO = ROOT / "strategies" / "configs" / "jumbo.toml"
# Beside the repository (/work/main) or beside the folder of worktrees (/work/wt/iN).
FUTURES_CANDIDATES = [ROOT.parent / "shared" / "data" / "futures", ROOT.parent.parent / "shared" / "data" / "futures"]


def futures_folder(given: Path | None) -> Path | None:
    for folder in ([given] if given else FUTURES_CANDIDATES):
        if (folder / "instruments.csv").is_file():
            return folder.resolve()
    return None


def cell(config, market, greedy_zero: bool) -> dict:
    from tradesim.compare import compare, variant_config
    from tradesim.replay import replay

    rows, _ = compare(config, None, market, variants=("rounded", "greedy", "dynamic"))
    by = {r.variant: r for r in rows}
    figures = {name: {"drag": by[name].drag, "sr": by[name].summary.sharpe, "te": by[name].tracking_error}
               for name in ("rounded", "greedy", "dynamic")}
    searches = ("dynamic", "greedy") if greedy_zero else ("dynamic",)
    for name in searches:
        zero = variant_config(config, name, cost_multiplier=0.0, buffer_fraction=0.0)
        result = replay(zero, None, market=market, mode="compare", label=f"{name} lambda=0 buffer=0")
        figures[name]["te0"] = float(np.mean(result.tracking_error))
    return figures


def verdicts(f: dict) -> list[str]:
    """The conditions a cell fails (empty: it meets all of them)."""
    d, r, g = f["dynamic"], f["rounded"], f["greedy"]
    failed = []
    if not d["drag"] < r["drag"]:
        failed.append("drag >= rounded's")
    if not d["drag"] < g["drag"]:
        failed.append("drag >= greedy's")
    if not d["sr"] >= r["sr"]:
        failed.append("SR < rounded's")
    if not d["sr"] >= g["sr"]:
        failed.append("SR < greedy's")
    if not d["te0"] <= r["te"]:
        failed.append("TE(λ=0, B=0) > rounded's")
    return failed


def money(x: float) -> str:
    return f"${x / 1e6:g}m" if x >= 1e6 else f"${x / 1e3:g}k"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capitals", default="100000,500000,50000000", help="comma-separated account sizes")
    parser.add_argument("--sizing", default="nav,fixed", help="nav, fixed or both (comma-separated)")
    parser.add_argument("--end", default=None, help="last day, YYYY-MM-DD (default: the data's)")
    parser.add_argument("--greedy-zero", action="store_true", help="also greedy at lambda = 0, no buffer")
    parser.add_argument("--futures-data", type=Path, default=None, help="the futures folder (default: the shared data)")
    args = parser.parse_args()
    folder = futures_folder(args.futures_data)
    if folder is None:
        print(f"skipped: no futures data (instruments.csv) in {args.futures_data or ' or '.join(map(str, FUTURES_CANDIDATES))}")
        return 0

    from tradesim.config import load_config
    from tradesim.optimiser import warm_up
    from tradesim.replay import load_market

    capitals = [float(c) for c in args.capitals.split(",")]
    sizings = [s.strip() for s in args.sizing.split(",")]
    overrides = {"end": args.end} if args.end else {}
    logging.getLogger("tradesim").setLevel(logging.ERROR)  # each replay's missing-price notes, 30 times over
    warm_up()
    market = None
    table = []
    print(f"Jumbo, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start", flush=True)
    for sizing in sizings:
        for capital in capitals:
            config = load_config(JUMBO, sets=[f'data.path="{folder}"', f'sizing_capital="{sizing}"'],
                                 capital=capital, **overrides)
            if market is None:  # the same prices for every cell: capital and sizing are the engine's
                market = load_market(config)
            started = time.perf_counter()
            f = cell(config, market, args.greedy_zero)
            table.append((sizing, capital, f))
            print(f"{sizing} {money(capital)}: done in {time.perf_counter() - started:.0f} s "
                  f"({', '.join(verdicts(f)) or 'meets every condition'})", flush=True)

    header = ["sizing", "capital", "drag rounded", "drag greedy", "drag dynamic", "SR rounded", "SR greedy",
              "SR dynamic", "TE rounded", "TE dynamic λ=0 B=0"]
    if args.greedy_zero:
        header.append("TE greedy λ=0 B=0")
    header.append("dynamic fails")
    lines = []
    for sizing, capital, f in table:
        r, g, d = f["rounded"], f["greedy"], f["dynamic"]
        row = [sizing, money(capital), f"{r['drag']:.2%}", f"{g['drag']:.2%}", f"{d['drag']:.2%}",
               f"{r['sr']:.2f}", f"{g['sr']:.2f}", f"{d['sr']:.2f}", f"{r['te']:.2%}", f"{d['te0']:.2%}"]
        if args.greedy_zero:
            row.append(f"{g['te0']:.2%}")
        row.append(", ".join(verdicts(f)) or "none")
        lines.append(row)
    print("\ndrag: the ideal's annual return minus the variant's; SR: Sharpe ratio; TE: average tracking error "
          "against x*, annualised; greedy and dynamic at lambda = 50, B = 1% unless marked\n")
    widths = [max(len(h), *(len(row[k]) for row in lines)) for k, h in enumerate(header)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for row in lines:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in lines:
        print("| " + " | ".join(row) + " |")
    met = sum(not verdicts(f) for _, _, f in table)
    print(f"\n{met} of {len(table)} cells meet every condition")
    return 0


if __name__ == "__main__":
    sys.exit(main())
