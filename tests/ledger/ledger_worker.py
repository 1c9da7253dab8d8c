"""A separate process for the concurrency tests: ``python ledger_worker.py MODE URL CONFIG ARG GATE``.

MODE ``open``: open URL (creating or upgrading the schema) and print its revision.
MODE ``replay``: replay CONFIG renamed to portfolio ARG into URL.
MODE ``days``: step CONFIG's days and write each into the existing run ARG, as a
paper trader catching up would; a day another process has already written
fails on the ledger's keys, rolls back whole, and counts as skipped.
Each worker touches GATE.ready-<pid>, waits for GATE to exist, then starts, so
two workers race from the same moment. Prints a JSON summary.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from db.session import open_engine


def wait_for(gate: Path) -> None:
    Path(f"{gate}.ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 600  # the other worker may still be importing on a loaded machine
    while not gate.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the gate never opened")
        time.sleep(0.005)


def write_days(url: str, config_path: str, run_id: int, gate: Path) -> dict:
    from sqlalchemy.exc import IntegrityError

    from db import ledger
    from tradesim.config import load_config
    from tradesim.engine import Engine
    from tradesim.replay import load_market

    config = load_config(config_path)
    market = load_market(config)
    engine = Engine(config, market)
    db = open_engine(url)
    with db.connect() as conn:
        ids = ledger.ensure_instruments(conn, config)
        conn.commit()
    writer = ledger.DayWriter(run_id, ids, [d.date() for d in market.dates])
    book, written, skipped = engine.opening_book(), 0, 0
    wait_for(gate)
    with db.connect() as conn:
        for t in range(market.n_days):
            book, day = engine.step(book, t)
            try:
                with conn.begin():
                    writer.write(conn, day)
                written += 1
            except (IntegrityError, db.dialect.loaded_dbapi.IntegrityError):
                # The other process committed this day first. (DayWriter writes through the
                # DBAPI cursor, so the driver's own error arrives unwrapped.)
                skipped += 1
            writer.committed(day)
    db.dispose()
    return {"written": written, "skipped": skipped}


def main(mode: str, url: str, config_path: str, arg: str, gate: str) -> None:
    if mode == "open":
        from db import migrations

        wait_for(Path(gate))
        engine = open_engine(url)
        with engine.connect() as conn:
            print(json.dumps({"revision": migrations.current_revision(conn)}))
        engine.dispose()
    elif mode == "replay":
        from tradesim.config import load_config
        from tradesim.replay import load_market, replay

        config = load_config(config_path, name=arg)
        market = load_market(config)
        wait_for(Path(gate))
        result = replay(config, url, market=market)
        print(json.dumps({"run_id": result.run_id, "end_nav": result.summary.end_nav}))
    else:
        print(json.dumps(write_days(url, config_path, int(arg), Path(gate))))


if __name__ == "__main__":
    main(*sys.argv[1:])
