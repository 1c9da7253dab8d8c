"""The report page: every section and figure there, self-contained, PNGs on request, the
summary the replay printed, the last trades as the ledger has them."""

from __future__ import annotations

import base64
import struct
from html.parser import HTMLParser

from db import queries
from tradesim.cli import main
from tradesim.report import FIGURES, SECTIONS, render_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """What the tests look at: section ids, figure ids, image sources, links, scripts, table cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.figures: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.scripts = 0
        self.cells: list[str] = []
        self._in_cell = False
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:  # noqa: ANN001
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"])
        elif tag == "figure":
            self.figures.append(a["id"])
        elif tag == "img":
            self.images.append(a["src"])
        elif tag in ("a", "link"):
            self.links.append(a.get("href", ""))
        elif tag == "script":
            self.scripts += 1
        elif tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag) -> None:  # noqa: ANN001
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data) -> None:  # noqa: ANN001
        if self._in_cell:
            self.cells[-1] += data


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def test_the_page_holds_every_section_and_an_embedded_png_per_figure(stocks_written) -> None:  # noqa: ANN001
    written = stocks_written
    page = Page(written.html.read_text(encoding="utf-8"))
    assert page.sections == list(SECTIONS)
    assert page.figures == [f"fig-{name}" for name in FIGURES]
    assert len(page.images) == len(FIGURES) == 7
    for src, name in zip(page.images, FIGURES):
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1])
        width, height = png_size(data)
        assert width == 1000 and height >= 250  # 10 in at 100 dpi
        assert (written.html.parent / "png" / f"{name}.png").read_bytes() == data  # --png: the same figures as files
    assert sorted(p.name for p in written.pngs) == sorted(f"{n}.png" for n in FIGURES)
    # Self-contained: no scripts, and links only to the page's own sections.
    assert page.scripts == 0
    assert page.links == [f"#{s}" for s in SECTIONS]


def test_the_summary_repeats_the_replays_own_figures_and_names_what_ran(stocks, stocks_written) -> None:  # noqa: ANN001
    report = stocks_written.report
    s = stocks.results[0].summary
    cells = Page(report.html).cells
    for expected in (f"{s.annual_return:.2%}", f"{s.annual_volatility:.2%}", f"{s.sharpe:.2f} (rf 0.00%)",
                     f"{s.max_drawdown:.2%}", f"{s.end_nav:,.2f} USD", f"{s.total_costs:,.2f} USD",
                     f"{s.annual_notional_turnover:.2f}x", f"{s.trades:,}"):
        assert expected in cells
    run = queries.runs(stocks.url, run=stocks.run_ids[0]).iloc[0]
    assert run.code_version in cells and run.config_hash in cells
    assert any(c.startswith("629 (2019-01-02 to 2021-06-30)") for c in cells)
    assert "buy_and_hold_risk_parity" in cells
    assert any(c.startswith("20%; buffer 1.00%") for c in cells)
    assert any(c.startswith("hybrid: cron=0 16 * * fri") for c in cells)


def test_last_trades_are_the_ledgers_newest_fills_newest_first(stocks, stocks_written) -> None:  # noqa: ANN001
    html = stocks_written.report.html
    trades_part = html[html.index('<section id="trades">'):]
    cells = Page(trades_part).cells
    header = cells[:10]
    assert header[:4] == ["filled", "decided", "symbol", "side"]
    rows = [cells[10 + 10 * k: 20 + 10 * k] for k in range(20)]
    fills = queries.trades(stocks.url, run=stocks.run_ids[0]).sort_values("fill_id").tail(20).iloc[::-1]
    assert [r[0] for r in rows] == [str(d) for d in fills["day"]]
    assert [r[2] for r in rows] == list(fills["symbol"])
    assert [r[3] for r in rows] == list(fills["side"])
    assert [r[-1] for r in rows] == list(fills["reason"])


def test_cli_report_writes_the_page_and_the_pngs(stocks, tmp_path, capsys) -> None:  # noqa: ANN001
    out, folder = tmp_path / "cli.html", tmp_path / "figs"
    code = main(["report", str(stocks.run_ids[0]), "--db", stocks.url, "--out", str(out), "--png", str(folder),
                 "--log", "--symbol", "KO,XOM"])
    assert code == 0
    assert len(Page(out.read_text(encoding="utf-8")).images) == 7
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.png" for n in FIGURES)
    said = capsys.readouterr().out
    assert f"report of run {stocks.run_ids[0]}: {out}" in said and "7 figures" in said
    assert "Instruments: KO, XOM " in out.read_text(encoding="utf-8")


def test_cli_mistakes_are_one_line_errors(stocks, tmp_path, capsys) -> None:  # noqa: ANN001
    run = str(stocks.run_ids[0])
    cases = [(["report", "999", "--db", stocks.url], "no run 999 in the ledger"),
             (["report", run, run, "--db", stocks.url], f"run {run} is named twice"),
             (["report", run, "--db", stocks.url, "-s", "MSFT"], "never ordered or held 'MSFT'"),
             (["report", run, "--db", str(tmp_path / "missing.db")], "no such ledger")]
    for argv, message in cases:
        assert main(argv + ["--out", str(tmp_path / "x.html")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.html").exists()


def test_a_report_reads_while_another_connection_holds_the_write_lock(futures) -> None:  # noqa: ANN001
    """A ledger writer (a paper run recording its day) does not block the report's reads.

    The ledger is opened first: opening checks the schema's revision, which on SQLite
    takes the write lock itself (db.migrations, not the report's to change). The report's
    connection then gets no busy timeout at all: anything in it that waited for the
    writer would fail at once with "database is locked", however slow the machine.
    """
    import sqlite3

    from db import queries

    with queries.connect(futures.url) as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        writer = sqlite3.connect(futures.url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")  # what a ledger writer holds while it records a day
            report = render_report(conn, futures.run_ids)
            assert len(report.figures) == len(FIGURES)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
