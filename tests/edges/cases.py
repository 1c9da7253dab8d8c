"""The hostile inputs: what a new user, a cron job and a fault injector hand to ``tradesim``.

Each case is a folder (the base files below plus its own), a command line run by the
real console script there, and what must come back: the exit code and the one line
that names the problem. A case with ``ledger`` gets a copy of a small replay's ledger
as ``ledger.db`` (or a ledger made as it says), whose bytes must not change; ``env``
adds to the command's environment.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

CLOSES = ("Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-04,97,52\n2024-01-05,104,50\n"
          "2024-01-08,99,53\n2024-01-09,103,49\n2024-01-10,98,51\n")
CONFIG = """name = "edge"
capital = 10000
start = "2024-01-02"
[data]
source = "csv"
path = "closes.csv"
[strategy]
name = "fixed_weights"
params = { weights = { AAA = 0.4, BBB = 0.4 } }
[[instruments]]
symbol = "AAA"
[[instruments]]
symbol = "BBB"
"""
BASE = {"good.toml": CONFIG, "closes.csv": CLOSES}


def config(**changes: str) -> str:
    """The base config with lines replaced (``key=None`` drops it) or added."""
    lines = CONFIG.splitlines()
    for key, value in changes.items():
        key = key.replace("__", ".")
        hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
        if hits:
            lines[hits[0]] = f"{key} = {value}"
        else:
            lines.insert(2, f"{key} = {value}")
    return "\n".join(lines) + "\n"


def foreign_sqlite(path: Path) -> None:
    """Another application's database that happens to have a ``runs`` table."""
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE runs (id INTEGER PRIMARY KEY, what TEXT); INSERT INTO runs VALUES (1, 'x');"
                       "CREATE TABLE users (name TEXT);")
    conn.commit()
    conn.close()


def damage(path: Path) -> None:
    """Overwrite the cell pointers of the equity table's root page: quick_check fails."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'equity'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * size + 8)
        f.write(b"\xff" * 64)


def newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    says: str  # a substring of the one line on stderr (of stdout, for a help page)
    files: dict[str, str | bytes] = field(default_factory=dict)
    # "copy" (as ledger.db) or "paper" (as paper.db): a small replay's or paper run's ledger;
    # "foreign", "damaged", "newer", "random", "fifo" (as NAME.db): made so
    ledger: str | None = None
    warning: bool = False  # exit 0: a warning or a notice, not an error
    env: dict[str, str] = field(default_factory=dict)  # the command's environment, beyond the test's


def c(id: str, args: str | tuple, code: int, says: str, **kw) -> Case:  # noqa: A002, ANN003
    return Case(id, tuple(args.split()) if isinstance(args, str) else args, code, says, **kw)


# An environment without the postgres extra: this psycopg shadows the installed one and fails as a missing one does.
NO_PSYCOPG = {"shim/psycopg/__init__.py": "raise ImportError(\"No module named 'psycopg'\", name='psycopg')\n"}
NOT_UTF8 = "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,1\xe901,51\n".encode("latin-1")
R = "replay good.toml --db ledger.db"

CASES = [
    # -- the command line itself
    c("no-arguments", "", 2, "Usage: tradesim"),
    c("unknown-option", "--bogus", 2, "No such option: --bogus"),
    c("unknown-command", "replay-all", 2, "No such command 'replay-all'"),
    c("capital-not-a-number", f"{R} --capital abc", 2, "Invalid value for '--capital'", ledger="copy"),
    c("capital-inf", f"{R} --capital inf", 2, "field 'capital': Input should be a finite number", ledger="copy"),
    c("capital-nan", f"{R} --capital nan", 2, "field 'capital'", ledger="copy"),
    c("capital-negative", f"{R} --capital -5", 2, "field 'capital': Input should be greater than 0", ledger="copy"),
    c("commit-every-zero", f"{R} --commit-every 0", 2, "Invalid value for '--commit-every'", ledger="copy"),
    c("start-not-a-date", f"{R} --start 2024-13-01", 2, "--start: '2024-13-01' is not a date", ledger="copy"),
    c("end-not-a-date", f"{R} --end yesterday", 2, "--end: 'yesterday' is not a date", ledger="copy"),
    c("start-after-end", f"{R} --start 2024-01-09 --end 2024-01-03", 2, "start 2024-01-09 is after end 2024-01-03",
      ledger="copy"),
    c("start-after-the-data", f"{R} --start 2025-01-02", 2, "no trading days between 2025-01-02", ledger="copy"),
    c("config-missing", "replay nosuch.toml --db ledger.db", 2, "nosuch.toml: config file not found", ledger="copy"),
    c("extra-argument", "db upgrade surplus", 2, "Got unexpected extra argument"),
    c("paper-without-subcommand", "paper", 2, "Usage: tradesim paper"),
    c("as-of-not-a-date", "paper run good.toml --as-of 2024-02-30 --db ledger.db", 2,
      "--as-of: '2024-02-30' is not a date", ledger="copy"),
    c("as-of-in-the-future", "paper run good.toml --as-of 2099-01-02 --db ledger.db", 2,
      "--as-of 2099-01-02: the session has not closed yet", ledger="copy"),
    c("report-run-not-a-number", "report first --db ledger.db", 2, "Invalid value for 'RUN'", ledger="copy"),
    c("report-png-without-report", f"{R} --png figs", 2, "--png DIR writes the report's figures: give --report",
      ledger="copy"),
    c("set-unknown-key", f"{R} --set nosuch=1", 2, "nosuch", ledger="copy"),
    # -- the config file
    c("config-not-utf8", "replay bad.toml --db ledger.db", 2, "bad.toml: not UTF-8 text (byte 0xe9",
      files={"bad.toml": CONFIG.replace('"edge"', '"\xe9dge"').encode("latin-1")}, ledger="copy"),
    c("config-not-toml", "replay bad.toml --db ledger.db", 2, "bad.toml: not valid TOML",
      files={"bad.toml": "name = \n"}, ledger="copy"),
    c("config-empty", "replay bad.toml --db ledger.db", 2, "bad.toml: field", files={"bad.toml": ""}, ledger="copy"),
    c("config-is-a-folder", "replay folder --db ledger.db", 2, "folder: config file not found",
      files={"folder/x": ""}, ledger="copy"),
    c("config-capital-inf", "replay bad.toml --db ledger.db", 2, "field 'capital': Input should be a finite number",
      files={"bad.toml": config(capital="inf")}, ledger="copy"),
    c("config-capital-nan", "replay bad.toml --db ledger.db", 2, "field 'capital'",
      files={"bad.toml": config(capital="nan")}, ledger="copy"),
    c("config-risk-target-inf", "replay bad.toml --db ledger.db", 2, "field 'risk_target'",
      files={"bad.toml": config(risk_target="inf")}, ledger="copy"),
    c("config-risk-target-too-big", "replay bad.toml --db ledger.db", 2, "field 'risk_target'",
      files={"bad.toml": config(risk_target="5")}, ledger="copy"),
    c("config-unknown-field", "replay bad.toml --db ledger.db", 2, "field 'captial'",
      files={"bad.toml": config(captial="5")}, ledger="copy"),
    c("config-unknown-strategy", "replay bad.toml --db ledger.db", 2, "unknown strategy 'nosuch'",
      files={"bad.toml": CONFIG.replace('name = "fixed_weights"', 'name = "nosuch"')}, ledger="copy"),
    c("config-bad-strategy-params", "replay bad.toml --db ledger.db", 2, "field 'strategy.params.wrong'",
      files={"bad.toml": CONFIG.replace("params = { weights", "params = { wrong")}, ledger="copy"),
    c("config-instrument-twice", "replay bad.toml --db ledger.db", 2, "instrument 'AAA' is listed twice",
      files={"bad.toml": CONFIG + '[[instruments]]\nsymbol = "AAA"\n'}, ledger="copy"),
    c("config-start-after-end", "replay bad.toml --db ledger.db", 2, "start 2024-01-09 is after end 2024-01-03",
      files={"bad.toml": config(start='"2024-01-09"', end='"2024-01-03"')}, ledger="copy"),
    c("config-start-not-a-date", "replay bad.toml --db ledger.db", 2, "field 'start'",
      files={"bad.toml": config(start='"2024-02-30"')}, ledger="copy"),
    c("config-no-instruments", "replay bad.toml --db ledger.db", 2, "field 'instruments'",
      files={"bad.toml": CONFIG.split("[[instruments]]")[0] + "instruments = []\n"}, ledger="copy"),
    c("config-schedule-time", "replay bad.toml --db ledger.db", 2, "field 'schedule_time'",
      files={"bad.toml": config(schedule_time='"25:00"')}, ledger="copy"),
    c("config-unknown-calendar", "replay bad.toml --db ledger.db", 2, "field 'calendar'",
      files={"bad.toml": config(calendar='"NOPE"')}, ledger="copy"),
    c("config-unknown-source", "replay bad.toml --db ledger.db", 2, "field 'data.source'",
      files={"bad.toml": CONFIG.replace('source = "csv"', 'source = "ftp"')}, ledger="copy"),
    c("config-csv-without-path", "replay bad.toml --db ledger.db", 2, "a csv source needs the path",
      files={"bad.toml": CONFIG.replace('path = "closes.csv"\n', "")}, ledger="copy"),
    c("config-negative-patience", "paper run bad.toml --as-of 2024-01-10 --db ledger.db", 2, "field 'paper.patience'",
      files={"bad.toml": CONFIG + "[paper]\npatience = -1\n"}, ledger="copy"),
    c("config-lowercase-currency", "replay bad.toml --db ledger.db", 2, "field 'base_currency'",
      files={"bad.toml": config(base_currency='"usd"')}, ledger="copy"),
    # -- price files
    c("prices-missing", f"{R}", 2, "closes.csv: price file not found", files={"closes.csv": None}, ledger="copy"),
    c("prices-empty-file", f"{R}", 2, "closes.csv: the file is empty", files={"closes.csv": ""}, ledger="copy"),
    c("prices-header-only", f"{R}", 2, "closes.csv: no price columns", files={"closes.csv": "Date,AAA,BBB\n"},
      ledger="copy"),
    c("prices-not-utf8", f"{R}", 2, "closes.csv: not UTF-8 text (byte 0xe9", files={"closes.csv": NOT_UTF8},
      ledger="copy"),
    c("prices-no-date-column", f"{R}", 2, "the first column 'AAA' holds numbers, not dates",
      files={"closes.csv": "AAA,BBB\n100,50\n101,51\n"}, ledger="copy"),
    c("prices-bad-date", f"{R}", 2, "closes.csv: line 3: field 'Date' is not a date",
      files={"closes.csv": "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-33,101,51\n"}, ledger="copy"),
    c("prices-not-a-number", f"{R}", 2, "instrument 'BBB' on 2024-01-03: price '5l' is not a number",
      files={"closes.csv": "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,5l\n"}, ledger="copy"),
    c("prices-date-twice", f"{R}", 2, "closes.csv: date 2024-01-03 appears twice",
      files={"closes.csv": "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,101,51\n2024-01-03,101,51\n"},
      ledger="copy"),
    c("prices-unknown-instrument", f"{R}", 2, "unknown instrument 'BBB' (not in the data)",
      files={"closes.csv": "Date,AAA,CCC\n2024-01-02,100,50\n2024-01-03,101,51\n"}, ledger="copy"),
    c("prices-negative", f"{R}", 2, "instrument 'AAA' on 2024-01-03: non-positive price -101.0",
      files={"closes.csv": "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,-101,51\n"}, ledger="copy"),
    c("prices-jump", f"{R}", 2, "instrument 'AAA' on 2024-01-03: a move of +900% in a day",
      files={"closes.csv": "Date,AAA,BBB\n2024-01-02,100,50\n2024-01-03,1000,51\n"}, ledger="copy"),
    c("prices-opens-missing", "replay bad.toml --db ledger.db", 2, "opens.csv: price file not found",
      files={"bad.toml": CONFIG.replace('path = "closes.csv"', 'path = "closes.csv"\nopens = "opens.csv"')},
      ledger="copy"),
    c("prices-no-fx-rate", "replay bad.toml --db ledger.db", 2, "instrument 'AAA': no FX rate EURUSD",
      files={"bad.toml": CONFIG.replace('symbol = "AAA"', 'symbol = "AAA"\ncurrency = "EUR"')}, ledger="copy"),
    c("prices-instrument-never-priced", "replay bad.toml --db new.db", 0, "no prices at all from 2024-01-02 for CCC",
      files={"bad.toml": CONFIG.replace('"closes.csv"', '"three.csv"') + '[[instruments]]\nsymbol = "CCC"\n',
             "three.csv": "Date,AAA,BBB,CCC\n2024-01-02,100,50,\n2024-01-03,101,51,\n2024-01-04,97,52,\n"},
      warning=True),
    c("prices-nan-on-the-first-day", "replay good.toml --db new.db", 0, "no price on the first day 2024-01-02 for BBB",
      files={"closes.csv": CLOSES.replace("2024-01-02,100,50", "2024-01-02,100,")}, warning=True),
    # -- paper trading
    c("paper-prices-not-arrived", "paper run good.toml --as-of 2024-01-11 --db new.db", 3,
      "the prices for 2024-01-11 have not arrived (waiting for AAA, BBB)"),
    c("paper-as-of-before-the-last-processed", "paper run good.toml --as-of 2024-01-03 --db paper.db", 0,
      "every session up to 2024-01-03 is already processed (the last processed is 2024-01-10)", ledger="paper",
      warning=True),
    # -- the ledger
    c("db-random-bytes", "replay good.toml --db random.db", 2, "random.db: not a tradesim ledger (not an SQLite",
      ledger="random"),
    c("db-another-applications-sqlite", "replay good.toml --db foreign.db", 2,
      "foreign.db: not a tradesim ledger (an SQLite database of another application", ledger="foreign"),
    c("db-another-applications-sqlite-query", "runs --db foreign.db", 2, "foreign.db: not a tradesim ledger",
      ledger="foreign"),
    c("db-another-applications-sqlite-upgrade", "db upgrade --db foreign.db", 2, "foreign.db: not a tradesim ledger",
      ledger="foreign"),
    c("db-damaged", "replay good.toml --db damaged.db", 2, "damaged.db: the ledger is damaged", ledger="damaged"),
    c("db-damaged-paper", "paper run good.toml --as-of 2024-01-10 --db damaged.db", 2,
      "damaged.db: the ledger is damaged", ledger="damaged"),
    c("db-check-damaged", "db check --db damaged.db", 2, "the ledger is damaged: restore a backup", ledger="damaged"),
    c("db-newer-schema", "replay good.toml --db newer.db", 2, "is newer than this tradesim", ledger="newer"),
    c("db-is-a-folder", "replay good.toml --db folder", 2, "folder: is a folder, not a ledger file",
      files={"folder/x": ""}),
    c("db-under-a-file", "replay good.toml --db closes.csv/ledger.db", 2, "closes.csv is a file, not a folder"),
    c("db-unknown-scheme", "replay good.toml --db foo://ledger", 2, "unknown database URL scheme 'foo'"),
    c("db-unknown-driver", "replay good.toml --db postgresql+nosuch://u@127.0.0.1/x", 2,
      "unknown database URL scheme 'postgresql+nosuch'"),
    c("db-driver-not-installed", "replay good.toml --db mysql://u@127.0.0.1/x", 2, "the driver is not installed"),
    c("db-postgres-without-the-extra", "replay good.toml --db postgresql+psycopg://u:p@127.0.0.1/x", 2,
      "the driver is not installed: psycopg (pip install 'tradesim[postgres]')", files=NO_PSYCOPG,
      env={"PYTHONPATH": "shim"}),
    c("db-postgres-without-the-extra-query", "runs --db postgresql://u:p@127.0.0.1/x", 2,
      "the driver is not installed: psycopg (pip install 'tradesim[postgres]')", files=NO_PSYCOPG,
      env={"PYTHONPATH": "shim"}),
    c("db-query-missing-ledger", "trades --db missing.db", 2, "missing.db: no such ledger"),
    c("db-is-a-device", "replay good.toml --db /dev/null", 2, "/dev/null: not a regular file"),
    c("db-query-a-device", "runs --db /dev/null", 2, "/dev/null: not a regular file"),
    c("db-upgrade-a-device", "db upgrade --db /dev/null", 2, "/dev/null: not a regular file"),
    c("db-check-a-device", "db check --db /dev/null", 2, "/dev/null: not a regular file"),
    c("db-is-a-fifo", "runs --db fifo.db", 2, "fifo.db: not a regular file", ledger="fifo"),
    c("db-paper-on-a-fifo", "paper run good.toml --as-of 2024-01-10 --db fifo.db", 2, "fifo.db: not a regular file",
      ledger="fifo"),
    c("db-check-missing-ledger", "db check --db missing.db", 2, "missing.db: no such ledger"),
    c("db-current-missing-ledger", "db current --db typo/missing.db", 2, "typo/missing.db: no such ledger"),
    c("db-no-such-run", "report 99 --db ledger.db", 2, "99", ledger="copy"),
    # -- output paths, checked before the work
    c("report-under-a-file", f"{R} --report closes.csv/r.html", 2, "--report closes.csv/r.html: closes.csv is a file",
      ledger="copy"),
    c("report-is-a-folder", f"{R} --report folder", 2, "--report folder: is a folder, not the file to write",
      files={"folder/x": ""}, ledger="copy"),
    c("report-png-is-a-file", f"{R} --report r.html --png closes.csv", 2, "--png closes.csv: is a file",
      ledger="copy"),
    c("report-out-under-a-file", "report 1 --db ledger.db --out closes.csv/r.html", 2, "closes.csv is a file",
      ledger="copy"),
    c("compare-on-another-applications-sqlite", "compare good.toml --db foreign.db", 2,
      "foreign.db: not a tradesim ledger", ledger="foreign"),
    c("import-into-another-applications-sqlite", "data import-pysystemtrade . --db foreign.db", 2,
      "foreign.db: not a tradesim ledger", ledger="foreign"),
    c("import-from-a-missing-folder", "data import-pysystemtrade nosuch --db new.db", 2, "nosuch: no such folder"),
    c("set-capital-inf", f"{R} --set capital=inf", 2, "--set capital=inf: field 'capital': Input should be a finite",
      ledger="copy"),
    c("query-bad-since", "trades --db ledger.db --since 2024-99-01", 2, "--since: '2024-99-01' is not a date",
      ledger="copy"),
    c("query-random-bytes", "runs --db random.db", 2, "random.db: not a tradesim ledger (not an SQLite database)",
      ledger="random"),
    # -- allocation tools; a message naming an index keeps its brackets
    c("profile-migration-columns", "profile --returns 0.04,0.07,0.11 --betas 0.6,1.0,1.5 --migration mig.csv", 2,
      "migration column 0 sums to 0.7, not 1 (P[i, j] is the probability of moving from j to i)",
      files={"mig.csv": "0.5,0.6,0.1\n0.2,0.4,0.1\n0,0,0.8\n"}),
    c("profile-plot-under-a-file", "profile --plot closes.csv/x.png", 2, "--plot closes.csv/x.png: closes.csv is a file"),
    # -- rebalance files
    c("rebalance-not-utf8", "rebalance holdings.csv targets.csv", 2, "holdings.csv: holdings file is not UTF-8",
      files={"holdings.csv": "asset,value\nSP\xc9,100\n".encode("latin-1"), "targets.csv": "asset,target\nSPY,1\n"}),
    c("rebalance-missing", "rebalance nosuch.csv targets.csv", 2, "nosuch.csv",
      files={"targets.csv": "asset,target\nSPY,1\n"}),
]
