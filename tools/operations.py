"""Operational KPIs computed in SQL: rebooking, retention, no-shows, utilization, revenue.

Every function takes `(engine, scope, period, **options)` and returns a `KpiValue`. Periods are
inclusive ranges of *local* dates (`Appointment.local_date`, `Sale.local_date`,
`ProviderShift.day`), so a visit at 23:30 local belongs to that local day whatever UTC says.

The `_…_counts` helpers return the raw numerator/denominator per group (`None` = the whole scope,
or per location / provider id) so benchmarks and findings reuse the same SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, case, exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from store import tables as t
from store.models import AppointmentStatus
from tools.kpi_base import GroupBy, KpiValue, Resolved, cents_to_usd, make_kpi, ratio, resolve
from tools.scope import Period, Scope
from tools.sqlfn import plus_days

SOURCE = "tools.kpis"
Grain = Literal["day", "week", "month"]
Counts = dict[int | None, tuple[float, float]]


def _key(group: GroupBy | None, location_col: Any, provider_col: Any) -> Any:
    if group == "location":
        return location_col
    if group == "provider":
        return provider_col
    return None


def _grouped(conn: Connection, columns: list[Any], key: Any, *where: Any) -> list[Any]:
    """Run an aggregate with an optional group key as the first result column."""
    if key is None:
        return [(None, *row) for row in conn.execute(select(*columns).where(*where)).all()]
    query = select(key, *columns).where(*where, key.is_not(None)).group_by(key)
    return list(conn.execute(query).all())


# --------------------------------------------------------------------------- rebooking


def buckets(start: date, end: date, grain: Grain) -> list[Period]:
    """The periods of a daily, weekly (Monday–Sunday) or monthly series from start to end, the
    first and last clipped to the range."""
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain must be day, week or month, not {grain!r}")
    periods: list[Period] = []
    day = start
    while day <= end:
        if grain == "day":
            last = day
        elif grain == "week":
            last = bucket_start(day, "week") + timedelta(days=6)
        else:
            last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        periods.append(Period(day, min(last, end)))
        day = min(last, end) + timedelta(days=1)
    return periods


def rebooking_counts(
    conn: Connection,
    res: Resolved,
    period: Period,
    *,
    category: str | None = None,
    group: GroupBy | None = None,
) -> dict[int | None, tuple[int, int, int]]:
    """Per group: (eligible visits, rebooked visits, net cents of the eligible visits' sales)."""
    visit = t.appointment.alias("visit")
    nxt = t.appointment.alias("nxt")
    svc = t.service
    rebooked = exists().where(
        nxt.c.patient_id == visit.c.patient_id,
        nxt.c.start_at > visit.c.start_at,
        nxt.c.booked_at >= visit.c.start_at,
        nxt.c.booked_at <= plus_days(visit.c.end_at, 1),
    )
    visit_net = (
        select(func.coalesce(func.sum(t.sale.c.net_cents), 0))
        .where(t.sale.c.appointment_id == visit.c.id)
        .scalar_subquery()
    )
    where: list[ColumnElement[bool]] = [
        visit.c.status == AppointmentStatus.completed.value,
        svc.c.rebookable.is_(True),
        visit.c.local_date.between(period.start, period.end),
        *res.where(visit.c.location_id, visit.c.provider_id),
    ]
    if category:
        where.append(svc.c.category == category)
    key = _key(group, visit.c.location_id, visit.c.provider_id)
    columns = [
        func.count(),
        func.coalesce(func.sum(case((rebooked, 1), else_=0)), 0),
        func.coalesce(func.sum(visit_net), 0),
    ]
    base = select(*([key] if key is not None else []), *columns).select_from(
        visit.join(svc, svc.c.id == visit.c.service_id)
    )
    base = base.where(*where)
    if key is not None:
        base = base.where(key.is_not(None)).group_by(key)
        rows = conn.execute(base).all()
        return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    row = conn.execute(base).one()
    return {None: (int(row[0]), int(row[1]), int(row[2]))}


def rebooking_rate(
    engine: Engine, scope: Scope, period: Period, *, category: str | None = None
) -> KpiValue:
    """Rebooking rate: completed visits of rebookable services (by local visit date in the
    period) after which the patient had a next appointment — any later appointment whose
    `booked_at` lies between the visit's start and its end + 1 day — divided by all such
    completed visits. Visits in the last day of data may not have had their full day yet.

    `details`: eligible visits, rebooked visits, average visit value (net sales of the eligible
    visits / eligible visits, USD).
    """
    with engine.connect() as conn:
        res = resolve(conn, scope)
        eligible, rebooked, net = rebooking_counts(conn, res, period, category=category)[None]
    title = "Rebooking rate" + (f" ({category})" if category else "")
    return make_kpi(
        kpi="rebooking_rate" if not category else f"rebooking_rate_{category}",
        title=title,
        unit="percent",
        res=res,
        period=period,
        value=ratio(rebooked, eligible),
        source=f"{SOURCE}.rebooking_rate",
        definition="completed rebookable visits with a next appointment booked within 1 day "
        "/ completed rebookable visits",
        numerator=rebooked,
        denominator=eligible,
        numerator_label="Visits rebooked within 1 day",
        denominator_label="Completed rebookable visits",
        details={
            "eligible_visits": eligible,
            "rebooked_visits": rebooked,
            "average_visit_value_usd": cents_to_usd(ratio(net, eligible)),
        },
    )


# --------------------------------------------------------------------------- retention


def retention_12m(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """12-month retention, anchored on the period's last day E: patients with a completed visit
    in scope during the 12 months before the last 12 (E−729 … E−365) who completed another
    visit at any location of the organization in the following 12 months (E−364 … E), divided
    by the first group. Only `period.end` matters.
    """
    end = period.end
    first = Period(end - timedelta(days=729), end - timedelta(days=365))
    follow = Period(end - timedelta(days=364), end)
    a = t.appointment
    with engine.connect() as conn:
        res = resolve(conn, scope)
        org_res = resolve(conn, Scope(scope.organization_id))
        cohort = (
            select(a.c.patient_id)
            .where(
                a.c.status == AppointmentStatus.completed.value,
                a.c.local_date.between(first.start, first.end),
                *res.where(a.c.location_id, a.c.provider_id),
            )
            .distinct()
            .subquery("cohort")
        )
        returned = exists().where(
            a.c.patient_id == cohort.c.patient_id,
            # A UTC bound a day wide of the local window lets the (patient_id, start_at) index
            # narrow the scan; local_date then decides exactly.
            a.c.start_at >= datetime.combine(follow.start - timedelta(days=1), time(), UTC),
            a.c.status == AppointmentStatus.completed.value,
            a.c.local_date.between(follow.start, follow.end),
            *org_res.where(a.c.location_id),
        )
        row = conn.execute(
            select(
                func.count(), func.coalesce(func.sum(case((returned, 1), else_=0)), 0)
            ).select_from(cohort)
        ).one()
    cohort_n, retained = int(row[0]), int(row[1])
    return make_kpi(
        kpi="retention_12m",
        title="12-month retention",
        unit="percent",
        res=res,
        period=period,
        value=ratio(retained, cohort_n),
        source=f"{SOURCE}.retention_12m",
        definition="patients seen in the prior 12 months who completed another visit in the "
        "following 12 / patients seen in the prior 12 months",
        numerator=retained,
        denominator=cohort_n,
        numerator_label="Patients retained",
        denominator_label="Patients seen in the prior 12 months",
        details={
            "cohort_start": first.start.isoformat(),
            "cohort_end": first.end.isoformat(),
            "follow_start": follow.start.isoformat(),
            "follow_end": follow.end.isoformat(),
        },
    )


# --------------------------------------------------------------------------- attendance


def attendance_counts(
    conn: Connection,
    res: Resolved,
    period: Period,
    *,
    category: str | None = None,
    group: GroupBy | None = None,
) -> dict[int | None, dict[str, int]]:
    """Per group: completed, no_show, late_cancel counts and the list-price value of no-shows."""
    a = t.appointment
    svc = t.service
    status = a.c.status
    columns = [
        func.coalesce(func.sum(case((status == "completed", 1), else_=0)), 0),
        func.coalesce(func.sum(case((status == "no_show", 1), else_=0)), 0),
        func.coalesce(func.sum(case((status == "late_cancel", 1), else_=0)), 0),
        func.coalesce(
            func.sum(case((status == "no_show", func.coalesce(svc.c.price_cents, 0)), else_=0)),
            0,
        ),
    ]
    where: list[Any] = [
        a.c.local_date.between(period.start, period.end),
        *res.where(a.c.location_id, a.c.provider_id),
    ]
    if category:
        where.append(svc.c.category == category)
    key = _key(group, a.c.location_id, a.c.provider_id)
    query = select(*([key] if key is not None else []), *columns).select_from(
        a.outerjoin(svc, svc.c.id == a.c.service_id)
    )
    query = query.where(*where)
    if key is not None:
        query = query.where(key.is_not(None)).group_by(key)
        rows = [(r[0], *r[1:]) for r in conn.execute(query).all()]
    else:
        rows = [(None, *conn.execute(query).one())]
    return {
        r[0]: {
            "completed": int(r[1]),
            "no_show": int(r[2]),
            "late_cancel": int(r[3]),
            "no_show_value_cents": int(r[4]),
        }
        for r in rows
    }


def no_show_rate(
    engine: Engine, scope: Scope, period: Period, *, category: str | None = None
) -> KpiValue:
    """No-show rate: appointments with status no_show / (completed + no_show), by local
    appointment date in the period. Cancellations (late or not) are in neither.

    `details.no_show_value_usd` is the list price of the missed services (average booked value ×
    no-shows).
    """
    with engine.connect() as conn:
        res = resolve(conn, scope)
        c = attendance_counts(conn, res, period, category=category)[None]
    seen = c["completed"] + c["no_show"]
    return make_kpi(
        kpi="no_show_rate",
        title="No-show rate",
        unit="percent",
        res=res,
        period=period,
        value=ratio(c["no_show"], seen),
        source=f"{SOURCE}.no_show_rate",
        definition="no_show / (completed + no_show)",
        numerator=c["no_show"],
        denominator=seen,
        numerator_label="No-shows",
        denominator_label="Completed + no-show appointments",
        details={**c, "no_show_value_usd": cents_to_usd(c["no_show_value_cents"])},
    )


def late_cancel_rate(
    engine: Engine, scope: Scope, period: Period, *, category: str | None = None
) -> KpiValue:
    """Late-cancel rate: late_cancel / (completed + no_show + late_cancel), by local
    appointment date in the period (ordinary cancellations are excluded)."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        c = attendance_counts(conn, res, period, category=category)[None]
    total = c["completed"] + c["no_show"] + c["late_cancel"]
    return make_kpi(
        kpi="late_cancel_rate",
        title="Late-cancel rate",
        unit="percent",
        res=res,
        period=period,
        value=ratio(c["late_cancel"], total),
        source=f"{SOURCE}.late_cancel_rate",
        definition="late_cancel / (completed + no_show + late_cancel)",
        numerator=c["late_cancel"],
        denominator=total,
        numerator_label="Late cancellations",
        denominator_label="Completed + no-show + late-cancelled appointments",
    )


# --------------------------------------------------------------------------- capacity


def capacity_counts(
    conn: Connection, res: Resolved, period: Period, *, group: GroupBy | None = None
) -> dict[int | None, tuple[int, int]]:
    """Per group: (booked minutes of completed appointments, available shift minutes)."""
    a = t.appointment
    s = t.provider_shift
    booked = _grouped(
        conn,
        [func.coalesce(func.sum(a.c.duration_minutes), 0)],
        _key(group, a.c.location_id, a.c.provider_id),
        a.c.status == AppointmentStatus.completed.value,
        a.c.local_date.between(period.start, period.end),
        *res.where(a.c.location_id, a.c.provider_id),
    )
    available = _grouped(
        conn,
        [func.coalesce(func.sum(s.c.available_minutes), 0)],
        _key(group, s.c.location_id, s.c.provider_id),
        s.c.day.between(period.start, period.end),
        *res.where(s.c.location_id, s.c.provider_id),
    )
    booked_by = {k: int(v) for k, v in booked}
    available_by = {k: int(v) for k, v in available}
    keys = set(booked_by) | set(available_by)
    return {k: (booked_by.get(k, 0), available_by.get(k, 0)) for k in keys}


def utilization(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Utilization: booked minutes of completed appointments / available shift minutes
    (`ProviderShift.available_minutes`), both by local date in the period."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        booked, available = capacity_counts(conn, res, period).get(None, (0, 0))
    return make_kpi(
        kpi="utilization",
        title="Utilization",
        unit="percent",
        res=res,
        period=period,
        value=ratio(booked, available),
        source=f"{SOURCE}.utilization",
        definition="booked minutes of completed appointments / available shift minutes",
        numerator=booked,
        denominator=available,
        numerator_label="Completed appointment minutes",
        numerator_unit="minutes",
        denominator_label="Available shift minutes",
        denominator_unit="minutes",
    )


# --------------------------------------------------------------------------- revenue


def revenue_counts(
    conn: Connection,
    res: Resolved,
    period: Period,
    *,
    category: str | None = None,
    group: GroupBy | None = None,
    providers_only: bool = False,
) -> dict[int | None, int]:
    """Per group: Σ Sale.net_cents by local sale date (refund lines are negative)."""
    s = t.sale
    where: list[Any] = [
        s.c.local_date.between(period.start, period.end),
        *res.where(s.c.location_id, s.c.provider_id),
    ]
    if category:
        where.append(s.c.category == category)
    if providers_only:
        where.append(s.c.provider_id.is_not(None))
    rows = _grouped(
        conn,
        [func.coalesce(func.sum(s.c.net_cents), 0)],
        _key(group, s.c.location_id, s.c.provider_id),
        *where,
    )
    return {k: int(v) for k, v in rows}


def net_revenue(
    engine: Engine, scope: Scope, period: Period, *, category: str | None = None
) -> KpiValue:
    """Net revenue (USD): Σ Sale.net_cents (gross − discount − refund) by local sale date in the
    period; refunds given later are their own negative lines dated when given. For a provider
    scope this is the provider's production (sales attributed to them)."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        cents = revenue_counts(conn, res, period, category=category).get(None, 0)
    return make_kpi(
        kpi="net_revenue" if not category else f"net_revenue_{category}",
        title="Net revenue" + (f" ({category})" if category else ""),
        unit="USD",
        res=res,
        period=period,
        value=cents_to_usd(cents),
        source=f"{SOURCE}.net_revenue",
        definition="Σ net sales (refund lines negative) by local sale date",
    )


def revenue_per_provider_hour(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Revenue per provider hour (USD): production (net sales attributed to a provider) / the
    providers' available shift hours in the period, for the same scope."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        cents = revenue_counts(conn, res, period, providers_only=True).get(None, 0)
        _, minutes = capacity_counts(conn, res, period).get(None, (0, 0))
    hours = minutes / 60.0
    return make_kpi(
        kpi="revenue_per_provider_hour",
        title="Revenue per provider hour",
        unit="USD",
        res=res,
        period=period,
        value=None if not hours else round(cents / 100.0 / hours, 2),
        source=f"{SOURCE}.revenue_per_provider_hour",
        definition="provider production / available shift hours",
        numerator=cents_to_usd(cents),
        denominator=round(hours, 2),
        numerator_label="Provider production",
        numerator_unit="USD",
        denominator_label="Available provider hours",
        denominator_unit="hours",
    )


def bucket_start(day: date, grain: Grain) -> date:
    """The bucket a local day falls in: itself, its week's Monday, or its month's 1st."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def revenue_series(
    engine: Engine, scope: Scope, start: date, end: date, grain: Grain = "day"
) -> list[tuple[date, float]]:
    """Net revenue (USD) per bucket from `start` to `end` (local dates, inclusive), for charts.

    Sums are grouped per local day in SQL; days are then rolled into weeks (starting Monday) or
    calendar months here (at most a few hundred rows). Every bucket in the range is present,
    zero when nothing was sold. Bucket dates: the day, the Monday, or the 1st of the month.
    """
    if grain not in ("day", "week", "month"):
        raise ValueError(f"grain must be day, week or month, not {grain!r}")
    period = Period(start, end)
    s = t.sale
    with engine.connect() as conn:
        res = resolve(conn, scope)
        rows = conn.execute(
            select(s.c.local_date, func.sum(s.c.net_cents))
            .where(
                s.c.local_date.between(period.start, period.end),
                *res.where(s.c.location_id, s.c.provider_id),
            )
            .group_by(s.c.local_date)
        ).all()
    by_day = {day: int(cents or 0) for day, cents in rows}
    totals: dict[date, int] = {}
    day = period.start
    while day <= period.end:
        key = bucket_start(day, grain)
        totals[key] = totals.get(key, 0) + by_day.get(day, 0)
        day += timedelta(days=1)
    return [(key, round(cents / 100.0, 2)) for key, cents in sorted(totals.items())]
