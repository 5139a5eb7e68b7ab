"""The schedule by weekday × hour, and rebooking by treatment type (seed 001's missing metrics).

Definitions (local dates and hours of the scope's locations, period inclusive):
- a *cell* is (weekday, hour): Monday = 0, the local hour an appointment starts in;
- booked minutes of a cell = Σ duration of its completed appointments; revenue of a cell =
  Σ net sales attached to those appointments; **revenue per booked hour** = revenue / (booked
  minutes / 60), None when nothing was booked;
- **weekday utilization** = booked minutes of that weekday / available shift minutes of that
  weekday (exact: shifts record minutes per day);
- **cell utilization** is an estimate, because shifts record minutes per day, not per hour:
  booked minutes of the cell / (the weekday's available minutes ÷ the weekday's open hours),
  where open hours = the distinct hours with any appointment (any status) on that weekday in
  the period. None when the weekday has no shift minutes;
- **rebooking by treatment type**: the rebooking rate (`tools.operations.rebooking_rate`'s
  definition) of the completed visits of each service category.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from store import tables as t
from store.models import AppointmentStatus
from tools.kpi_base import ratio, resolve
from tools.operations import rebooking_counts
from tools.scope import Period, Scope

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class SlotCell(BaseModel):
    weekday: int
    weekday_name: str
    hour: int
    completed: int
    booked_minutes: int
    revenue: float
    revenue_per_booked_hour: float | None
    utilization_estimate: float | None


class WeekdayUtilization(BaseModel):
    weekday: int
    weekday_name: str
    booked_minutes: int
    available_minutes: int
    utilization: float | None
    open_hours: int


class SlotGrid(BaseModel):
    scope: str
    period_start: date
    period_end: date
    cells: list[SlotCell]
    weekdays: list[WeekdayUtilization]


class TreatmentRebooking(BaseModel):
    category: str
    eligible: int
    rebooked: int
    rate: float | None


def _day(value: date | str) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def slot_grid(engine: Engine, scope: Scope, period: Period) -> SlotGrid:
    """Utilization and revenue per booked hour by weekday × hour (module docstring)."""
    a, s, sh = t.appointment, t.sale, t.provider_shift
    completed = AppointmentStatus.completed.value
    with engine.connect() as conn:
        res = resolve(conn, scope)
        revenue = (
            select(func.coalesce(func.sum(s.c.net_cents), 0))
            .where(s.c.appointment_id == a.c.id)
            .scalar_subquery()
        )
        in_scope = [
            a.c.local_date.between(period.start, period.end),
            *res.where(a.c.location_id, a.c.provider_id),
        ]
        booked_rows = conn.execute(
            select(
                a.c.local_date,
                a.c.local_hour,
                func.count(),
                func.coalesce(func.sum(a.c.duration_minutes), 0),
                func.coalesce(func.sum(revenue), 0),
            )
            .where(a.c.status == completed, *in_scope)
            .group_by(a.c.local_date, a.c.local_hour)
        ).all()
        hour_rows = conn.execute(
            select(a.c.local_date, a.c.local_hour).where(*in_scope).distinct()
        ).all()
        shift_rows = conn.execute(
            select(sh.c.day, func.sum(sh.c.available_minutes))
            .where(
                sh.c.day.between(period.start, period.end),
                *res.where(sh.c.location_id, sh.c.provider_id),
            )
            .group_by(sh.c.day)
        ).all()
    cells: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, hour, n, minutes, cents in booked_rows:
        cell = cells[(_day(day).weekday(), int(hour))]
        cell[0] += int(n)
        cell[1] += int(minutes)
        cell[2] += int(cents)
    open_hours: dict[int, set[int]] = defaultdict(set)
    for day, hour in hour_rows:
        open_hours[_day(day).weekday()].add(int(hour))
    available: dict[int, int] = defaultdict(int)
    for day, minutes in shift_rows:
        available[_day(day).weekday()] += int(minutes or 0)
    booked_by_day: dict[int, int] = defaultdict(int)
    for (weekday, _), (_, minutes, _) in cells.items():
        booked_by_day[weekday] += minutes
    result = []
    for (weekday, hour), (n, minutes, cents) in sorted(cells.items()):
        hours = len(open_hours[weekday]) or 1
        per_hour_available = available[weekday] / hours if available[weekday] else None
        result.append(
            SlotCell(
                weekday=weekday,
                weekday_name=WEEKDAYS[weekday],
                hour=hour,
                completed=n,
                booked_minutes=minutes,
                revenue=cents / 100.0,
                revenue_per_booked_hour=ratio(cents / 100.0, minutes / 60.0),
                utilization_estimate=ratio(minutes, per_hour_available),
            )
        )
    weekdays = [
        WeekdayUtilization(
            weekday=d,
            weekday_name=WEEKDAYS[d],
            booked_minutes=booked_by_day[d],
            available_minutes=available[d],
            utilization=ratio(booked_by_day[d], available[d]),
            open_hours=len(open_hours[d]),
        )
        for d in sorted(set(booked_by_day) | set(available))
    ]
    return SlotGrid(
        scope=res.key,
        period_start=period.start,
        period_end=period.end,
        cells=result,
        weekdays=weekdays,
    )


def rebooking_by_treatment(
    engine: Engine, scope: Scope, period: Period
) -> list[TreatmentRebooking]:
    """Rebooking rate per service category of the period's completed rebookable visits,
    most eligible visits first."""
    svc, a = t.service, t.appointment
    with engine.connect() as conn:
        res = resolve(conn, scope)
        categories = conn.execute(
            select(svc.c.category)
            .join(a, a.c.service_id == svc.c.id)
            .where(
                svc.c.rebookable.is_(True),
                a.c.status == AppointmentStatus.completed.value,
                a.c.local_date.between(period.start, period.end),
                *res.where(a.c.location_id, a.c.provider_id),
            )
            .distinct()
        ).scalars()
        rows = []
        for category in sorted(str(c) for c in categories):
            eligible, rebooked, _ = rebooking_counts(conn, res, period, category=category)[None]
            rows.append(
                TreatmentRebooking(
                    category=category,
                    eligible=eligible,
                    rebooked=rebooked,
                    rate=ratio(rebooked, eligible),
                )
            )
    rows.sort(key=lambda r: (-r.eligible, r.category))
    return rows
