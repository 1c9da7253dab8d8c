"""CSV and JSON exports of the history, streamed from the driver's own rows on SQLite
(``db.queries.driver_rows``), are byte for byte what the typed rows print: every command, with
filters and limits, on the hand-written ledger (futures, EUR, text with commas and quotes) and a
synthetic one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import small_ledger
from db import queries
from db.session import open_engine
from tradesim.cli import main

sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
from bench_ledger import fill_ledger  # noqa: E402

ASKED = [["trades", "-r", "2"], ["fills", "-r", "2", "--since", "2024-06-05"], ["orders", "-r", "2", "-s", "SPY,FGBL"],
         ["positions", "-r", "2", "--since", "2024-06-01"], ["equity", "-r", "2"], ["runs"], ["trades", "-n", "3"],
         ["trades", "-r", "2", "--side", "SELL"], ["equity", "-r", "1", "--until", "2024-05-30"]]
SYNTHETIC = [["trades"], ["fills", "--since", "1985-03-01"], ["orders", "-s", "S003,S005"], ["equity"],
             ["positions", "--since", "1985-01-01"], ["trades", "--side", "SELL", "-n", "100"]]


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory) -> list[str]:  # noqa: ANN001
    where = tmp_path_factory.mktemp("export")
    small, synthetic = f"sqlite:///{where / 'small.db'}", f"sqlite:///{where / 'synthetic.db'}"
    engine = open_engine(small)
    small_ledger.build(engine)
    with engine.begin() as conn:  # a reason a CSV must quote, and one JSON must escape
        conn.execute(text("UPDATE orders SET reason = 'drift, \"big\" one' WHERE run_id = 2 AND instrument_id = 1"))
    engine.dispose()
    engine = open_engine(synthetic)
    fill_ledger(engine, 3_000, 12)
    engine.dispose()
    return [small, synthetic]


def exported(argv: list[str], capsys, monkeypatch, as_is: bool) -> str:  # noqa: ANN001
    if not as_is:
        monkeypatch.setattr(queries, "driver_rows", lambda conn, query, chunk=5000: None)  # noqa: ARG005
    assert main(argv) in (0, None)
    monkeypatch.undo()
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_from_the_drivers_rows_are_the_typed_rows_to_the_byte(ledgers, capsys, monkeypatch,  # noqa: ANN001
                                                                      fmt: str) -> None:
    for url, asked in zip(ledgers, (ASKED, SYNTHETIC)):
        for argv in asked:
            full = [*argv, "-f", fmt, "--db", url]
            typed = exported(full, capsys, monkeypatch, as_is=False)
            assert exported(full, capsys, monkeypatch, as_is=True) == typed, full
            assert typed.count("\n") > 1 + (fmt == "json"), full  # rows, not just a header


def test_the_streamed_export_is_what_the_command_prints(ledgers) -> None:  # noqa: ANN001
    """As users run it: the console script's CSV has every fill, quoted where it must be."""
    done = subprocess.run(["tradesim", "trades", "-r", "2", "-f", "csv", "--db", ledgers[0]], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("run_id,portfolio,day,decided_on,symbol,asset_class,currency,side,quantity,price")
    assert len(lines) > 2 and sum('"drift, ""big"" one"' in line for line in lines) >= 1
