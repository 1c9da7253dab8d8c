"""Time the optimiser's searches on the reference problem set (prints figures, asserts nothing).

Three tables: "greedy" (Carver's, the reference), "greedy+polish", and "dynamic" (the
default search; passes are its greedy start's steps, moves its local search's).

Each call is timed as the engine makes it: numpy arrays already built, covariance
checked once beforehand with check_covariance, then
optimise_positions(..., validate=False) with the numba backend loaded (warm_up() first,
so compilation or cache loading is not timed). The "valid." column times the same call
with validate=True (covariance checked on every call). "search" times only the search
(run_search on a prepared problem: set-up plus the compiled loops), whose cost per
N x passes shows the O(N x passes) growth once the fixed per-call costs are left out.

    python scripts/bench_optimiser.py [--problems DIR] [--seconds 0.2]
    python scripts/bench_optimiser.py --jumbo [--repeat 3]

``--jumbo``: the optimiser on the Jumbo replay's own problems (123 futures, 6,312 days): the
replay runs once in-process (ledger in memory) keeping each day's optimise_positions
arguments, then those calls are run again as the engine made them, wall and CPU time (best of
--repeat passes over all of them, numba warmed up), with the dynamic search's compiled driver
(the default) and its Python driver, each on one thread and then, where the machine has a
second core, sharing its starts with a second thread; each result checked equal to the
replay's, bit for bit (positions, TE, cost, alpha, path, passes, moves). The wall times are the figure for two threads (their
CPU adds up both threads'); they follow the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_replay, for --jumbo

import numba  # noqa: E402

from tradesim.optimiser import check_covariance, optimise_positions, warm_up  # noqa: E402
from tradesim.optimiser.problem import prepare_problem  # noqa: E402
from tradesim.optimiser.problem_file import load_problem  # noqa: E402
from tradesim.optimiser.search import run_search  # noqa: E402
from peak import say_this_process  # noqa: E402

DEFAULT_PROBLEMS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "optimiser"


def load(path: Path) -> dict:
    return load_problem(path)


def median_seconds(call, budget: float, min_repeats: int = 20, max_repeats: int = 2000):
    """Median wall time of call(), repeated until `budget` seconds or max_repeats."""
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or (
        time.perf_counter() - start < budget and len(times) < max_repeats
    ):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def group_of(name: str) -> tuple[str, int]:
    family, _, size, _ = name.removesuffix(".json").split("_")
    return family, int(size[1:])


def jumbo(repeat: int) -> None:
    """The optimiser over the Jumbo replay's own calls, on one thread and on two (see the module's docstring)."""
    import tradesim.optimiser
    from bench_replay import FUTURES_DATA, JUMBO
    from tradesim.config import load_config
    from tradesim.replay import load_market, replay

    if not FUTURES_DATA.is_dir():
        print(f"skipped: the futures data is not at {FUTURES_DATA}")
        return
    calls = []
    engine_calls = tradesim.optimiser.optimise_positions

    def keep(*args, **kwargs):
        result = engine_calls(*args, **kwargs)
        calls.append(([a.copy() if isinstance(a, np.ndarray) else a for a in args], kwargs, result))
        return result

    warm_up()
    config = load_config(JUMBO, sets=[f'data.path="{FUTURES_DATA}"'])
    tradesim.optimiser.optimise_positions = keep  # sizing.py looks it up on each call
    try:
        replay(config, None, market=load_market(config))
    finally:
        tradesim.optimiser.optimise_positions = engine_calls
    from tradesim.optimiser import dynamic, optimise

    print(f"Jumbo: {len(calls):,} optimiser calls (search {config.optimiser.search}), best of {repeat} passes each:")
    threaded = dynamic.side_thread() is not None
    compiled = dynamic.compiled_driver("auto")
    # The dynamic search's driver: its steps compiled (kernels_dynamic, the default where numpy's
    # BLAS is scipy-openblas), or dynamic.py's Python around the compiled loops.
    drivers = (("compiled", compiled), ("Python", None)) if compiled is not None else (("Python", None),)
    threads = (("one thread", False), ("two threads", None)) if threaded else (("one thread", False),)
    for driver_label, driver in drivers:
        optimise.compiled_driver = lambda backend, driver=driver: driver
        for label, side in threads:
            dynamic._side_thread = side  # False: no second thread; None: made again on first use
            best_cpu = best_wall = float("inf")
            for _ in range(repeat):
                cpu, wall = time.process_time(), time.perf_counter()
                results = [optimise_positions(*args, **kwargs) for args, kwargs, _ in calls]
                best_cpu, best_wall = min(best_cpu, time.process_time() - cpu), min(best_wall, time.perf_counter() - wall)
            same = all(a.positions.tobytes() == b.positions.tobytes() and
                       (a.tracking_error, a.cost, a.adjustment_factor, a.path, a.passes, a.polish_moves) ==
                       (b.tracking_error, b.cost, b.adjustment_factor, b.path, b.passes, b.polish_moves)
                       for a, (_, _, b) in zip(results, calls))
            print(f"  {driver_label + ' driver, ' + label:<31} wall {best_wall:.2f} s ({1e3 * best_wall / len(calls):.3f} "
                  f"ms per call), CPU {best_cpu:.2f} s (all threads); results as in the replay, bit for bit: {same}")
    optimise.compiled_driver = dynamic.compiled_driver
    if not threaded:
        print("  (one core available: the dynamic search runs on one thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=Path, default=DEFAULT_PROBLEMS)
    parser.add_argument("--seconds", type=float, default=0.2, help="timing budget per problem and method")
    parser.add_argument("--jumbo", action="store_true", help="time the Jumbo replay's own optimiser calls")
    parser.add_argument("--repeat", type=int, default=3, help="--jumbo: passes over the calls (best is printed)")
    options = parser.parse_args()
    if options.jumbo:
        jumbo(options.repeat)
        return

    expected = json.loads((options.problems / "expected.json").read_text())
    warm_up()
    rows = []
    matches = 0
    for path in sorted((options.problems / "problems").glob("*.json")):
        args = load(path)
        check_covariance(args["covariance"])  # once, as the engine does
        row = {"name": path.name, "group": group_of(path.name), "n": len(args["optimal"]),
               "reference": expected[path.name]["reference_time_s"]}
        for method in ("greedy", "greedy+polish", "dynamic"):
            result = optimise_positions(**args, method=method, validate=False)
            row[method] = median_seconds(
                lambda: optimise_positions(**args, method=method, validate=False), options.seconds
            )
            row[method + " passes"] = result.passes
            row[method + " moves"] = result.polish_moves
            row[method + " path"] = result.path
            if method == "greedy":
                matches += result.positions.tolist() == expected[path.name]["positions"]
        problem = prepare_problem(**args, validate=False)
        row["search"] = median_seconds(lambda: run_search(problem), options.seconds)
        row["validated"] = median_seconds(
            lambda: optimise_positions(**args, method="greedy", validate=True), options.seconds
        )
        rows.append(row)

    print(f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"{os.cpu_count()} CPUs; {len(rows)} problems; greedy positions equal to expected: "
          f"{matches}/{len(rows)}")
    print("Per call: median over repeated calls of one problem; per group: median over its problems.")
    print("ns/(N*pass): time / (N x passes), over problems that searched (passes > 0); for the")
    print("whole call, and (search) for the search alone.\n")
    print_table(rows, "greedy", with_validated=True)
    print()
    print_table(rows, "greedy+polish", with_validated=False)
    print()
    print_table(rows, "dynamic", with_validated=False)
    n100 = [row["dynamic"] for row in rows if row["n"] == 100]
    print(f"\ndynamic (the default), N=100: median {statistics.median(n100) * 1e3:.3f} ms per call "
          f"(issue 13's target: under 1 ms); dynamic / greedy per call, median over all problems: "
          f"{statistics.median(row['dynamic'] / row['greedy'] for row in rows):.2f}")


def print_table(rows: list[dict], method: str, with_validated: bool) -> None:
    print(f"method={method}, validate=False" + (" (valid. = validate=True)" if with_validated else ""))
    header = f"{'problems':<12}{'count':>6}{'ms/call':>10}"
    if with_validated:
        header += f"{'valid.':>8}"
    header += f"{'ref ms':>9}{'ref/ours':>10}{'passes':>8}"
    if method != "greedy":
        header += f"{'moves':>7}"
    header += f"{'ns/(N*pass)':>13}"
    if with_validated:
        header += f"{'(search)':>10}"
    print(header)
    groups = sorted({row["group"] for row in rows}, key=lambda g: (g[1], g[0]))
    for group in groups + [("all", 0)]:
        members = [row for row in rows if group == ("all", 0) or row["group"] == group]
        ours = statistics.median(row[method] for row in members)
        reference = statistics.median(row["reference"] for row in members)
        ratio = statistics.median(row["reference"] / row[method] for row in members)
        searched = [row for row in members if row[method + " passes"] > 0]
        per_step = (
            statistics.median(row[method] / (row["n"] * row[method + " passes"]) for row in searched) * 1e9
            if searched else float("nan")
        )
        label = "all" if group == ("all", 0) else f"{group[0]} N={group[1]}"
        line = f"{label:<12}{len(members):>6}{ours * 1e3:>10.3f}"
        if with_validated:
            line += f"{statistics.median(row['validated'] for row in members) * 1e3:>8.3f}"
        line += f"{reference * 1e3:>9.2f}{ratio:>10.0f}"
        line += f"{statistics.median(row[method + ' passes'] for row in members):>8.0f}"
        if method != "greedy":
            line += f"{statistics.median(row[method + ' moves'] for row in members):>7.0f}"
        line += f"{per_step:>13.1f}"
        if with_validated:
            search_step = (
                statistics.median(row["search"] / (row["n"] * row[method + " passes"]) for row in searched) * 1e9
                if searched else float("nan")
            )
            line += f"{search_step:>10.1f}"
        print(line)


if __name__ == "__main__":
    main()
    say_this_process()
