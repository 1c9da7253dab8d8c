"""The bad-input suite: every hostile input gets its exit code and one line, never a traceback,
and a ledger that was there keeps its bytes. Run through the real console script; the cases
run concurrently (each is a fresh process, most of whose time is start-up)."""

from __future__ import annotations

import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest

from tests.edges.cases import BASE, CASES, Case, damage, foreign_sqlite, newer_schema
from tests.edges.console import tradesim
from tradesim.config import load_config
from tradesim.paper import paper_run
from tradesim.replay import replay

LEDGER_FILE = {"copy": "ledger.db", "paper": "paper.db"}


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def prepare(case: Case, folder: Path, ledgers: dict[str, Path]) -> Path | None:
    """Write the case's files; returns the ledger whose bytes must not change."""
    for name, content in {**BASE, **case.files}.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            target.unlink(missing_ok=True)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    if case.ledger is None:
        return None
    if case.ledger in LEDGER_FILE:
        target = folder / LEDGER_FILE[case.ledger]
        shutil.copy(ledgers[case.ledger], target)
        return target
    target = folder / f"{case.ledger}.db"
    if case.ledger == "random":
        target.write_bytes(os.urandom(8192))
    elif case.ledger == "fifo":
        os.mkfifo(target)  # no writer: whoever opens it to read waits forever
    elif case.ledger == "foreign":
        foreign_sqlite(target)
    else:
        shutil.copy(ledgers["copy"], target)
        (damage if case.ledger == "damaged" else newer_schema)(target)
    return target


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    base = tmp_path_factory.mktemp("base")
    for name, content in BASE.items():
        (base / name).write_text(content)
    ledgers = {"copy": base / "ledger.db", "paper": base / "paper.db"}
    replay(load_config(base / "good.toml"), f"sqlite:///{ledgers['copy']}")
    paper_run(load_config(base / "good.toml"), f"sqlite:///{ledgers['paper']}", date(2024, 1, 10))

    def run(case: Case) -> tuple:
        folder = tmp_path_factory.mktemp(case.id)
        kept = prepare(case, folder, ledgers)
        before = digest(kept) if kept else None
        result = tradesim(*case.args, cwd=folder, env=case.env)
        return result, before, digest(kept) if kept else None

    with ThreadPoolExecutor(max_workers=max(2, 2 * (os.cpu_count() or 1))) as pool:
        return dict(zip((c.id for c in CASES), pool.map(run, CASES)))


def test_there_are_at_least_60_cases() -> None:
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, outcomes: dict[str, tuple]) -> None:
    result, before, after = outcomes[case.id]
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert result.returncode == case.code, out
    assert case.says in out, out
    if case.code != 0 and not case.says.startswith(("Usage:", "No such", "Invalid value", "Got unexpected")):
        # one line on stderr, naming the problem
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and case.says in lines[0], result.stderr
    assert before == after, "the ledger's bytes changed"
