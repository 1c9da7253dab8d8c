"""The paper run's evening summary: what happened today, sent by e-mail or webhook (apprise).

Each processed session owes one summary: ``owe`` records it inside the session's own
transaction, so it is owed exactly once and never for a day that rolled back. After
the run, ``send_owed`` sends every summary still owed (today's, and any that failed
before) as one message and marks them sent. A send that fails changes nothing else:
the days stay processed, the failure is logged and recorded on the rows (attempts,
error), and the next run tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, Engine, func, insert, select, update

from db.ledger import utc_now
from db.models import Equity, Fill, Notification, ProcessedDay
from tradesim.schema import PortfolioConfig

log = logging.getLogger(__name__)

# (title, body, urls) -> None on success, else the reason it failed.
Sender = Callable[[str, str, tuple[str, ...]], str | None]


@dataclass(frozen=True)
class Summary:
    title: str
    body: str
    days: list[date]


def owe(conn: Connection, run_id: int, day: date, warnings: int) -> None:
    """Record, in the session's transaction, that its summary is to be sent."""
    conn.execute(insert(Notification).values(run_id=run_id, day=day, status="pending", attempts=0, warnings=warnings))


def compose(conn: Connection, config: PortfolioConfig, run_id: int, as_of: date, db_url: str) -> Summary | None:
    """The message for every session still owed, oldest first; None when nothing is owed."""
    owed = conn.execute(select(Notification.day, Notification.warnings)
                        .where(Notification.run_id == run_id, Notification.status == "pending")
                        .order_by(Notification.day)).all()
    if not owed:
        return None
    days = [d for d, _ in owed]
    equity = dict((r.day, r) for r in conn.execute(
        select(Equity.day, Equity.nav, Equity.net_pnl).where(Equity.run_id == run_id, Equity.day.in_(days))))
    trades = dict(conn.execute(select(Fill.day, func.count()).where(Fill.run_id == run_id, Fill.day.in_(days))
                               .group_by(Fill.day)).all())
    ccy = config.base_currency
    lines = [f"Paper portfolio {config.name} (run {run_id}), {ccy}:"]
    for day, warnings in owed:
        e = equity.get(day)
        nav = f"NAV {e.nav:,.2f}, day P&L {e.net_pnl:+,.2f}" if e is not None else "no equity row"
        lines.append(f"{day}: {nav}, {trades.get(day, 0)} trades, {warnings} warnings")
    waiting = sessions_waiting(conn, config, run_id, as_of)
    lines.append(f"Sessions waiting for data: {waiting}")
    report = config.notify.report if config.notify and config.notify.report else f"tradesim report {run_id} --db {db_url}"
    lines.append(f"Report: {report}")
    last = equity.get(days[-1])
    headline = f"NAV {last.nav:,.2f} {ccy}, day P&L {last.net_pnl:+,.2f}" if last is not None else "processed"
    return Summary(f"tradesim {config.name} {days[-1]}: {headline}", "\n".join(lines), days)


def sessions_waiting(conn: Connection, config: PortfolioConfig, run_id: int, as_of: date) -> int:
    """Sessions up to ``as_of`` whose close has passed but which are not processed (no prices yet)."""
    from tradesim import calendar

    last = conn.execute(select(func.max(ProcessedDay.day)).where(ProcessedDay.run_id == run_id)).scalar()
    if last is None or last >= as_of:
        return 0
    return len(calendar.sessions(config.calendar, last + timedelta(days=1), as_of))


def apprise_send(title: str, body: str, urls: tuple[str, ...]) -> str | None:
    try:
        import apprise
    except ImportError:
        return "apprise is not installed (pip install 'tradesim[notify]')"
    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            return f"apprise cannot read the URL {url.split('://')[0]}://..."
    problems: list[str] = []

    def keep(entry, _plugin) -> None:  # noqa: ANN001 - apprise's log entries say why a send failed
        if entry.level in ("WARNING", "ERROR", "CRITICAL"):
            problems.append(entry.message)

    # apprise's own log lines would repeat the reason this module logs once, naming the days
    apprise_log = logging.getLogger("apprise")
    propagate, apprise_log.propagate = apprise_log.propagate, False
    try:
        sent = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT, log_callback=keep)
    finally:
        apprise_log.propagate = propagate
    return None if sent else ("; ".join(problems) or "apprise reported a failed send")


def send_owed(engine: Engine, config: PortfolioConfig, run_id: int, as_of: date, db_url: str,
              send: Sender = apprise_send) -> Summary | None:
    """Send what is owed; never raises for a failed send (it is recorded and retried next run)."""
    if config.notify is None:
        return None
    with engine.connect() as conn:
        summary = compose(conn, config, run_id, as_of, db_url)
    if summary is None:
        return None
    try:
        error = send(summary.title, summary.body, config.notify.urls)
    except Exception as exc:  # noqa: BLE001 - a broken mail server must not fail a processed day
        error = f"{type(exc).__name__}: {exc}"
    owed = (Notification.run_id == run_id) & Notification.day.in_(summary.days) & (Notification.status == "pending")
    with engine.begin() as conn:
        if error is None:
            conn.execute(update(Notification).where(owed).values(status="sent", sent_at=utc_now(), error=None,
                                                                 attempts=Notification.attempts + 1))
        else:
            conn.execute(update(Notification).where(owed).values(error=error, attempts=Notification.attempts + 1))
    if error is not None:
        log.warning("paper %s: the summary of %s was not sent (%s); the next run tries again",
                    config.name, ", ".join(str(d) for d in summary.days), error)
    return summary
