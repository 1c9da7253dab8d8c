"""The paper run's evening summary, sent to a local SMTP server (aiosmtpd) and a local webhook.

The real ``tradesim paper run`` runs in a subprocess; the servers listen on 127.0.0.1.
A send that fails leaves every processed day in place, is recorded on the owed rows and
is retried (with the next day's) by the next run.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from email import message_from_string
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

from db import queries
from db.session import open_engine

pytest.importorskip("apprise")
controller = pytest.importorskip("aiosmtpd.controller")

from tests.paper.test_paper_run import CONFIG  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.messages.append(message_from_string(envelope.content.decode()))
        return "250 OK"


@pytest.fixture()
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box, port = Mailbox(), free_port()
    server = controller.Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    yield port, box
    server.stop()


@pytest.fixture()
def webhook() -> Iterator[tuple[int, list[dict]]]:
    posts: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port, posts
    server.shutdown()
    server.server_close()


def config(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "paper.toml"
    path.write_text(CONFIG + "\n[notify]\nurls = [" + ", ".join(f'"{u}"' for u in urls) + "]\n"
                    'report = "/srv/reports/paper.html"\n')
    return path


def paper_run(path: Path, db: Path, as_of: str) -> subprocess.CompletedProcess:
    return subprocess.run(["tradesim", "paper", "run", str(path), "--as-of", as_of, "--db", str(db)],
                          capture_output=True, text=True, timeout=180)


def expected_body(db: Path, days: list[str], trades: dict[str, int]) -> str:
    equity = queries.equity(f"sqlite:///{db}")
    lines = ["Paper portfolio paper-fixture (run 1), USD:"]
    for day in days:
        row = equity[equity.day.astype(str) == day].iloc[0]
        lines.append(f"{day}: NAV {row.nav:,.2f}, day P&L {row.net_pnl:+,.2f}, {trades[day]} trades, 0 warnings")
    return "\n".join([*lines, "Sessions waiting for data: 0", "Report: /srv/reports/paper.html"])


def owed(db: Path) -> list[tuple]:
    with open_engine(f"sqlite:///{db}").connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT day, status, attempts, error IS NULL FROM notifications "
                                                    "ORDER BY day"))]


def test_each_run_sends_one_summary_by_mail_and_webhook(tmp_path: Path, smtp, webhook) -> None:  # noqa: ANN001
    (smtp_port, box), (hook_port, posts) = smtp, webhook
    path = config(tmp_path, f"mailto://127.0.0.1:{smtp_port}?from=paper@example.com&to=me@example.com&mode=insecure",
                  f"json://127.0.0.1:{hook_port}/evening")
    db = tmp_path / "ledger.db"
    done = paper_run(path, db, "2022-09-06")
    assert done.returncode == 0, done.stderr
    # 1 Sep decides, 2 Sep fills four buys, 6 Sep four more (the ledger's fills, counted by hand from the log)
    body = expected_body(db, ["2022-09-01", "2022-09-02", "2022-09-06"],
                         {"2022-09-01": 0, "2022-09-02": 4, "2022-09-06": 4})
    nav = queries.equity(f"sqlite:///{db}").iloc[-1]
    title = f"tradesim paper-fixture 2022-09-06: NAV {nav.nav:,.2f} USD, day P&L {nav.net_pnl:+,.2f}"
    assert [m["Subject"] for m in box.messages] == [title]
    assert [m["To"] for m in box.messages] == ["me@example.com"]
    plain = next(p for p in box.messages[0].walk() if p.get_content_type() == "text/plain")
    assert plain.get_payload(decode=True).decode().replace("\r\n", "\n").strip() == body
    assert [(p["title"], p["message"]) for p in posts] == [(title, body)]
    assert owed(db) == [("2022-09-01", "sent", 1, 1), ("2022-09-02", "sent", 1, 1), ("2022-09-06", "sent", 1, 1)]
    # nothing new to do: nothing owed, nothing sent again
    assert paper_run(path, db, "2022-09-06").returncode == 0
    assert len(box.messages) == 1 and len(posts) == 1


def test_a_failed_send_keeps_the_day_and_is_retried_next_run(tmp_path: Path, webhook) -> None:  # noqa: ANN001
    hook_port, posts = webhook
    db = tmp_path / "ledger.db"
    dead = free_port()  # nothing listens there
    done = paper_run(config(tmp_path, f"json://127.0.0.1:{dead}/evening"), db, "2022-09-02")
    assert done.returncode == 0
    assert "the summary of 2022-09-01, 2022-09-02 was not sent" in " ".join(done.stderr.split())
    assert "the next run tries again" in " ".join(done.stderr.split())
    assert owed(db) == [("2022-09-01", "pending", 1, 0), ("2022-09-02", "pending", 1, 0)]
    with open_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM processed_days")).scalar() == 2  # the days stand
    # still failing, with nothing new to process: tried again, still owed
    assert paper_run(config(tmp_path, f"json://127.0.0.1:{dead}/evening"), db, "2022-09-02").returncode == 0
    assert owed(db) == [("2022-09-01", "pending", 2, 0), ("2022-09-02", "pending", 2, 0)]
    # the next evening the webhook answers: yesterday's summary goes with today's
    done = paper_run(config(tmp_path, f"json://127.0.0.1:{hook_port}/evening"), db, "2022-09-06")
    assert done.returncode == 0, done.stderr
    assert [p["message"] for p in posts] == [expected_body(db, ["2022-09-01", "2022-09-02", "2022-09-06"],
                                                           {"2022-09-01": 0, "2022-09-02": 4, "2022-09-06": 4})]
    assert owed(db) == [("2022-09-01", "sent", 3, 1), ("2022-09-02", "sent", 3, 1), ("2022-09-06", "sent", 1, 1)]
