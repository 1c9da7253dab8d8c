"""``tradesim paper run A.toml B.toml ...`` (or a folder): independent portfolios, the worst exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from db.session import open_engine
from tests.paper.test_paper_run import CONFIG, ledger

TRADESIM = str(Path(sys.executable).parent / "tradesim")


def portfolio(folder: Path, name: str, **replace: str) -> Path:
    body = CONFIG.replace('name = "paper-fixture"', f'name = "{name}"')
    for old, new in replace.items():
        body = body.replace(old, new)
    path = folder / f"{name}.toml"
    path.write_text(body)
    return path


def paper(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRADESIM, "paper", "run", *args, "--as-of", "2022-09-15"], capture_output=True,
                          text=True, timeout=180)


def runs(url: str) -> dict[str, int]:
    with open_engine(url).connect() as conn:
        return dict(conn.execute(text("SELECT p.name, r.id FROM runs r JOIN portfolios p ON p.id = r.portfolio_id")).all())


def test_a_failing_portfolio_stops_none_of_the_others_and_sets_the_exit_code(tmp_path: Path) -> None:
    folder = tmp_path / "portfolios"
    folder.mkdir()
    portfolio(folder, "alpha")
    portfolio(folder, "beta", **{'symbol = "KO"': 'symbol = "NOPE"'})  # not in the bundled data
    portfolio(folder, "gamma", **{"capital = 100000": "capital = 250000"})
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"

    done = paper(str(folder), "--db", str(db))
    assert done.returncode == 2, done.stderr
    first, last = done.stderr.strip().splitlines()  # one line for the failure, one for the outcome
    assert "beta.toml" in first and "unknown instrument 'NOPE'" in first
    assert last == "error: paper run: 3 portfolios, 2 done, 1 not (exit 2)"
    recorded = runs(url)
    assert sorted(recorded) == ["alpha", "gamma"]

    # Each is the run it would be alone.
    for name in ("alpha", "gamma"):
        alone = tmp_path / f"{name}.db"
        single = paper(str(folder / f"{name}.toml"), "--db", str(alone))
        assert single.returncode == 0, single.stderr
        assert ledger(url, recorded[name]) == ledger(f"sqlite:///{alone}")
        assert len(ledger(url, recorded[name])["processed_days"]) == 10

    # Again, naming a portfolio twice (on its own and in its folder): once each, nothing new.
    again = paper(str(folder / "alpha.toml"), str(folder), "--db", str(db))
    assert again.returncode == 2
    assert again.stdout.count("paper alpha: nothing to do") == 1 and "paper gamma: nothing to do" in again.stdout
    assert runs(url) == recorded

    # --format json: one document for them all, failures included.
    as_json = paper(str(folder), "--db", str(db), "--format", "json")
    assert as_json.returncode == 2
    document = json.loads(as_json.stdout)
    assert document["schema"] == "tradesim.paper-runs/1"
    assert [(p["portfolio"], p["run_id"], p["sessions"]) for p in document["portfolios"]] == \
        [("alpha", recorded["alpha"], []), ("gamma", recorded["gamma"], [])]
    assert [(Path(f["config"]).name, f["exit_code"]) for f in document["failed"]] == [("beta.toml", 2)]


def test_two_files_of_one_portfolio_run_it_once(tmp_path: Path) -> None:
    first = portfolio(tmp_path, "alpha")
    second = tmp_path / "alpha-copy.toml"
    second.write_text(first.read_text())
    db = tmp_path / "ledger.db"
    done = paper(str(first), str(second), "--db", str(db))
    assert done.returncode == 2
    assert f"{second}: portfolio 'alpha' is also {first}: a portfolio runs once per session" in done.stderr
    assert "paper alpha: processed 10 session(s)" in done.stdout
