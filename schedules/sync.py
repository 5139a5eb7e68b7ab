"""The scheduler's jobs, made from the store: one briefing job per subscribed scope and the
periodic jobs. Job ids are stable, so syncing again replaces jobs instead of adding copies:

- `briefing:<scope>` (e.g. `briefing:location:3`): daily at the scope's send hour in its zone
  (`schedules.timing`), a `CronTrigger` with that time zone, so DST changes move the UTC instant;
- `outreach:send-due` every 5 minutes, `outreach:reconcile` every 10 minutes,
  `briefing:retry-deliveries` every 5 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from schedules.scheduler import JOB_DEFAULTS
from schedules.timing import ScopeSchedule, scope_schedules

BRIEFING_FUNC = "schedules.jobs:briefing_job"
PERIODIC: tuple[tuple[str, str, int], ...] = (
    ("outreach:send-due", "schedules.jobs:send_due_job", 5),
    ("outreach:reconcile", "schedules.jobs:reconcile_job", 10),
    ("briefing:retry-deliveries", "schedules.jobs:retry_deliveries_job", 5),
)
PERIODIC_IDS = frozenset(job_id for job_id, _, _ in PERIODIC)


def briefing_trigger(schedule: ScopeSchedule) -> Any:
    """Daily at `schedule.hour`:00 in `schedule.zone` (a CronTrigger: DST-correct)."""
    from apscheduler.triggers.cron import CronTrigger

    return CronTrigger(hour=schedule.hour, minute=0, second=0, timezone=schedule.zone)


def briefing_job_id(scope: str) -> str:
    return f"briefing:{scope}"


@dataclass(frozen=True)
class SyncResult:
    briefings: tuple[str, ...]  # job ids kept or added
    removed: tuple[str, ...]  # briefing job ids whose scope nobody subscribes to any more


def _unchanged(job: Any, func: str, trigger: Any, args: list[str]) -> bool:
    """True when the stored job already runs `func(*args)` on the same schedule with today's
    defaults: re-adding it would recompute its next run from now and lose a missed run."""
    if job is None or job.func_ref != func or list(job.args) != args:
        return False
    if any(getattr(job, name) != value for name, value in JOB_DEFAULTS.items()):
        return False
    if hasattr(trigger, "interval"):
        return getattr(job.trigger, "interval", None) == trigger.interval
    return repr(job.trigger) == repr(trigger)


def _put(scheduler: Any, job_id: str, func: str, trigger: Any, args: list[str], name: str) -> None:
    if _unchanged(scheduler.get_job(job_id), func, trigger, args):
        return
    scheduler.add_job(
        func, trigger, args=args, id=job_id, name=name, replace_existing=True, **JOB_DEFAULTS
    )


def sync_jobs(
    scheduler: Any,
    engine: Engine,
    *,
    default_timezone: str,
    briefing_func: str = BRIEFING_FUNC,
) -> SyncResult:
    """Make the scheduler's jobs match the subscriptions (add, replace changed ones, remove
    unsubscribed scopes) and add the periodic jobs. Call it on a started (or started paused)
    scheduler: jobs whose schedule did not change are left alone, so a run missed while no
    worker ran is still due when the scheduler resumes."""
    from apscheduler.triggers.interval import IntervalTrigger

    kept: list[str] = []
    for schedule in scope_schedules(engine, default_timezone):
        job_id = briefing_job_id(schedule.scope)
        name = f"briefing {schedule.scope} {schedule.hour:02d}:00 {schedule.zone}"
        trigger = briefing_trigger(schedule)
        _put(scheduler, job_id, briefing_func, trigger, [schedule.scope], name)
        kept.append(job_id)
    for job_id, func, minutes in PERIODIC:
        _put(scheduler, job_id, func, IntervalTrigger(minutes=minutes), [], job_id)
    removed: list[str] = []
    for job in scheduler.get_jobs():
        if job.id.startswith("briefing:") and job.id not in PERIODIC_IDS and job.id not in kept:
            scheduler.remove_job(job.id)
            removed.append(job.id)
    return SyncResult(tuple(kept), tuple(removed))


def catch_up(
    scheduler: Any,
    engine: Engine,
    *,
    default_timezone: str,
    grace: timedelta,
    now: datetime,
) -> list[str]:
    """Briefing jobs to run now: their latest due run is within `grace` and has no finished
    `JobRun` (the previous leader died after taking the run from the store and before finishing
    it, or the subscription was added after its hour today). Each is set to fire at once; the
    database keeps a second run from delivering twice. Returns their job ids."""
    from schedules.runs import has_finished
    from schedules.timing import briefing_day, is_too_late, latest_due

    due_now: list[str] = []
    for schedule in scope_schedules(engine, default_timezone):
        due = latest_due(schedule.hour, schedule.zone, now)
        key = f"{schedule.scope}:{briefing_day(due).isoformat()}"
        job = scheduler.get_job(briefing_job_id(schedule.scope))
        if job is None or is_too_late(due, now, grace) or has_finished(engine, "briefing", key):
            continue
        job.modify(next_run_time=now)
        due_now.append(job.id)
    return due_now
