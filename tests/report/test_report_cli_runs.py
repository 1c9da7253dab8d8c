"""``--report`` on replay and compare, and matplotlib kept out of ``tradesim``'s import."""

from __future__ import annotations

import subprocess
import sys

from report_ledgers import STOCKS_TOML
from tradesim.cli import main
from tradesim.report import FIGURES


def short_config(tmp_path) -> str:  # noqa: ANN001
    path = tmp_path / "short.toml"
    path.write_text(STOCKS_TOML.replace("end = 2021-06-30", "end = 2019-03-29"))
    return str(path)


def test_replay_and_compare_write_their_report_after_the_run(tmp_path, capsys) -> None:  # noqa: ANN001
    db = str(tmp_path / "l.db")
    assert main(["replay", short_config(tmp_path), "--db", db, "--report", str(tmp_path / "r.html"),
                 "--png", str(tmp_path / "png")]) == 0
    assert "report of run 1: " in capsys.readouterr().out
    assert (tmp_path / "r.html").read_text(encoding="utf-8").count("data:image/png;base64,") == len(FIGURES)
    assert sorted(p.stem for p in (tmp_path / "png").iterdir()) == sorted(FIGURES)

    assert main(["compare", short_config(tmp_path), "--db", db, "--report", str(tmp_path / "c.html")]) == 0
    assert "report of runs 2, 3, 4, 5, 6: " in capsys.readouterr().out
    html = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert "ideal (run 2)" in html and "buffered (run 5)" in html and "dynamic (run 6)" in html  # by variant: the portfolio is the title's


def test_png_without_report_is_refused_before_the_replay(tmp_path, capsys) -> None:  # noqa: ANN001
    db = tmp_path / "never.db"
    assert main(["replay", short_config(tmp_path), "--db", str(db), "--png", str(tmp_path / "png")]) == 2
    assert "--png DIR writes the report's figures: give --report PATH too" in capsys.readouterr().err
    assert not db.exists()


def test_tradesim_and_its_cli_import_no_matplotlib_and_a_report_no_pyplot(stocks) -> None:  # noqa: ANN001
    code = f"""
import sys
import tradesim, tradesim.cli
tradesim.cli._register()
assert 'matplotlib' not in sys.modules, 'matplotlib imported with the CLI'
from tradesim.report import render_report
render_report({stocks.url!r}, [{stocks.run_ids[0]}])
assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported by a report'
"""
    subprocess.run([sys.executable, "-c", code], check=True)
