"""Regenerate the README's report figures (docs/figures/*.png) from the bundled data.

    python scripts/make_readme_figures.py

Runs ``tradesim compare`` on the default portfolio (20 US stocks, bundled prices) from
2012 with 100,000 USD, small enough that whole shares visibly differ from the unrounded
optimum, into a throwaway ledger, renders the comparison's report and keeps two figures:

    docs/figures/report_equity.png    fractional, rounded and dynamic on one equity chart
    docs/figures/report_optimum.png   the dynamic run's unrounded optimum against the shares held

No network; about a minute.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "figures"
KEEP = {"equity": "report_equity.png", "optimum": "report_optimum.png"}


def main() -> None:
    from tradesim.compare import compare
    from tradesim.config import load_config
    from tradesim.replay import load_market
    from tradesim.report import render_report

    cfg = load_config(None, start=date(2012, 1, 3), capital=100_000)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'readme.db'}"
        rows, _ = compare(cfg, url, load_market(cfg))
        report = render_report(url, [r.run_id for r in rows], log_scale=True, symbols=("AAPL", "KO", "XOM"))
    OUT.mkdir(parents=True, exist_ok=True)
    for figure, name in KEEP.items():
        (OUT / name).write_bytes(report.figures[figure])
        print(OUT / name)


if __name__ == "__main__":
    main()
