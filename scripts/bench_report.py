"""How long a run report takes: the default replay (20 stocks, 8,313 days) and 100 futures.

    python scripts/bench_report.py [--work DIR] [--only stocks|futures] [--repeat N]

Each ledger is replayed once into ``--work`` (default: a folder under the system's temp
directory) and reused afterwards; the replay is not timed. Then, for each, the report is
written ``--repeat`` times in this process (ledger read, figures drawn, HTML and PNGs
written: the time of ``write_report``), and once as a user runs it, ``tradesim report RUN``
in a fresh process (Python start-up and imports included). Targets: 5 s for the stocks, 20 s
for the futures. The machine's load average is printed with the times: on a shared machine
wall-clock times stretch with it, CPU times do not.

The futures case is the first 100 instruments of ``strategies/configs/jumbo.toml`` on the
shared futures data (``../shared/data/futures``, never part of the repository): without
that folder it is skipped, and says so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # peak.py, beside this script
from peak import run as peak_of, this_process_mb  # noqa: E402

TARGETS = {"stocks": 5.0, "futures": 20.0}


def stocks_config():  # noqa: ANN201
    from tradesim.config import load_config

    return load_config(None)


def futures_config():  # noqa: ANN201
    from tradesim.config import load_config

    shared = (REPO / ".." / "shared" / "data" / "futures").resolve()
    if not (shared / "instruments.csv").is_file():
        return None
    cfg = load_config(REPO / "strategies" / "configs" / "jumbo.toml")
    return cfg.model_copy(update={"name": "jumbo-100", "instruments": cfg.instruments[:100]})


def ledger_run(config, url: str) -> int:  # noqa: ANN001
    """The finished run of exactly this config in the ledger, replaying it first if there is none."""
    from db import queries
    from tradesim.replay import replay

    if Path(url.removeprefix("sqlite:///")).exists():
        runs = queries.runs(url)
        done = runs[(runs["config_hash"] == config.config_hash()) & (runs["status"] == "finished")]
        if len(done):
            return int(done["run_id"].iloc[-1])
    print(f"  replaying {config.name} ({len(config.instruments)} instruments) into {url} once ...", flush=True)
    t0 = time.perf_counter()
    run_id = replay(config, url).run_id
    print(f"  replayed in {time.perf_counter() - t0:.0f} s", flush=True)
    return run_id


def bench(name: str, config, work: Path, repeat: int) -> None:  # noqa: ANN001
    from db import queries
    from tradesim.report import write_report

    url = f"sqlite:///{work / f'{name}.db'}"
    run_id = ledger_run(config, url)
    days = len(queries.equity(url, run=run_id))
    positions = queries.positions(url, run=run_id, latest=False)
    print(f"{name}: run {run_id}, {len(config.instruments)} instruments, {days:,} days, "
          f"{len(positions):,} position rows")
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        written = write_report(url, [run_id], work / f"{name}.html", png_dir=work / f"{name}-png", log_scale=True)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        parts = written.report.seconds
    size = written.html.stat().st_size
    print(f"  write_report: best {min(walls):.2f} s, median {statistics.median(walls):.2f} s wall "
          f"(CPU best {min(cpus):.2f} s) over {repeat}; last: ledger {parts['load']:.2f} s, "
          f"figures {parts['draw']:.2f} s; HTML {size / 1e6:.2f} MB")
    cmd = [sys.executable, "-c", "from tradesim.cli import run; run()", "report", str(run_id), "--db", url,
           "--out", str(work / f"{name}-cli.html"), "--png", str(work / f"{name}-cli-png"), "--log"]
    cli = peak_of(cmd)  # in a process of its own, apart from this one's memory
    verdict = "within" if cli.wall < TARGETS[name] else "OVER"
    print(f"  tradesim report {run_id} (new process, imports included): {cli.wall:.2f} s wall "
          f"({cli.cpu:.2f} s CPU, peak RSS {cli.peak_mb:.0f} MB), {verdict} the {TARGETS[name]:.0f} s target; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "tradesim-bench-report")
    parser.add_argument("--only", choices=sorted(TARGETS))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for name, make in (("stocks", stocks_config), ("futures", futures_config)):
        if args.only and name != args.only:
            continue
        config = make()
        if config is None:
            print(f"{name}: skipped: the shared futures data is not at {REPO.parent / 'shared' / 'data' / 'futures'}")
            continue
        bench(name, config, args.work, args.repeat)
    print(f"peak RSS of this process (the replays and write_report): {this_process_mb():.0f} MB")


if __name__ == "__main__":
    main()
