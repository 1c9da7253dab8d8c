"""Sweeps on a real Dask cluster (a scheduler and two workers on 127.0.0.1), run as users run them.

Each variant of a sweep must be exactly the run a serial ``tradesim replay --set ...`` of
it gives; a worker killed mid-task is retried elsewhere; a client killed mid-sweep and
rerun runs only what is missing; no variant is ever recorded twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.sweep.conftest import BIN, SMALL, tradesim

GRID = ("--grid", "optimiser.cost_multiplier=5,400", "--grid", "optimiser.buffer_fraction=0.02,0.1")
# Columns that differ between two runs of the same variant by nature: row ids, the run's
# id, wall-clock times.
VOLATILE = {"id", "run_id", "optimiser_seconds", "processed_at"}
LEDGER = {"equity": "day", "diagnostics": "day", "processed_days": "day",
          "orders": "day, instrument_id", "fills": "day, instrument_id", "positions": "day, instrument_id"}


def ledger_rows(db: Path, run_id: int, table: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})") if r[1] not in VOLATILE]
        return con.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE run_id = ? ORDER BY {LEDGER[table]}",
                           (run_id,)).fetchall()


def query(db: Path, sql: str, *args) -> list[tuple]:  # noqa: ANN002
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchall()


def sweep_runs(db: Path) -> dict[str, int]:
    rows = query(db, "SELECT overrides, id FROM runs WHERE sweep_id IS NOT NULL AND status = 'finished'")
    assert len(rows) == len({o for o, _ in rows}), f"a variant recorded twice: {rows}"
    return dict(rows)


@pytest.fixture(scope="module")
def full_sweep(cluster, tmp_path_factory) -> tuple[Path, list[dict]]:  # noqa: ANN001
    """A 2 x 2 sweep on the cluster with --ledger full: its ledger and its results as JSON."""
    db = tmp_path_factory.mktemp("full") / "sweep.db"
    done = tradesim("sweep", str(SMALL), *GRID, "--ledger", "full", "--scheduler", cluster.address,
                    "--format", "json", db=db)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) == 4 and len({r["total_costs"] for r in results}) == 4  # four different runs
    return db, results


def test_each_variant_on_the_cluster_is_its_serial_replay(full_sweep, tmp_path) -> None:  # noqa: ANN001
    db, results = full_sweep
    serial = {r["run_id"]: tmp_path / f"serial-{r['run_id']}.db" for r in results}
    replays = [subprocess.Popen(
        [str(BIN / "tradesim"), "replay", str(SMALL), "--db", str(serial[r["run_id"]]),
         "--set", f"optimiser.cost_multiplier={r['optimiser.cost_multiplier']}",
         "--set", f"optimiser.buffer_fraction={r['optimiser.buffer_fraction']}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for r in results]
    for p in replays:  # side by side: four interpreters starting up is most of their time
        assert p.wait(timeout=120) == 0, p.stderr.read()
    for r in results:
        for table in LEDGER:
            mine, theirs = ledger_rows(db, r["run_id"], table), ledger_rows(serial[r["run_id"]], 1, table)
            assert mine == theirs, f"variant {r['label']}: {table} differs"
            assert theirs
        assert query(db, "SELECT config, start_date, end_date FROM runs WHERE id = ?", r["run_id"]) == \
            query(serial[r["run_id"]], "SELECT config, start_date, end_date FROM runs WHERE id = 1")
        (nav,), = query(serial[r["run_id"]], "SELECT nav FROM equity WHERE run_id = 1 ORDER BY day DESC LIMIT 1")
        assert r["end_nav"] == nav and r["days"] == len(ledger_rows(db, r["run_id"], "equity"))


def test_the_local_default_gives_the_clusters_results(full_sweep, tmp_path) -> None:  # noqa: ANN001
    on_cluster, cluster_results = full_sweep
    local = tmp_path / "local.db"
    done = tradesim("sweep", str(SMALL), *GRID, "--format", "json", db=local)  # a local cluster, a worker per core
    assert done.returncode == 0, done.stderr
    # Run ids follow the order variants finish in: match variants by their overrides.
    by_variant = [{r["label"]: r for r in rows} for rows in (cluster_results, json.loads(done.stdout))]
    assert sorted(by_variant[0]) == sorted(by_variant[1]) and len(by_variant[0]) == 4
    for label, r in by_variant[0].items():
        other = by_variant[1][label]
        assert {k: v for k, v in r.items() if k not in ("run_id", "seconds")} == \
            {k: v for k, v in other.items() if k not in ("run_id", "seconds")}
        for table in ("equity", "diagnostics", "processed_days"):
            assert ledger_rows(on_cluster, r["run_id"], table) == ledger_rows(local, other["run_id"], table)
    # --ledger summary (the default): no orders, fills or positions.
    assert query(local, "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM fills) "
                        "+ (SELECT count(*) FROM positions)") == [(0,)]

    # tradesim runs --sweep ID: the same variants, here by Sharpe ratio, best first.
    (sweep_id,), = query(local, "SELECT id FROM sweeps")
    listed = tradesim("runs", "--sweep", sweep_id, "--sort", "-sharpe", "--format", "csv", db=local)
    assert listed.returncode == 0, listed.stderr
    header, *lines = listed.stdout.splitlines()
    sharpe = header.split(",").index("sharpe")
    assert [float(line.split(",")[sharpe]) for line in lines] == \
        sorted((r["sharpe"] for r in cluster_results), reverse=True)


def test_a_worker_killed_mid_task_is_retried_and_the_sweep_completes(slow_cluster, tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "sweep.db"
    sweep = subprocess.Popen([str(BIN / "tradesim"), "sweep", str(SMALL), "--grid", "capital=1e5,2e5,3e5",
                              "--scheduler", slow_cluster.address, "--db", str(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = _wait_for(lambda: sorted(slow_cluster.marks.iterdir()))[0]  # a task started (and sleeps 1 s)
        victim = int(first.name.split("-")[0])
        assert victim in {w.pid for w in slow_cluster.workers}
        slow_cluster.kill_worker(victim)
        out, err = sweep.communicate(timeout=120)
    finally:
        sweep.kill()
    assert sweep.returncode == 0, err
    runs = sweep_runs(db)
    assert len(runs) == 3
    assert "sweep sw-" in out and "capital" in out and "maxDD" in out  # the results table
    # The killed task ran again on the other worker, and its variant is recorded once.
    variant = first.name.split("-")[1]
    assert len([m for m in slow_cluster.marks.iterdir() if m.name.endswith(variant)]) == 2
    assert first.read_text() in runs


def test_a_client_killed_mid_sweep_reruns_only_the_missing_variants(slow_cluster, tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "sweep.db"
    args = [str(BIN / "tradesim"), "sweep", str(SMALL), "--grid", "capital=1e5,2e5,3e5,4e5",
            "--scheduler", slow_cluster.address, "--db", str(db)]
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        before = _wait_for(lambda: db.exists() and _recorded(db))
        first.kill()
        first.wait(timeout=30)
    finally:
        first.kill()
    before = sweep_runs(db)  # what survived the kill: whole variants only
    assert 1 <= len(before) < 4
    started_before = {m.read_text() for m in slow_cluster.marks.iterdir()}
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "120"})
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} of 4 variants already recorded, running {4 - len(before)}" in rerun.stdout
    after = sweep_runs(db)
    assert len(after) == 4 and {k: after[k] for k in before} == before
    started_again = [m.read_text() for m in slow_cluster.marks.iterdir()]
    assert not [k for k in started_again if k in before and k not in started_before]


def _recorded(db: Path) -> bool:
    try:
        return bool(query(db, "SELECT 1 FROM runs WHERE sweep_id IS NOT NULL AND status = 'finished'"))
    except sqlite3.OperationalError:  # the ledger is being created
        return False


def _wait_for(condition, timeout: float = 60):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")
