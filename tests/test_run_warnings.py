"""Every warning a run raises is counted and stored with it (per variant in a comparison),
whatever the console shows; ``--quiet``/``--verbose`` work after the command's name."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.paper.test_schedule_and_bad_data import CSV_CONFIG

# BBB has no price on the first day (one warning before the run) and AAA none on 2024-01-04,
# after it was bought (one instrument-day without a price).
CLOSES = ("Date,AAA,BBB\n2024-01-02,100,\n2024-01-03,101,51\n2024-01-04,,52\n2024-01-05,104,50\n"
          "2024-01-08,103,51\n")

# A user's strategy that warns on two days (as CPPI does when its floor is breached).
WARNING_STRATEGY = '''
import logging

import numpy as np

log = logging.getLogger("my_strategy")


class Warns:
    def prepare(self, ctx) -> None:
        self.dates = ctx.market.dates
        self.row = np.array([0.4, 0.4])

    def target_weights(self, t, account):
        if str(self.dates[t].date()) in ("2024-01-03", "2024-01-05"):
            log.warning("odd signal on %s", self.dates[t].date())
        return self.row
'''

FIRST_DAY = "no price on the first day 2024-01-02 for BBB: not traded until their first price"
ODD = ["odd signal on 2024-01-03", "odd signal on 2024-01-05"]


def write(folder: Path) -> Path:
    (folder / "closes.csv").write_text(CLOSES)
    (folder / "warns.py").write_text(WARNING_STRATEGY)
    body = CSV_CONFIG.format(name="warned", extra="").replace('name = "fixed_weights"', 'name = "warns.py:Warns"')
    body = body.replace("params = {{ weights = {{ AAA = 0.4, BBB = 0.4 }} }}".replace("{{", "{").replace("}}", "}"), "")
    path = folder / "warned.toml"
    path.write_text(body)
    return path


def tradesim(folder: Path, *argv: str) -> subprocess.CompletedProcess:
    done = subprocess.run(["tradesim", *argv], capture_output=True, text=True, timeout=300, cwd=folder)
    assert done.returncode == 0, done.stderr
    return done


def runs(folder: Path) -> list[dict]:
    return json.loads(tradesim(folder, "runs", "--db", "l.db", "-f", "json").stdout)


def test_a_replay_counts_and_stores_every_warning(tmp_path: Path) -> None:
    write(tmp_path)
    doc = json.loads(tradesim(tmp_path, "replay", "warned.toml", "--db", "l.db", "-f", "json", "--quiet").stdout)
    assert (doc["warnings"], doc["missing_prices"]) == (4, 1)  # the first day, two odd signals, AAA's gap
    assert doc["warning_lines"][:3] == [FIRST_DAY, *ODD]
    assert doc["warning_lines"][3].startswith("warned replay: 1 instrument-day had no price")
    [run] = runs(tmp_path)
    assert run["warnings"] == 4 and run["warning_text"].split("\n") == doc["warning_lines"]


def test_quiet_after_the_command_hides_warnings_from_the_terminal_not_from_the_ledger(tmp_path: Path) -> None:
    write(tmp_path)
    loud = tradesim(tmp_path, "replay", "warned.toml", "--db", "l.db")
    assert "WARNING" in loud.stderr and "odd signal on 2024-01-03" in loud.stderr
    assert "Warnings" in loud.stdout and "4: 1 instrument-day without a price, 3 other" in " ".join(loud.stdout.split())
    quiet = tradesim(tmp_path, "replay", "warned.toml", "--db", "l.db", "-q")
    assert quiet.stderr == ""
    debug = tradesim(tmp_path, "replay", "warned.toml", "--db", "l.db", "-vv")
    assert "DEBUG" in debug.stderr  # the instrument-day itself, logged at debug
    last_wins = tradesim(tmp_path, "-v", "replay", "warned.toml", "--db", "l.db", "-q")
    assert last_wins.stderr == ""
    assert [r["warnings"] for r in runs(tmp_path)] == [4, 4, 4, 4]


def test_a_comparison_counts_each_variants_warnings(tmp_path: Path) -> None:
    write(tmp_path)
    doc = json.loads(tradesim(tmp_path, "compare", "warned.toml", "--db", "l.db", "-f", "json", "-q").stdout)
    by_variant = {v["variant"]: v for v in doc["variants"]}
    for variant in by_variant.values():
        assert variant["warning_lines"][:3] == [FIRST_DAY, *ODD]
        assert variant["warnings"] == 3 + variant["missing_prices"]
    stored = {r["run_id"]: r for r in runs(tmp_path)}
    for variant in by_variant.values():
        assert stored[variant["run_id"]]["warnings"] == variant["warnings"]
        assert f"warned {variant['variant']}" in stored[variant["run_id"]]["warning_text"] or not variant["missing_prices"]
    table = tradesim(tmp_path, "compare", "warned.toml", "--db", "l.db", "-q")
    assert table.stderr == ""
    assert "warnings (an instrument-day" in table.stdout


def test_a_paper_run_stores_the_warnings_of_its_sessions(tmp_path: Path) -> None:
    write(tmp_path)
    doc = json.loads(tradesim(tmp_path, "paper", "run", "warned.toml", "--db", "l.db", "--as-of", "2024-01-08",
                              "-f", "json", "--quiet").stdout)
    assert len(doc["sessions"]) == 5
    [run] = runs(tmp_path)
    day_warnings = sum(len(s["warnings"]) for s in doc["sessions"])
    assert run["warnings"] == day_warnings + 2
    assert ODD[0] in run["warning_text"] and ODD[1] in run["warning_text"]


def test_a_notebook_sees_the_runs_warnings() -> None:
    """tradesim.api: ``result.warnings`` is the ledger's lines, the same as the CLI's."""
    import logging

    import numpy as np
    import pandas as pd

    from tradesim import api

    class Warns:
        def prepare(self, ctx) -> None:  # noqa: ANN001
            self.dates = ctx.market.dates

        def target_weights(self, t, account):  # noqa: ANN001, ANN201
            if t == 2:
                logging.getLogger("my_strategy").warning("odd signal on %s", self.dates[t].date())
            return np.array([0.4, 0.4])

    days = pd.bdate_range("2024-01-02", periods=5)
    closes = pd.DataFrame({"AAA": [100.0, 101, 102, 104, 103], "BBB": [np.nan, 51, 52, 50, 51]}, index=days)
    result = api.backtest(closes, strategy=Warns(), optimiser="round", capital=10_000)
    assert result.warnings == [FIRST_DAY, "odd signal on 2024-01-04"]
