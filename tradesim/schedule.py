"""``tradesim paper schedule``: run the daily paper job under APScheduler 3.

The job store lives in the ledger database (table ``apscheduler_jobs``), so the
next run time survives a restart; ``coalesce`` folds runs missed while the
process was down into one, and a misfire grace of hours lets a late start still
run the day. The job itself is ``paper_run``, which catches up every unprocessed
session, so a missed day costs nothing but time; it also runs once at start-up, so
a daemon restarted after a missed run does it straight away rather than tomorrow.
When prices are late (``paper_run`` waits for them, exit 3 on the command line) the
job is tried again every ``paper.retry_minutes`` for up to ``paper.retry_hours``.
One daemon per portfolio and ledger: a second one refuses with one line.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from tradesim import calendar
from tradesim.config import load_config
from tradesim.schema import PaperSettings, PortfolioConfig
from tradesim.errors import Interrupted, LedgerError, TradesimError

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=6)
AFTER_CLOSE = timedelta(minutes=30)
# Set by SIGTERM/SIGINT: a job in progress stops after the day it is on (the worker thread
# gets no signal of its own), so the daemon stops in moments, not after a long catch-up.
STOPPING = threading.Event()
# How long a stop waits for a job still loading prices before leaving it: the process then
# exits as if killed, which exactly-once makes safe (an open day rolls back, the next run redoes it).
STOP_GRACE_SECONDS = 10.0


class RunningJobs:
    """How many paper jobs are in progress, so that a stop can wait for them (a while)."""

    def __init__(self) -> None:
        self.count, self.changed = 0, threading.Condition()

    @contextmanager
    def one(self) -> Iterator[None]:
        with self.changed:
            self.count += 1
        try:
            yield
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


JOBS = RunningJobs()


def job_time(config: PortfolioConfig) -> tuple[int, int, str]:
    """(hour, minute, timezone) of the daily job: the regular close plus 30 minutes, or the config's."""
    tz = calendar.exchange_timezone(config.calendar)
    if config.schedule_time:
        hour, minute = (int(p) for p in config.schedule_time.split(":"))
        return hour, minute, str(tz)
    cal = calendar.exchange_calendar(config.calendar)
    close = cal.close_times[-1][1]  # the regular close (early closes come earlier; we run after the regular one)
    when = datetime.combine(datetime(2000, 1, 3).date(), close) + AFTER_CLOSE
    return when.hour, when.minute, str(tz)


def scheduled_paper_run(config_path: str | None, db_url: str, sets: Sequence[str] = ()) -> str | None:
    """The scheduled job (module-level so the SQLAlchemy job store can reference it).

    It rereads the config file each day, with the ``--set`` assignments the schedule was started with.
    Returns what it waits for when prices are late (the scheduler then retries), else None.
    """
    from tradesim.paper import paper_run

    def stop_between_days(_day, _when) -> None:  # noqa: ANN001
        if STOPPING.is_set():
            raise Interrupted("SIGTERM", 143)

    with JOBS.one():
        try:
            config = load_config(config_path, sets=sets)
            result = paper_run(config, db_url, on_day=stop_between_days)
        except TradesimError as exc:  # the user's to fix: one line in the log, and the next run tries again
            log.error("paper run: %s", exc)
            return None
    if result.skipped:
        log.info("paper %s: nothing to do (%s)", config.name, result.skipped)
    elif result.dates:
        log.info("paper %s: processed %s", config.name, ", ".join(str(d) for d in result.dates))
    if result.waiting:
        log.warning("paper %s: %s", config.name, result.waiting)
    return result.waiting


def build_scheduler(config_path: str | None, config: PortfolioConfig, db_url: str,  # noqa: ANN201
                    sets: Sequence[str] = ()):
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    hour, minute, tz = job_time(config)
    # SQLite: wait for the ledger's write lock as the ledger's own connections do.
    options = {"connect_args": {"timeout": 30}} if db_url.startswith("sqlite") else {}
    store = SQLAlchemyJobStore(url=db_url, engine_options=options)
    ensure_job_table(store)
    scheduler = BlockingScheduler(
        jobstores={"default": store, "memory": MemoryJobStore()},
        job_defaults={"coalesce": True, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()), "max_instances": 1},
        timezone=tz,
    )
    scheduler.add_job(
        scheduled_paper_run, CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=tz),
        args=[config_path, db_url, list(sets)], id=f"paper:{config.name}", name=f"paper run {config.name}",
        replace_existing=True, coalesce=True, misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
    )
    return scheduler


def retry_at(now: datetime, until: datetime | None, settings: PaperSettings) -> tuple[datetime | None, datetime | None]:
    """After a run found prices late: when to try again, and until when (set at the first
    try). (None, None) once the next try would fall past that deadline."""
    until = until or now + timedelta(hours=settings.retry_hours)
    at = now + timedelta(minutes=settings.retry_minutes)
    return (at, until) if at <= until else (None, None)


def ensure_job_table(store) -> None:  # noqa: ANN001
    """Create the job table; two daemons starting together on a new ledger may both try."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DatabaseError

    try:
        store.jobs_t.create(store.engine, checkfirst=True)
    except DatabaseError:
        if not inspect(store.engine).has_table(store.jobs_t.name):
            raise


@contextmanager
def one_daemon(config: PortfolioConfig, db_url: str) -> Iterator[None]:
    """Hold a lock for this portfolio's daemon on this ledger; refuse if another holds it.

    SQLite: an flock on a file beside the ledger (released by the kernel when the process
    dies, however it dies). PostgreSQL: a session advisory lock on a connection kept open.
    """
    refuse = LedgerError(f"paper schedule for {config.name!r} is already running on {db_url}; "
                         "this one stops (one daemon per portfolio and ledger)")
    if db_url.startswith("sqlite"):
        import fcntl

        path = db_url.split("///", 1)[-1]
        if not path or path == ":memory:":
            yield
            return
        lock = Path(f"{path}.paper-{zlib.crc32(config.name.encode()):08x}.lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise refuse from None
            yield
        return
    if db_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(db_url)
        key = zlib.crc32(f"tradesim paper schedule {config.name}".encode())
        try:
            with engine.connect() as conn:
                if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                    raise refuse
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        finally:
            engine.dispose()
        return
    yield


def run_scheduler(config_path: str | None, config: PortfolioConfig, db_url: str, sets: Sequence[str] = ()) -> None:
    with one_daemon(config, db_url):
        _run_scheduler(config_path, config, db_url, sets)


def _run_scheduler(config_path: str | None, config: PortfolioConfig, db_url: str, sets: Sequence[str]) -> None:
    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_SCHEDULER_STARTED

    STOPPING.clear()
    scheduler = build_scheduler(config_path, config, db_url, sets)
    hour, minute, tz = job_time(config)
    job_id = f"paper:{config.name}"
    retry_until: list[datetime | None] = [None]

    def started(_event) -> None:  # noqa: ANN001
        job = scheduler.get_job(job_id)
        log.info("paper schedule for %s: weekdays at %02d:%02d %s, next run %s; job store %s",
                 config.name, hour, minute, tz, job.next_run_time, db_url)

    def after_run(event) -> None:  # noqa: ANN001
        """Late prices: try again every retry_minutes, until retry_hours after the first try."""
        if event.job_id not in (job_id, "catch-up", "retry"):
            return
        if not event.retval:
            retry_until[0] = None
            return
        at, retry_until[0] = retry_at(datetime.now(calendar.exchange_timezone(config.calendar)), retry_until[0],
                                      config.paper)
        if at is None:
            log.warning("paper %s: prices still late after %s h; the next scheduled run catches up",
                        config.name, config.paper.retry_hours)
            return
        log.info("paper %s: trying again at %s", config.name, at)
        scheduler.add_job(scheduled_paper_run, "date", run_date=at, args=[config_path, db_url, list(sets)], id="retry",
                          jobstore="memory", replace_existing=True)

    def stop(signum, _frame) -> None:  # noqa: ANN001
        STOPPING.set()
        if not scheduler.running:  # a signal before the scheduler got going: there is nothing to wind down
            log.info("received %s before the scheduler started: scheduler stopped", signal.Signals(signum).name)
            raise SystemExit(0)
        # Not from the handler itself: the signal may have landed while this (main) thread held a
        # lock that shutdown needs (the executor's, mid-submit), which would wait forever.
        threading.Thread(target=shut_down, args=(signal.Signals(signum).name,), daemon=True).start()

    def shut_down(name: str) -> None:
        log.info("received %s: stopping the scheduler", name)
        scheduler.shutdown(wait=False)

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    scheduler.add_listener(after_run, EVENT_JOB_EXECUTED)
    # Catch up at start: sessions closed while the daemon was down are run now, not tomorrow.
    scheduler.add_job(scheduled_paper_run, "date", args=[config_path, db_url, list(sets)], id="catch-up",
                      jobstore="memory",
                      misfire_grace_time=None)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()  # blocks until shutdown
    except Exception:  # noqa: BLE001
        if not STOPPING.is_set():
            raise
        # The stop raced the main loop (shutting down empties the job stores while the loop
        # removes a finished one-off job): the scheduler is stopping either way.
        log.debug("scheduler loop ended by the stop", exc_info=True)
    if not JOBS.wait_idle(STOP_GRACE_SECONDS):
        log.warning("a paper job was still busy %.0f s after the stop: leaving it (an open day rolls back; "
                    "the next run redoes it)", STOP_GRACE_SECONDS)
        log.info("scheduler stopped")
        logging.shutdown()
        os._exit(0)  # the worker thread would otherwise hold the process until its job ends
    log.info("scheduler stopped")
