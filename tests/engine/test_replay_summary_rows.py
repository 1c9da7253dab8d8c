"""The replay summary's sizing rows: contracts traded, average TE (annualised and daily), alpha."""

from __future__ import annotations

import numpy as np
from sqlalchemy import create_engine, text

from tradesim.cli import main


def test_sizing_rows_match_the_ledger(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("COLUMNS", "200")
    db = tmp_path / "l.db"
    assert main(["replay", "--start", "2021-01-04", "--end", "2021-03-31", "--capital", "100000", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    with create_engine(f"sqlite:///{db}").connect() as conn:
        units = conn.execute(text("SELECT sum(abs(quantity)) FROM fills")).scalar()
        te = conn.execute(text("SELECT avg(tracking_error) FROM diagnostics")).scalar()
        days = conn.execute(text("SELECT count(*) FROM diagnostics")).scalar()
    assert "Contracts traded" in out
    assert f"{units:,.0f} ({units / days:,.1f} a day, {units / days * 256:,.0f} a year)" in out
    assert f"{te:.2%} annualised ({te / np.sqrt(256):.3%} daily)" in out
    assert "Average adjustment factor" in out and "(days that traded)" in out
