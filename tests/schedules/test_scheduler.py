"""The APScheduler jobs made from subscriptions, in the store's own database: one job per
scope at its local hour and zone, stable ids, removed when nobody subscribes, stored with
coalesce on; a run missed while no worker ran survives a restart and a backlog fires once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session

from schedules.scheduler import job_store, make_scheduler
from schedules.sync import sync_jobs
from store import tables as t
from store.models import Subscription
from tests.schedules.store_seed import seed

CALLS: list[str] = []
_LOCK = threading.Lock()


def record_call(scope: str) -> None:
    """A stand-in briefing job (importable, so the job store can restore it)."""
    with _LOCK:
        CALLS.append(scope)


def test_sync_makes_one_job_per_scope_in_its_zone(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        session.add(Subscription(user_id=1, channel="outbox", scope="org:1", send_hour_local=8))
        session.add(Subscription(user_id=1, channel="slack", scope="org:1", send_hour_local=6))
        session.add(Subscription(user_id=1, channel="outbox", scope="location:2"))
        session.commit()
    scheduler = make_scheduler(engine)
    scheduler.start(paused=True)
    try:
        result = sync_jobs(scheduler, engine, default_timezone="UTC")
        assert result.briefings == ("briefing:location:1", "briefing:location:2", "briefing:org:1")
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            "briefing:location:1",
            "briefing:location:2",
            "briefing:org:1",
            "outreach:send-due",
            "outreach:reconcile",
            "briefing:retry-deliveries",
        }
        # org:1 → its first location's zone (Los Angeles), earliest hour of its subscriptions (6).
        assert str(jobs["briefing:org:1"].trigger.timezone) == "America/Los_Angeles"
        assert "hour='6'" in repr(jobs["briefing:org:1"].trigger)
        assert str(jobs["briefing:location:2"].trigger.timezone) == "America/New_York"
        assert jobs["briefing:location:1"].func_ref == "schedules.jobs:briefing_job"
        assert jobs["briefing:location:1"].args == ("location:1",)
        assert jobs["briefing:location:1"].coalesce is True
        assert jobs["briefing:location:1"].misfire_grace_time is None

        # Unsubscribing location 2 removes its job on the next sync; ids stay the same.
        with engine.begin() as conn:
            conn.execute(
                update(t.subscription)
                .where(t.subscription.c.scope == "location:2")
                .values(active=False)
            )
        again = sync_jobs(scheduler, engine, default_timezone="UTC")
        assert again.removed == ("briefing:location:2",)
        assert scheduler.get_job("briefing:location:2") is None
        assert len(scheduler.get_jobs()) == 5
    finally:
        scheduler.shutdown(wait=False)


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_backlog_missed_while_stopped_fires_once_after_restart(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    CALLS.clear()
    func = "tests.schedules.test_scheduler:record_call"
    first = make_scheduler(engine)
    first.start(paused=True)
    sync_jobs(first, engine, default_timezone="UTC", briefing_func=func)
    first.shutdown(wait=True)
    # The machine was off for five days: the stored next run is five days ago (written to the
    # store directly, as no scheduler ran meanwhile).
    five_days_ago = datetime.now(UTC) - timedelta(days=5)
    store = job_store(engine)
    store.start(make_scheduler(engine), "default")
    stored = store.lookup_job("briefing:location:1")
    stored.next_run_time = five_days_ago
    store.update_job(stored)

    second = make_scheduler(engine)  # a new worker process, the same job store
    second.start(paused=True)
    try:
        sync_jobs(second, engine, default_timezone="UTC", briefing_func=func)
        job = second.get_job("briefing:location:1")
        assert abs((job.next_run_time - five_days_ago).total_seconds()) < 1  # not recomputed
        second.resume()
        assert wait_for(lambda: len(CALLS) >= 1)
        time.sleep(0.5)  # any further catch-up run would have fired by now
        assert CALLS == ["location:1"]  # five missed mornings, one run
        assert second.get_job("briefing:location:1").next_run_time > datetime.now(UTC)
    finally:
        second.shutdown(wait=True)
