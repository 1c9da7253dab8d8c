"""``tradesim paper schedule``: run the daily paper job under APScheduler 3.

The job store lives in the ledger database (table ``apscheduler_jobs``), so the
next run time survives a restart; ``coalesce`` folds runs missed while the
process was down into one, and a misfire grace of hours lets a late start still
run the day. The job itself is ``paper_run``, which catches up every unprocessed
session, so a missed day costs nothing but time.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from datetime import datetime, timedelta

from tradesim import calendar
from tradesim.config import load_config
from tradesim.schema import PortfolioConfig

log = logging.getLogger(__name__)

MISFIRE_GRACE = timedelta(hours=6)
AFTER_CLOSE = timedelta(minutes=30)


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


def scheduled_paper_run(config_path: str | None, db_url: str, sets: Sequence[str] = ()) -> None:
    """The scheduled job (module-level so the SQLAlchemy job store can reference it).

    It rereads the config file each day, with the ``--set`` assignments the schedule was started with.
    """
    from tradesim.paper import paper_run

    config = load_config(config_path, sets=sets)
    result = paper_run(config, db_url)
    if result.skipped:
        log.info("paper %s: nothing to do (%s)", config.name, result.skipped)
    else:
        log.info("paper %s: processed %s", config.name, ", ".join(str(d) for d in result.dates))


def build_scheduler(config_path: str | None, config: PortfolioConfig, db_url: str,  # noqa: ANN201
                    sets: Sequence[str] = ()):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    hour, minute, tz = job_time(config)
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=db_url)},
        job_defaults={"coalesce": True, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()), "max_instances": 1},
        timezone=tz,
    )
    scheduler.add_job(
        scheduled_paper_run, CronTrigger(day_of_week="mon-fri", hour=hour, minute=minute, timezone=tz),
        args=[config_path, db_url, list(sets)], id=f"paper:{config.name}", name=f"paper run {config.name}",
        replace_existing=True, coalesce=True, misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
    )
    return scheduler


def run_scheduler(config_path: str | None, config: PortfolioConfig, db_url: str, sets: Sequence[str] = ()) -> None:
    from apscheduler.events import EVENT_SCHEDULER_STARTED

    scheduler = build_scheduler(config_path, config, db_url, sets)
    hour, minute, tz = job_time(config)

    def started(_event) -> None:  # noqa: ANN001
        job = scheduler.get_job(f"paper:{config.name}")
        log.info("paper schedule for %s: weekdays at %02d:%02d %s, next run %s; job store %s",
                 config.name, hour, minute, tz, job.next_run_time, db_url)

    def stop(signum, _frame) -> None:  # noqa: ANN001
        log.info("received %s: stopping the scheduler", signal.Signals(signum).name)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:  # a signal before the scheduler got going: there is nothing to wind down
            log.info("scheduler stopped")
            raise SystemExit(0)

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()  # blocks until shutdown
    log.info("scheduler stopped")
