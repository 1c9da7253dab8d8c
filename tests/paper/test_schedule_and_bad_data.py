"""The scheduler process, and what a paper run does with missing or impossible prices."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from db.session import open_engine
from tests.edges.console import read_until
from tradesim.cli import main
from tradesim.config import load_config
from tradesim.paper import paper_run
from tradesim.schedule import MISFIRE_GRACE, build_scheduler, job_time

# Two instruments from a closes.csv beside the config; the late-prices tests use it too.
CSV_CONFIG = """
name = "{name}"
capital = 10000
start = "2024-01-02"
[data]
source = "csv"
path = "closes.csv"
[strategy]
name = "fixed_weights"
params = {{ weights = {{ AAA = 0.4, BBB = 0.4 }} }}
[optimiser]
method = "round"
{extra}
[[instruments]]
symbol = "AAA"
[[instruments]]
symbol = "BBB"
"""


def write(tmp_path: Path, closes: str, extra: str = "") -> Path:
    (tmp_path / "closes.csv").write_text(closes)
    path = tmp_path / "paper.toml"
    path.write_text(CSV_CONFIG.format(name="csv-paper", extra=extra))
    return path


def test_job_runs_30_minutes_after_the_close_in_the_exchange_timezone() -> None:
    config = load_config()
    assert job_time(config) == (16, 30, "America/New_York")
    assert job_time(config.model_copy(update={"calendar": "XLON"})) == (17, 0, "Europe/London")
    assert job_time(config.model_copy(update={"schedule_time": "18:05"})) == (18, 5, "America/New_York")


def test_scheduler_keeps_its_job_in_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    open_engine(url).dispose()
    scheduler = build_scheduler(None, load_config(), url)
    job = scheduler.get_job("paper:us-stocks-risk-parity")
    assert job is not None
    assert str(job.trigger) == "cron[day_of_week='mon-fri', hour='16', minute='30']"
    assert job.misfire_grace_time == int(MISFIRE_GRACE.total_seconds()) and job.coalesce


def test_schedule_process_logs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tradesim.cli import main; sys.exit(main(sys.argv[1:]))",
         "paper", "schedule", "--db", db],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = read_until(proc, "paper schedule for", timeout=60)
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, lines + [rest]
    assert "received SIGTERM" in rest and "scheduler stopped" in rest
    with open_engine(f"sqlite:///{db}").connect() as conn:
        jobs = conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all()
    assert jobs == ["paper:us-stocks-risk-parity"]


def test_missing_price_is_valued_forward_and_blocks_trading_that_day(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,,52\n2024-01-05,104,50\n")
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    result = paper_run(load_config(path), url, date(2024, 1, 5))
    by_day = dict(zip(result.dates, result.processed))
    gap = by_day[date(2024, 1, 4)]
    assert gap.warnings == ("AAA has no price on 2024-01-04: valued at its last price, not traded",)
    assert 0 not in gap.orders.instrument.tolist()  # AAA not traded that day
    assert gap.prices[0] == 101  # valued at the last price
    with open_engine(url).connect() as conn:
        aaa = conn.execute(text("SELECT day, price FROM positions p JOIN instruments i ON i.id = p.instrument_id "
                                "WHERE i.symbol = 'AAA' ORDER BY day")).all()
    assert [tuple(r) for r in aaa] == [("2024-01-03", 101.0), ("2024-01-04", 101.0), ("2024-01-05", 104.0)]
    with open_engine(url).connect() as conn:
        assert conn.execute(text("SELECT warnings FROM runs")).scalar() == 1  # counted with the run


def test_a_replays_warnings_are_named_counted_and_stored_with_the_run(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,,52\n2024-01-05,104,50\n")
    db = tmp_path / "ledger.db"
    done = subprocess.run(["tradesim", "replay", str(path), "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["warnings"] == 1
    line = ("csv-paper replay: 1 instrument-day had no price: valued at the last price and not traded "
            "(first: AAA has no price on 2024-01-04: valued at its last price, not traded)")
    # one log record, printed by Rich (wrapped to the console's width) on stderr, not in the JSON
    assert " ".join(done.stderr.split()) == "WARNING tradesim.replay: " + line
    with open_engine(f"sqlite:///{db}").connect() as conn:
        assert tuple(conn.execute(text("SELECT warnings, warning_text FROM runs")).one()) == (1, line)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2024-01-04,-3,52", "instrument 'AAA' on 2024-01-04: non-positive price -3.0"),
        ("2024-01-04,300,52", "instrument 'AAA' on 2024-01-04: a move of +197% in a day is beyond the sanity limit"),
    ],
)
def test_impossible_price_stops_the_run_naming_instrument_and_date_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_row: str, message: str) -> None:
    good = "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n"
    path = write(tmp_path, good)
    db = str(tmp_path / "ledger.db")
    assert main(["paper", "run", str(path), "--as-of", "2024-01-03", "--db", db]) == 0
    with open_engine(f"sqlite:///{db}").connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM processed_days")).scalar()
    (tmp_path / "closes.csv").write_text(good + bad_row + "\n2024-01-05,104,50\n")
    capsys.readouterr()
    assert main(["paper", "run", str(path), "--as-of", "2024-01-05", "--db", db]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    with open_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM processed_days")).scalar() == before == 2
