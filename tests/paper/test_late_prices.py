"""A paper session is claimed only when its prices are in: late bars wait, then trade as on time."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import open_engine
from tests.edges.console import tradesim
from tests.paper.test_paper_run import ledger
from tests.paper.test_schedule_and_bad_data import CSV_CONFIG
from tradesim.config import load_config
from tradesim.paper import paper_run

# XNYS sessions 2024-01-02 .. 2024-01-10; prices move so that each day rebalances.
ROWS = [("2024-01-02", 100, 50), ("2024-01-03", 101, 51), ("2024-01-04", 97, 52), ("2024-01-05", 104, 50),
        ("2024-01-08", 99, 53), ("2024-01-09", 103, 49), ("2024-01-10", 98, 51)]


def write(folder: Path, missing: dict[str, str] | None = None, upto: str = "2024-01-10", extra: str = "") -> Path:
    """closes.csv with ``missing`` {day: symbol} blank, and rows only up to ``upto``."""
    missing = missing or {}
    lines = ["Date,AAA,BBB"]
    for day, a, b in ROWS:
        if day <= upto:
            lines.append(f"{day},{'' if missing.get(day) == 'AAA' else a},{'' if missing.get(day) == 'BBB' else b}")
    (folder / "closes.csv").write_text("\n".join(lines) + "\n")
    config = folder / "paper.toml"
    config.write_text(CSV_CONFIG.format(name="late-prices", extra=extra))
    return config


def processed(db: Path) -> list[str]:
    with open_engine(f"sqlite:///{db}").connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT day FROM processed_days ORDER BY day"))]


def test_late_bar_waits_exit_3_then_the_ledger_equals_an_on_time_run(tmp_path: Path) -> None:
    late, on_time = tmp_path / "late", tmp_path / "on_time"
    late.mkdir(), on_time.mkdir()
    # 16:30 on the 9th: AAA's bar for the 9th has not arrived; BBB's has.
    config = write(late, missing={"2024-01-09": "AAA"}, upto="2024-01-09")
    first = tradesim("paper", "run", str(config), "--as-of", "2024-01-09", "--db", str(late / "l.db"))
    assert first.returncode == 3, first.stderr
    assert first.stderr.strip() == ("error: paper late-prices: the prices for 2024-01-09 have not arrived "
                                    "(waiting for AAA); run again later (exit 3: not ready)")
    assert "processed 5 session(s), 2024-01-02 to 2024-01-08" in first.stdout
    assert processed(late / "l.db")[-1] == "2024-01-08"
    # The bar arrives, and the next day's too; the next run does both.
    write(late)
    second = tradesim("paper", "run", str(config), "--as-of", "2024-01-10", "--db", str(late / "l.db"))
    assert second.returncode == 0, second.stderr
    config = write(on_time)
    clean = tradesim("paper", "run", str(config), "--as-of", "2024-01-10", "--db", str(on_time / "o.db"))
    assert clean.returncode == 0, clean.stderr
    late_rows, clean_rows = ledger(f"sqlite:///{late / 'l.db'}"), ledger(f"sqlite:///{on_time / 'o.db'}")
    assert len(clean_rows["fills"]) > 6 and len(clean_rows["processed_days"]) == 7
    assert {t: rows for t, rows in late_rows.items() if t != "processed_days"} == \
        {t: rows for t, rows in clean_rows.items() if t != "processed_days"}
    assert processed(late / "l.db") == processed(on_time / "o.db")


def test_a_session_without_any_bar_is_never_claimed(tmp_path: Path) -> None:
    config = write(tmp_path, upto="2024-01-05")
    result = paper_run(load_config(config), f"sqlite:///{tmp_path / 'l.db'}", date(2024, 1, 10))
    assert result.dates[-1] == date(2024, 1, 5)
    assert result.waiting == "the prices for 2024-01-08 have not arrived (waiting for AAA, BBB)"
    again = paper_run(load_config(config), f"sqlite:///{tmp_path / 'l.db'}", date(2024, 1, 10))
    assert (again.dates, again.waiting) == ([], result.waiting)


@pytest.mark.parametrize("patience, last", [
    (3, date(2024, 1, 10)),  # the 8th, 9th and 10th came without AAA: given up on, held from the 5th
    (4, date(2024, 1, 4)),  # four asked for: still waiting for the 5th
])
def test_patience_runs_out_after_n_sessions_of_waiting(tmp_path: Path, patience: int, last: date) -> None:
    gone = {d: "AAA" for d, _, _ in ROWS if d >= "2024-01-05"}  # AAA's bars stop after the 4th
    config = write(tmp_path, missing=gone, extra=f"[paper]\npatience = {patience}")
    result = paper_run(load_config(config), f"sqlite:///{tmp_path / 'l.db'}", date(2024, 1, 10))
    assert result.dates[-1] == last
    if patience == 3:
        held = [d for d, day in zip(result.dates, result.processed) if any("paper.patience" in w for w in day.warnings)]
        assert held == [date(2024, 1, d) for d in (5, 8, 9, 10)]
        assert result.processed[-1].warnings[-1] == (
            "AAA: no price for 2024-01-10 after waiting 3 sessions (paper.patience): held at the last price, not traded")
        assert result.waiting is None
    else:
        assert result.waiting == "the prices for 2024-01-05 have not arrived (waiting for AAA)"
