"""Try tradesim the way a hostile user and a fault injector would, and print the totals.

    python scripts/fault_suite.py [--kills 10] [--races 3] [--jobs 4]

Runs from a source checkout (it reuses the test suite's case table and helpers), with
the ``tradesim`` console script of this interpreter's environment:

- every bad input of tests/edges/cases.py: exit code, one line, no traceback, the
  ledger's bytes unchanged;
- SIGKILL of replays and paper runs at random moments (seeded): the ledger must be a
  prefix of an uninterrupted run, and a rerun must complete it to the same rows;
- SIGKILL of `db upgrade` of a ledger at the first schema revision, at random moments
  of its transaction: the ledger must be exactly the old one or exactly the upgraded
  one, and a rerun must give an uninterrupted upgrade's ledger;
- SIGINT and SIGTERM of each: exit 130 and 143, the run marked interrupted;
- two paper runs started together on one ledger: the same rows as one run.

"rows lost" counts rows of an uninterrupted run (or upgrade) missing after kill + rerun
(or a race); "days doubled" counts rows beyond it. Both must be 0.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: tests/ is not installed

from tests.edges.cases import BASE, CASES, Case  # noqa: E402
from tests.edges.conftest import AS_OF, write_portfolio  # noqa: E402
from tests.edges.console import TRADESIM, tradesim  # noqa: E402
from tests.edges.test_bad_inputs import digest, prepare  # noqa: E402
from tests.edges.old_ledger import contents, revision  # noqa: E402
from tests.edges.test_kill_suite import kill_during, last_day, prefix, rows, started_writing, \
    without_last_status  # noqa: E402
from tests.edges.test_upgrade_kills import OLD, build_old_ledger, kill_upgrade, transaction_time  # noqa: E402

LEFT = ("... left at the old revision", "... left at head")  # where a killed upgrade may leave the ledger
REPLAY = ["replay", "kill.toml", "--end", AS_OF, "--commit-every", "1"]
PAPER = ["paper", "run", "kill.toml", "--as-of", AS_OF]


def difference(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> tuple[int, int]:
    """(rows of ``want`` missing from ``got``, rows of ``got`` beyond ``want``), table by table."""
    lost = doubled = 0
    for table, expected in want.items():
        have, need = Counter(got.get(table, [])), Counter(expected)
        lost += sum((need - have).values())
        doubled += sum((have - need).values())
    return lost, doubled


def bad_inputs(root: Path, jobs: int) -> Counter:
    from tradesim.config import load_config
    from tradesim.paper import paper_run
    from tradesim.replay import replay

    base = root / "base"
    base.mkdir()
    for name, content in BASE.items():
        (base / name).write_text(content)
    ledgers = {"copy": base / "ledger.db", "paper": base / "paper.db"}
    replay(load_config(base / "good.toml"), f"sqlite:///{ledgers['copy']}")
    paper_run(load_config(base / "good.toml"), f"sqlite:///{ledgers['paper']}", date(2024, 1, 10))

    def one(case: Case) -> str:
        folder = root / case.id
        folder.mkdir()
        kept = prepare(case, folder, ledgers)
        before = digest(kept) if kept else None
        result = tradesim(*case.args, cwd=folder, env=case.env)
        out = result.stdout + result.stderr
        if "Traceback" in out:
            return "tracebacks"
        if before != (digest(kept) if kept else None) or result.returncode != case.code or case.says not in out:
            print(f"  {case.id}: exit {result.returncode}: {out.strip()[-300:]}", file=sys.stderr)
            return "silent or wrong results"
        return "notices (exit 0, said so)" if case.code == 0 else "clear errors"

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return Counter(pool.map(one, CASES))


def kills(root: Path, n: int, seed: int) -> tuple[Counter, dict]:
    folder = write_portfolio(root)
    clean = {}
    for mode, args in (("replay", REPLAY), ("paper", PAPER)):
        assert tradesim(*args, "--db", f"clean-{mode}.db", cwd=folder).returncode == 0
        clean[mode] = rows(folder / f"clean-{mode}.db", 1)
    totals: Counter = Counter()
    rng = random.Random(seed)
    for k in range(n):
        for mode, args in (("replay", REPLAY), ("paper", PAPER)):
            db = folder / f"{mode}-{k}.db"
            kill_during([*args, "--db", db.name], db, rng, folder)
            totals[f"kills ({mode})"] += 1
            last = last_day(db, 1)
            if without_last_status(rows(db, 1), last) != prefix(clean[mode], last):
                totals["not a prefix after a kill"] += 1
            assert tradesim(*args, "--db", db.name, cwd=folder).returncode == 0
            lost, doubled = difference(rows(db, 2 if mode == "replay" else 1), clean[mode])
            totals["rows lost"] += lost
            totals["days doubled"] += doubled
    for mode, args in (("replay", REPLAY), ("paper", PAPER)):
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            db = folder / f"signal-{mode}-{sig.name}.db"
            proc = subprocess.Popen([TRADESIM, *args, "--db", db.name], cwd=folder, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            while not started_writing(db) and proc.poll() is None:
                time.sleep(0.02)
            proc.send_signal(sig)
            totals["signals"] += 1
            if proc.wait(timeout=60) != code:
                totals["signals with a wrong exit code"] += 1
    return totals, clean


def upgrade_kills(folder: Path, n: int, seed: int) -> Counter:
    """SIGKILL `db upgrade` ``n`` times; the ledger is the old or the upgraded one, then the upgraded one."""
    import shutil

    from db import migrations

    old = build_old_ledger(folder, "old.db")
    reference = folder / "upgraded.db"
    shutil.copy(old, reference)
    window = transaction_time(reference, folder)
    before, after = contents(old), contents(reference)
    totals: Counter = Counter()
    rng = random.Random(seed)
    for k in range(n):
        db = folder / f"upgrade-{k}.db"
        shutil.copy(old, db)
        kill_upgrade(db, rng, folder, window)
        totals["kills (db upgrade)"] += 1
        found = revision(db)
        where = "the old revision" if found == OLD else "head" if found == migrations.head() else found
        totals[f"... left at {where}"] += 1
        if contents(db) != (before if found == OLD else after):
            totals["half-upgraded after a kill"] += 1
        assert tradesim("db", "upgrade", "--db", db.name, cwd=folder).returncode == 0
        lost, doubled = difference(contents(db), after)
        totals["rows lost"] += lost
        totals["days doubled"] += doubled
    return totals


def races(root: Path, n: int, clean: dict) -> Counter:
    folder = root
    totals: Counter = Counter()
    for k in range(n):
        db = folder / f"race-{k}.db"
        procs = [subprocess.Popen([TRADESIM, *PAPER, "--db", db.name], cwd=folder, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300)[1] for p in procs]
        totals["races"] += 1
        if any("Traceback" in o for o in outs):
            totals["tracebacks"] += 1
        tradesim(*PAPER, "--db", db.name, cwd=folder)  # whoever stopped early: the next run finishes
        lost, doubled = difference(rows(db, 1), clean["paper"])
        totals["rows lost"] += lost
        totals["days doubled"] += doubled
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of each of replay, paper run and db upgrade")
    parser.add_argument("--races", type=int, default=3, help="pairs of paper runs started together")
    parser.add_argument("--jobs", type=int, default=4, help="bad inputs run at once")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "inputs").mkdir()
        (root / "kills").mkdir()
        inputs = bad_inputs(root / "inputs", args.jobs)
        faults, clean = kills(root / "kills", args.kills, args.seed)
        faults += upgrade_kills(root / "kills", args.kills, args.seed)
        faults += races(root / "kills", args.races, clean)
    tried = sum(inputs.values())
    print(f"tradesim fault suite ({time.perf_counter() - t0:.0f} s)")
    print(f"{'inputs tried':<32}{tried:>6}")
    for name in ("clear errors", "notices (exit 0, said so)", "tracebacks", "silent or wrong results"):
        print(f"{name:<32}{inputs[name] + (faults['tracebacks'] if name == 'tracebacks' else 0):>6}")
    left = sorted(k for k in faults if k.startswith("... left at") and k not in LEFT)  # never expected
    for name in ("kills (replay)", "kills (paper)", "not a prefix after a kill", "kills (db upgrade)", *LEFT, *left,
                 "half-upgraded after a kill", "signals",
                 "signals with a wrong exit code", "races", "rows lost", "days doubled"):
        print(f"{name:<32}{faults[name]:>6}")


if __name__ == "__main__":
    main()
