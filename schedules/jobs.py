"""The scheduled jobs. Each job is a module-level function stored in the job store by its
textual reference (`schedules.jobs:briefing_job`), so any worker process can restore it.

The `*_job` functions read the process settings and open (once per process) the engine of the
configured database; the `run_*` functions they call take everything as arguments and are what
the tests drive with a fixed clock. Every run leaves a `JobRun` record.

On PostgreSQL the briefing and send jobs fan out: the leader defers one procrastinate task per
briefing (scope + day) and per message (`schedules.queue`), which every worker process executes;
on SQLite they run here, in the scheduler's threads.

Running twice is safe: the database allows one briefing per (scope, day) and one delivery per
(briefing, channel, recipient), and an outreach message is sent only by the worker whose
guarded `scheduled → sending` UPDATE matched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine

from clarity.settings import Settings, get_settings
from schedules.runs import finish_run, one_line, record_skipped, start_run
from schedules.timing import briefing_day, is_too_late, latest_due, schedule_of

log = logging.getLogger(__name__)

BRIEFING = "briefing"
SEND_DUE = "outreach-send"
RECONCILE = "outreach-reconcile"
RETRY = "delivery-retry"


@lru_cache(maxsize=4)
def shared_engine(url: str) -> Engine:
    """One engine per database URL per process (job threads share its pool)."""
    from store.db import make_engine

    return make_engine(url)


def _context() -> tuple[Engine, Settings]:
    settings = get_settings()
    return shared_engine(settings.database_url), settings


def run_scheduled_briefing(engine: Engine, settings: Settings, scope: str, *, now: datetime) -> str:
    """Import the scope's dropped exports (`schedules.refresh`), then run and deliver
    `scope`'s briefing due last at or before `now`, unless it is later than
    `settings.briefing_grace_hours`; returns the run's status (`ok`, `failed`, `skipped_late`,
    or `unsubscribed` when nobody subscribes to the scope any more: nothing is recorded)."""
    from agent.briefing.runner import brief
    from schedules.refresh import refresh_location, rejected_notes
    from store.scope import resolve_scope

    schedule = schedule_of(engine, scope, settings.default_timezone)
    if schedule is None:
        return "unsubscribed"
    due = latest_due(schedule.hour, schedule.zone, now)
    day = briefing_day(due)
    key = f"{scope}:{day.isoformat()}"
    grace = timedelta(hours=settings.briefing_grace_hours)
    if is_too_late(due, now, grace):
        late = now - due
        reason = f"due {due.isoformat()}, {late} late; grace {grace}"
        record_skipped(engine, BRIEFING, key, scheduled_for=due, now=now, reason=reason)
        log.warning("briefing %s skipped: %s", key, reason)
        return "skipped_late"
    run_id = start_run(engine, BRIEFING, key, scheduled_for=due, now=now)
    kind, _, ident = scope.partition(":")
    try:
        location_id = int(ident) if kind == "location" else None
        organization_id = int(ident) if kind == "org" else None
        # Yesterday, or the last day with data when the store has nothing newer: that (scope,
        # day) briefing exists already, so nothing is delivered twice.
        scope_locations = resolve_scope(engine, org=organization_id, location=location_id)
        # Fresh data first: exports dropped since the last run (each content once); the rows
        # they rejected are reported in this briefing's footer.
        imported = [
            item
            for lid in scope_locations.allowed_location_ids
            for item in refresh_location(engine, settings, lid, now=now)
        ]
        notes = rejected_notes(imported, at=now)
        resolved = resolve_scope(engine, org=organization_id, location=location_id)
        for_date = min(day, resolved.last_data_day)
        brief(
            engine,
            settings,
            location_id=location_id,
            organization_id=organization_id,
            for_date=for_date,
            deliver=True,
            footer_notes=notes,
        )
    except Exception as exc:
        log.exception("briefing %s failed", key)
        finish_run(engine, run_id, "failed", error=one_line(exc))
        return "failed"
    finish_run(engine, run_id, "ok")
    return "ok"


def briefing_run_key(
    engine: Engine, settings: Settings, scope: str, *, now: datetime
) -> str | None:
    """The `JobRun` key (`<scope>:<day>`) of `scope`'s briefing due last at or before `now`;
    None when nobody subscribes to the scope."""
    schedule = schedule_of(engine, scope, settings.default_timezone)
    if schedule is None:
        return None
    due = latest_due(schedule.hour, schedule.zone, now)
    return f"{scope}:{briefing_day(due).isoformat()}"


def run_queued_briefing(
    engine: Engine, settings: Settings, scope: str, *, now: datetime
) -> tuple[str, str]:
    """A queue worker's briefing run: nothing when a run of the same key already finished
    (status `done`: a re-queued or doubly deferred task), else `run_scheduled_briefing`.
    Returns (run key, status)."""
    from schedules.runs import has_finished

    key = briefing_run_key(engine, settings, scope, now=now)
    if key is None:
        return scope, "unsubscribed"
    if has_finished(engine, BRIEFING, key):
        return key, "done"
    return key, run_scheduled_briefing(engine, settings, scope, now=now)


def fans_out(engine: Engine) -> bool:
    """True when jobs go through the procrastinate queue (PostgreSQL), not this process."""
    return engine.dialect.name == "postgresql"


def defer_briefing(engine: Engine, settings: Settings, scope: str, *, now: datetime) -> str:
    """Queue `scope`'s due briefing for any worker process; `queued`, `already-queued` or
    `unsubscribed`."""
    from schedules.queue import BRIEFING_TASK, defer

    key = briefing_run_key(engine, settings, scope, now=now)
    if key is None:
        return "unsubscribed"
    queued = defer(settings.database_url, BRIEFING_TASK, f"briefing:{key}", scope=scope)
    return "queued" if queued else "already-queued"


def defer_due_sends(engine: Engine, settings: Settings, *, now: datetime) -> int:
    """Queue one send task per message whose window has opened; how many were queued."""
    from agent.outreach.delivery import due_messages
    from schedules.queue import SEND_TASK, defer, send_key

    return sum(
        defer(settings.database_url, SEND_TASK, send_key(mid), message_id=mid)
        for mid in due_messages(engine, now)
    )


def run_send_due(engine: Engine, settings: Settings, *, now: datetime) -> str:
    """Send the approved outreach messages whose window has opened (each at most once)."""
    from agent.outreach.delivery import send_due
    from channels.registry import message_channels_from_settings

    return _recorded(
        engine,
        SEND_DUE,
        now,
        lambda: len(send_due(engine, message_channels_from_settings(settings), now=now)),
    )


def run_reconcile(engine: Engine, settings: Settings, *, now: datetime) -> str:
    """Settle `unknown` (and stale `sending`) outreach messages by asking the provider."""
    from agent.outreach.delivery import reconcile
    from channels.registry import message_channels_from_settings

    return _recorded(
        engine,
        RECONCILE,
        now,
        lambda: len(reconcile(engine, message_channels_from_settings(settings), now=now)),
    )


def run_retry_deliveries(engine: Engine, settings: Settings, *, now: datetime) -> str:
    """Re-attempt failed briefing deliveries whose backoff has passed."""
    from agent.briefing.graph import retry_deliveries
    from channels.registry import channels_from_settings

    return _recorded(
        engine,
        RETRY,
        now,
        lambda: len(
            retry_deliveries(
                engine,
                channels_from_settings(settings),
                app_base_url=settings.app_base_url,
                now=now,
            )
        ),
    )


def _recorded(engine: Engine, kind: str, now: datetime, work: Callable[[], int]) -> str:
    """Run `work()` (returns how many items it handled) under a `JobRun` record. Runs that
    handled nothing are not kept, so the periodic jobs do not flood the table."""
    run_id = start_run(engine, kind, "all", scheduled_for=None, now=now)
    try:
        handled = int(work())
    except Exception as exc:
        log.exception("%s failed", kind)
        finish_run(engine, run_id, "failed", error=one_line(exc))
        return "failed"
    if handled == 0:
        _forget(engine, run_id)
        return "idle"
    finish_run(engine, run_id, "ok", error=None)
    return "ok"


def _forget(engine: Engine, run_id: int) -> None:
    from sqlalchemy import delete

    from store.models import JobRun
    from store.tables import table_of

    with engine.begin() as conn:
        conn.execute(delete(table_of(JobRun)).where(table_of(JobRun).c.id == run_id))


# ----------------------------------------------------------------- the stored job functions


def briefing_job(scope: str) -> None:
    """APScheduler job: `scope`'s daily briefing (see `run_scheduled_briefing`), queued for the
    worker processes on PostgreSQL."""
    engine, settings = _context()
    if fans_out(engine):
        defer_briefing(engine, settings, scope, now=datetime.now(UTC))
        return
    run_scheduled_briefing(engine, settings, scope, now=datetime.now(UTC))


def send_due_job() -> None:
    """APScheduler job: outreach messages whose window opened (one queued task per message on
    PostgreSQL)."""
    engine, settings = _context()
    now = datetime.now(UTC)
    if fans_out(engine):
        defer_due_sends(engine, settings, now=now)
        return
    run_send_due(engine, settings, now=now)


def reconcile_job() -> None:
    """APScheduler job: reconcile outreach sends whose outcome is unknown."""
    engine, settings = _context()
    run_reconcile(engine, settings, now=datetime.now(UTC))


def retry_deliveries_job() -> None:
    """APScheduler job: retry failed briefing deliveries."""
    engine, settings = _context()
    run_retry_deliveries(engine, settings, now=datetime.now(UTC))
