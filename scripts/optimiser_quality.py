"""How much greedy+polish improves on greedy on the reference problem set (prints figures).

f(x) = TE(x, x*) + lambda * sum_i c_i |x_i - x0_i|, the objective both searches lower.
Compared twice:
  * search: the positions each search reaches, before buffering (what polish optimises;
    polish never raises it);
  * final: the positions optimise_positions returns, after the pre-check and buffering
    (which may keep x0 or trade part of the way, so polish can end up worse here).

    python scripts/optimiser_quality.py [--problems DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_optimiser import DEFAULT_PROBLEMS, load  # noqa: E402

from tradesim.optimiser import objective, optimise_positions, tracking_error  # noqa: E402
from tradesim.optimiser.problem import prepare_problem  # noqa: E402
from tradesim.optimiser.search import run_search  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=Path, default=DEFAULT_PROBLEMS)
    options = parser.parse_args()

    rows = []
    for path in sorted((options.problems / "problems").glob("*.json")):
        args = load(path)
        p = prepare_problem(**args)

        def f(x):
            return objective(x, p.x_star, p.x0, p.v, p.Sigma, p.c, p.lam)

        x0 = p.x0 if p.x0 is not None else np.zeros(p.n, dtype=np.int64)
        greedy_search = run_search(p)
        polish_search = run_search(p, polish=True)
        greedy = optimise_positions(**args, method="greedy")
        polished = optimise_positions(**args, method="greedy+polish")
        rows.append(dict(
            name=path.name,
            search_greedy=f(greedy_search.x),
            search_polish=f(polish_search.x),
            moves=polish_search.polish_moves,
            final_greedy=f(greedy.positions),
            final_polish=f(polished.positions),
            different_trades=greedy.positions.tolist() != polished.positions.tolist(),
            contracts_changed=int(np.abs(greedy.positions - polished.positions).sum()),
            traded_greedy=int(np.abs(greedy.positions - x0).sum()),
            traded_polish=int(np.abs(polished.positions - x0).sum()),
            te_greedy=greedy.tracking_error,
            te_polish=polished.tracking_error,
            te_previous=tracking_error(x0, p.x_star, p.v, p.Sigma),
        ))

    print(f"{len(rows)} problems; f = TE + lambda * cost; a reduction > 0 means polish is better.\n")
    print(f"{'':<34}{'median':>11}{'smallest':>11}{'largest':>11}")
    for stage in ("search", "final"):
        absolute = [row[f"{stage}_greedy"] - row[f"{stage}_polish"] for row in rows]
        relative = [(row[f"{stage}_greedy"] - row[f"{stage}_polish"]) / row[f"{stage}_greedy"] for row in rows]
        print(f"{stage + ': reduction of f (absolute)':<34}"
              f"{statistics.median(absolute):>11.2e}{min(absolute):>11.2e}{max(absolute):>11.2e}")
        print(f"{stage + ': reduction of f (relative)':<34}"
              f"{statistics.median(relative):>10.2%} {min(relative):>10.2%} {max(relative):>10.2%}")
    improved = sum(row["search_polish"] < row["search_greedy"] for row in rows)
    worse = sum(row["final_polish"] > row["final_greedy"] for row in rows)
    better = sum(row["final_polish"] < row["final_greedy"] for row in rows)
    different = [row for row in rows if row["different_trades"]]
    print(f"\nsearch: polish moved in {sum(row['moves'] > 0 for row in rows)} problems and lowered f in "
          f"{improved} (median {statistics.median(row['moves'] for row in rows):.0f} moves, "
          f"at most {max(row['moves'] for row in rows)})")
    print(f"final: different trades in {len(different)} of {len(rows)} problems "
          f"(median {statistics.median([r['contracts_changed'] for r in different] or [0]):.0f} contracts "
          f"apart where different); polish better in {better}, worse in {worse}")
    print("\nfinal positions, medians over the problems:")
    print(f"  contracts traded |x - x0|:  greedy {statistics.median(r['traded_greedy'] for r in rows):.0f}, "
          f"polish {statistics.median(r['traded_polish'] for r in rows):.0f}")
    print(f"  tracking error:             greedy {statistics.median(r['te_greedy'] for r in rows):.4f}, "
          f"polish {statistics.median(r['te_polish'] for r in rows):.4f} "
          f"(holding x0: {statistics.median(r['te_previous'] for r in rows):.4f})")
    print(f"  no trade at all:            greedy in {sum(r['traded_greedy'] == 0 for r in rows)}, "
          f"polish in {sum(r['traded_polish'] == 0 for r in rows)} problems")
    print("\nper problem where the final trades differ (f greedy -> f polish, final positions):")
    for row in different:
        print(f"  {row['name']:<26}{row['final_greedy']:.6f} -> {row['final_polish']:.6f}"
              f"  ({(row['final_greedy'] - row['final_polish']) / row['final_greedy']:+.2%}, "
              f"{row['contracts_changed']} contracts apart)")


if __name__ == "__main__":
    main()
