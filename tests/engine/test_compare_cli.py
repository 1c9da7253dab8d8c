"""`tradesim compare` as users run it: variant lists, lambda and buffer lists, bad lists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

TRADESIM = str(Path(sys.executable).with_name("tradesim"))
SHORT = ["--start", "2021-01-04", "--end", "2021-02-26", "--capital", "25000"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRADESIM, "compare", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def test_lambda_and_buffer_lists_repeat_the_optimised_variants(tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "ledger.db"
    done = run(*SHORT, "--db", str(db), "--variants", "rounded,dynamic", "--lambda", "0,50", "--buffer", "0.05")
    assert done.returncode == 0, done.stderr
    for shown in ("ideal", "rounded", "dynamic λ=0 B=0.05", "dynamic λ=50 B=0.05"):
        assert shown in done.stdout
    with create_engine(f"sqlite:///{db}").connect() as conn:
        labels = conn.execute(text("SELECT label FROM runs WHERE mode = 'compare' ORDER BY id")).scalars().all()
    assert labels == ["fractional", "rounded", "dynamic lambda=0 buffer=0.05", "dynamic lambda=50 buffer=0.05"]


def test_bad_lists_are_refused_in_one_line_before_any_replay(tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "never.db"
    for args, message in (
        (["--lambda", "10,x"], "--lambda: '10,x' is not a comma-separated list of numbers"),
        (["--buffer", "-0.1"], "--buffer: '-0.1': every value must be a number >= 0"),
        (["--variants", "rounded,magic"], "--variants: unknown variant 'magic' (known: fractional, fractional_costs, "
                                          "rounded, buffered, greedy, dynamic)"),
    ):
        done = run(*SHORT, "--db", str(db), *args)
        assert done.returncode == 2
        assert done.stderr.strip() == f"error: {message}"
    assert not db.exists()
