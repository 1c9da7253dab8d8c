"""The ledger's content is locked: the same replays give the same query results, value for value.

Speed work (bulk writes, columnar reads, SQL aggregation) must not change a single
number. ``data/ledger_digest.json`` holds a SHA-256 of every history query's result
for three short replays, computed before that work began:

- the packaged default (bundled stocks, dynamic optimiser), run through the real
  ``tradesim`` console script;
- ``data/mixed.toml`` (stocks and futures in USD and EUR, opens, FX);
- trend and carry on the SYNTHETIC pysystemtrade fixture (rolls, carry, negative prices).

Ledger rows are digested exactly (floats by ``repr``). P&L figures are digested at 1e-6
of the base currency as the row-by-row reference computes them (``reference=True``); the
database's sums, whose order of additions differs, must match that reference within 1e-6
(a digest of them would flip on a figure whose seventh decimal is a 5).
Regenerate only when a number is meant to change, and say why in the commit:
``python tests/ledger/test_ledger_lock.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from db import queries
from tradesim.config import load_config
from tradesim.replay import replay

HERE = Path(__file__).parent
REPO = HERE.parents[1]
DIGEST = HERE / "data" / "ledger_digest.json"
PST = REPO / "tests" / "fixtures" / "pysystemtrade"
WALL_CLOCK = {"started_at", "finished_at", "code_version", "config_hash"}  # differ from run to run by design
# Columns `runs` gained after the digest was taken (each run's warnings): left out, so that the
# lock still holds every column it held; tests/test_run_warnings.py checks their values.
ADDED_SINCE = {"warnings", "warning_text"}
FUTURES_BODY = f"""name = "synthetic-lock"
capital = 1000000
[strategy]
name = "trend_carry"
[optimiser]
method = "dynamic"
[data]
source = "pysystemtrade"
path = "{PST}"
[[instruments]]
symbol = "SYNTH_BUND"
[[instruments]]
symbol = "SYNTH_CRUDE"
"""


def _value(v: object, places: int | None) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "None"
    if isinstance(v, float):
        return repr(round(v, places) + 0.0) if places is not None else repr(v)
    if isinstance(v, (date, datetime, pd.Timestamp)):
        return v.isoformat()
    return repr(v.item() if hasattr(v, "item") else v)


def _digest(frame: pd.DataFrame, places: int | None = None) -> str:
    columns = [c for c in frame.columns if c not in WALL_CLOCK | ADDED_SINCE]
    h = hashlib.sha256(("|".join(columns) + "\n").encode())
    for row in frame[columns].itertuples(index=False, name=None):
        h.update(("|".join(_value(v, places) for v in row) + "\n").encode())
    return f"{len(frame)}:{h.hexdigest()[:20]}"


def query_digests(url: str) -> dict[str, str]:
    """One digest per history query over the ledger's latest run."""
    everything = dict(since="1900-01-01", until="2100-12-31")
    out = {
        "trades": _digest(queries.trades(url)),
        "fills": _digest(queries.fills(url)),
        "orders": _digest(queries.orders(url)),
        "positions_last_day": _digest(queries.positions(url)),
        "positions_every_day": _digest(queries.positions(url, **everything)),
        "equity": _digest(queries.equity(url)),
        "runs": _digest(queries.runs(url)),
    }
    for by in ("instrument", "asset_class", "month", "day", "asset_class,month"):
        # The row-by-row reference gives the locked figures; the database's sums (the default)
        # must give the same rows and figures, up to the order of the additions.
        reference = queries.pnl(url, by=by, reference=True)
        summed = queries.pnl(url, by=by)
        pd.testing.assert_frame_equal(summed, reference, check_exact=False, rtol=0, atol=1e-6, check_dtype=False)
        out[f"pnl_by_{by}"] = _digest(reference, places=6)
    return out


def _replay_default(folder: Path) -> str:
    db = folder / "default.db"
    done = subprocess.run(["tradesim", "replay", "--start", "2019-01-01", "--end", "2019-12-31", "--db", str(db)],
                          capture_output=True, text=True, cwd=folder, env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0, done.stderr
    return f"sqlite:///{db}"


def _replay_config(folder: Path, name: str, config_path: Path) -> str:
    url = f"sqlite:///{folder / name}"
    replay(load_config(config_path), url)
    return url


def all_digests(folder: Path) -> dict[str, dict[str, str]]:
    futures = folder / "futures.toml"
    futures.write_text(FUTURES_BODY)
    return {
        "default": query_digests(_replay_default(folder)),
        "mixed": query_digests(_replay_config(folder, "mixed.db", HERE / "data" / "mixed.toml")),
        "futures": query_digests(_replay_config(folder, "futures.db", futures)),
    }


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return all_digests(tmp_path_factory.mktemp("lock"))


@pytest.mark.parametrize("replay_name", ["default", "mixed", "futures"])
def test_history_queries_return_what_they_returned_before(digests, replay_name: str) -> None:  # noqa: ANN001
    expected = json.loads(DIGEST.read_text())[replay_name]
    assert digests[replay_name] == expected


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        DIGEST.write_text(json.dumps(all_digests(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGEST}", file=sys.stderr)
