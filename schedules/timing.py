"""When a scope's briefing is due.

Definitions:
- The **send hour** of a scope is the earliest `send_hour_local` of its active subscriptions of
  active users; the briefing is due at that hour, minute 0, every day, in the scope's zone.
- The **zone** of `location:<id>` is the location's IANA time zone; of `org:<id>`, the zone of
  the organization's first location (lowest id); `default_timezone` when there is none.
- A run is **late** by `now − due`, where `due` is the latest due instant at or before `now`.
  Up to the grace period (setting `briefing_grace_hours`, default 4 h) it still runs; later it
  is skipped and recorded.
- The briefing fired on local day D covers **day D − 1** (yesterday's figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from store import tables as t
from store.models import Subscription, User
from store.tables import table_of


@dataclass(frozen=True)
class ScopeSchedule:
    """A scope's daily briefing time: `hour`:00 in the IANA zone `zone`."""

    scope: str
    hour: int
    zone: str


def latest_due(hour: int, zone: str, now: datetime) -> datetime:
    """The latest instant at or before `now` when the local clock in `zone` read `hour`:00
    (aware, in `zone`). On a day whose `hour`:00 does not exist (spring forward), the wall time
    is read with the offset before the change, as APScheduler's CronTrigger does."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    candidate = datetime(local.year, local.month, local.day, hour, tzinfo=tz)
    if candidate > now:
        previous = local.date() - timedelta(days=1)
        candidate = datetime(previous.year, previous.month, previous.day, hour, tzinfo=tz)
    return candidate


def is_too_late(due: datetime, now: datetime, grace: timedelta) -> bool:
    """True when a run due at `due` and starting at `now` is later than `grace` allows."""
    return now - due > grace


def briefing_day(due: datetime) -> date:
    """The day a briefing due at `due` (aware, in the scope's zone) covers: the local day before."""
    return due.date() - timedelta(days=1)


def scope_zones(engine: Engine, default_timezone: str) -> dict[str, str]:
    """The zone of every `location:<id>` and `org:<id>` scope in the store."""
    loc = t.location
    with engine.connect() as conn:
        rows = conn.execute(
            select(loc.c.id, loc.c.organization_id, loc.c.timezone).order_by(loc.c.id)
        ).all()
    zones: dict[str, str] = {}
    for lid, org, tz in rows:
        zones[f"location:{lid}"] = tz or default_timezone
        zones.setdefault(f"org:{org}", tz or default_timezone)
    return zones


def scope_schedules(engine: Engine, default_timezone: str) -> list[ScopeSchedule]:
    """One schedule per scope with an active subscription of an active user, by scope."""
    sub, user = table_of(Subscription), table_of(User)
    with engine.connect() as conn:
        rows = conn.execute(
            select(sub.c.scope, sub.c.send_hour_local)
            .join(user, user.c.id == sub.c.user_id)
            .where(sub.c.active.is_(True), user.c.active.is_(True))
        ).all()
    hours: dict[str, int] = {}
    for scope, hour in rows:
        hours[scope] = min(int(hour), hours.get(scope, 24))
    zones = scope_zones(engine, default_timezone)
    return [
        ScopeSchedule(scope, hour, zones.get(scope, default_timezone))
        for scope, hour in sorted(hours.items())
    ]


def schedule_of(engine: Engine, scope: str, default_timezone: str) -> ScopeSchedule | None:
    """The schedule of one scope, or None when nobody subscribes to it any more."""
    for schedule in scope_schedules(engine, default_timezone):
        if schedule.scope == scope:
            return schedule
    return None
