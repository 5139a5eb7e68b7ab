"""The worker loop: lead (or wait as a follower), run the scheduler while leading, re-sync the
jobs from the subscriptions every `sync_every` seconds, and stop cleanly when asked.

Stopping (`stop` set, e.g. by SIGTERM) shuts the scheduler down waiting for the jobs in hand
to finish, then releases leadership, so a follower takes over with nothing half done. A new
leader first catches up: today's briefings within the grace period that no run finished (the
previous leader died mid-run) fire at once (`schedules.sync.catch_up`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from schedules.leader import Leadership, leadership_for
from schedules.scheduler import make_scheduler
from schedules.sync import catch_up, sync_jobs

if TYPE_CHECKING:
    from clarity.settings import Settings

log = logging.getLogger(__name__)

SEND_DUE_JOB = "outreach:send-due"


def run_worker(
    engine: Engine,
    *,
    default_timezone: str,
    stop: threading.Event,
    poll_seconds: float = 1.0,
    sync_every: float = 60.0,
    leadership: Leadership | None = None,
    grace: timedelta = timedelta(hours=4),
    on_state: Callable[[str], None] | None = None,
) -> None:
    """Run until `stop` is set. `on_state` hears `follower`, `leader` and `stopped`.
    A SQLite database already worked by another process raises `WorkerAlreadyRunningError`."""
    lead = leadership or leadership_for(engine)
    say = on_state or (lambda state: None)
    try:
        while not stop.is_set():
            if not lead.try_acquire():
                say("follower")
                stop.wait(poll_seconds)
                continue
            say("leader")
            _lead(engine, lead, default_timezone, grace, stop, poll_seconds, sync_every)
    finally:
        lead.release()
        say("stopped")


def _lead(
    engine: Engine,
    lead: Leadership,
    default_timezone: str,
    grace: timedelta,
    stop: threading.Event,
    poll_seconds: float,
    sync_every: float,
) -> None:
    scheduler = make_scheduler(engine)
    # Paused first: the sync then sees the stored jobs (with runs missed while no worker ran)
    # before anything fires.
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, engine, default_timezone=default_timezone)
        caught = catch_up(
            scheduler,
            engine,
            default_timezone=default_timezone,
            grace=grace,
            now=datetime.now(UTC),
        )
        if caught:
            log.info("catching up: %s", ", ".join(caught))
        # Messages whose window opened while no leader ran go out now, not an interval later.
        send_due = scheduler.get_job(SEND_DUE_JOB)
        if send_due is not None:
            send_due.modify(next_run_time=datetime.now(UTC))
        scheduler.resume()
        synced = time.monotonic()
        while not stop.wait(poll_seconds):
            if not lead.alive():
                log.warning("lost the scheduler lock; stopping the scheduler")
                return
            if time.monotonic() - synced >= sync_every:
                sync_jobs(scheduler, engine, default_timezone=default_timezone)
                synced = time.monotonic()
    finally:
        scheduler.shutdown(wait=True)


def start_in_background(
    engine: Engine,
    settings: Settings,
    *,
    on_state: Callable[[str], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> Callable[[], None]:
    """Run the worker (and, on PostgreSQL, a queue worker) in daemon threads of this process,
    as `clarity demo --worker` does; returns the function that stops both (finishing the jobs
    in hand). A refusal to start (another worker on the SQLite file) goes to `on_error`."""
    from schedules.jobs import fans_out

    stop = threading.Event()
    queue_worker = None
    if fans_out(engine):
        from schedules.queue import QueueWorker

        queue_worker = QueueWorker(settings.database_url, name="demo")
        queue_worker.start()

    def body() -> None:
        try:
            run_worker(
                engine,
                default_timezone=settings.default_timezone,
                grace=timedelta(hours=settings.briefing_grace_hours),
                stop=stop,
                on_state=on_state,
            )
        except Exception as exc:  # reported to the caller; the demo goes on without a worker
            if on_error is None:
                raise
            on_error(exc)

    thread = threading.Thread(target=body, name="clarity-worker", daemon=True)
    thread.start()

    def stop_all() -> None:
        stop.set()
        thread.join(timeout=120)
        if queue_worker is not None:
            from schedules.queue import close_deferrers

            queue_worker.stop()
            close_deferrers()

    return stop_all
