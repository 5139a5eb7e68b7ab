"""Seed 001's metrics that had no tool yet: acquisition cost per lead and per retained patient,
CAC by first treatment, revenue per patient, rebooking by patient cohort and revenue per
provider hour adjusted for compensation.

Definitions (period = inclusive local dates; scope = organization or location, and a provider
for the provider-hour metric):
- **cost per lead** = marketing spend (monthly amounts prorated by the period's days in the
  month, `tools.marketing.spend_counts`) / leads created in the period (`Lead.local_date`).
- **revenue per patient** = net revenue of the period (all sales) / patients with a completed
  visit in the period at the scope's locations.
- **cost per retained patient** = marketing spend / the period's new patients (first
  completed visit ever in the period, `tools.marketing.new_patients_query`) who completed
  another visit, at any location of the organization, within 365 days after the first one.
- **CAC by first treatment**: each new patient of the period carries her channel's CAC
  (channel spend / channel new patients; $0 for a channel without spend — referrals, unknown);
  the CAC of a treatment type is the mean of what its new patients carry, grouped by the
  service category of their first completed visit.
- **rebooking by patient cohort**: the rebooking rate (`tools.operations.rebooking_rate`'s
  definition) of the period's completed rebookable visits, split into *new* (the patient's
  first completed visit ever) and *returning* (every other).
- **revenue per provider hour adjusted for compensation** = (production − compensation −
  cost of goods) / available shift hours, for one provider, over the days her payroll covers
  (`tools.pnl.provider_pnl`'s profit); the hours are the shift hours of the period × days
  covered / period days when payroll covers part of it. None without payroll or shifts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, and_, case, exists, func, select

from store import tables as t
from store.models import AppointmentStatus
from tools.kpi_base import KpiValue, Resolved, cents_to_usd, make_kpi, ratio, resolve
from tools.marketing import new_patients_query, spend_counts
from tools.membership import membership_conversion, revenue_per_member
from tools.operations import capacity_counts, revenue_counts
from tools.pnl import provider_pnl
from tools.portfolio import ServiceMix, treatment_mix
from tools.scope import Period, Scope
from tools.slots import (
    SlotCell,
    TreatmentRebooking,
    WeekdayUtilization,
    rebooking_by_treatment,
    slot_grid,
)
from tools.sqlfn import plus_days

SOURCE = "tools.kpis"
COMPLETED = AppointmentStatus.completed.value
RETAINED_WITHIN_DAYS = 365


class CohortRebooking(BaseModel):
    cohort: str  # "new" | "returning"
    eligible: int
    rebooked: int
    rate: float | None


class TreatmentCac(BaseModel):
    category: str
    new_patients: int
    spend_allocated: float
    cac: float | None


def patients_seen(conn: Connection, res: Resolved, period: Period) -> int:
    """Distinct patients with a completed visit in the period at the scope's locations."""
    a = t.appointment
    query = select(func.count(func.distinct(a.c.patient_id))).where(
        a.c.status == COMPLETED,
        a.c.local_date.between(period.start, period.end),
        *res.where(a.c.location_id, a.c.provider_id),
    )
    return int(conn.execute(query).scalar() or 0)


def _usd_per(
    *,
    kpi: str,
    title: str,
    res: Resolved,
    period: Period,
    cents: float,
    count: int,
    definition: str,
    numerator_label: str,
    denominator_label: str,
    details: dict[str, Any] | None = None,
) -> KpiValue:
    """A dollars-per-count KPI: `cents` / 100 / `count`, rounded to the cent; None when the
    count is 0. Its facts are the dollars (numerator) and the count (denominator)."""
    value = ratio(cents / 100, count)
    return make_kpi(
        kpi=kpi,
        title=title,
        unit="USD",
        res=res,
        period=period,
        value=None if value is None else round(value, 2),
        source=f"{SOURCE}.{kpi}",
        definition=definition,
        numerator=cents_to_usd(cents),
        denominator=count,
        numerator_label=numerator_label,
        numerator_unit="USD",
        denominator_label=denominator_label,
        details=details,
    )


def cost_per_lead(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Marketing spend / leads created in the period (module doc)."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        spend = sum(spend_counts(conn, res, period).values())
        leads = int(
            conn.execute(
                select(func.count()).where(
                    t.lead.c.local_date.between(period.start, period.end),
                    t.lead.c.location_id.in_(res.location_ids),
                )
            ).scalar()
            or 0
        )
    return _usd_per(
        kpi="cost_per_lead",
        title="Cost per lead",
        res=res,
        period=period,
        cents=spend,
        count=leads,
        definition="marketing spend / leads created in the period",
        numerator_label="Marketing spend",
        denominator_label="Leads",
    )


def revenue_per_patient(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Net revenue / patients with a completed visit in the period (module doc)."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        cents = revenue_counts(conn, res, period).get(None, 0)
        seen = patients_seen(conn, res, period)
    return _usd_per(
        kpi="revenue_per_patient",
        title="Revenue per patient",
        res=res,
        period=period,
        cents=cents,
        count=seen,
        definition="net revenue / patients with a completed visit in the period",
        numerator_label="Net revenue",
        denominator_label="Patients seen",
    )


def cost_per_retained_patient(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Marketing spend / new patients who came back within 365 days (module doc)."""
    a = t.appointment
    with engine.connect() as conn:
        res = resolve(conn, scope)
        org = resolve(conn, Scope(scope.organization_id))
        spend = sum(spend_counts(conn, res, period).values())
        new = new_patients_query(res, period).subquery("new")
        again = exists().where(
            a.c.patient_id == new.c.patient_id,
            a.c.status == COMPLETED,
            a.c.local_date > new.c.first_day,
            a.c.local_date <= plus_days(new.c.first_day, RETAINED_WITHIN_DAYS),
            a.c.location_id.in_(org.location_ids),
        )
        row = conn.execute(
            select(func.count(), func.coalesce(func.sum(case((again, 1), else_=0)), 0)).select_from(
                new
            )
        ).one()
    new_n, retained = int(row[0]), int(row[1])
    return _usd_per(
        kpi="cost_per_retained_patient",
        title="Cost per retained patient",
        res=res,
        period=period,
        cents=spend,
        count=retained,
        definition="marketing spend / new patients of the period with another completed visit "
        f"within {RETAINED_WITHIN_DAYS} days of their first",
        numerator_label="Marketing spend",
        denominator_label="New patients retained",
        details={"new_patients": new_n, "retained": retained},
    )


def cac_by_first_treatment(engine: Engine, scope: Scope, period: Period) -> list[TreatmentCac]:
    """Each new patient carries her channel's CAC; mean per first-visit category (module
    doc). Most new patients first."""
    a, svc = t.appointment, t.service
    with engine.connect() as conn:
        res = resolve(conn, scope)
        spend = spend_counts(conn, res, period)
        new = new_patients_query(res, period).subquery("new")
        rows = conn.execute(
            select(new.c.patient_id, new.c.channel, func.min(svc.c.category))
            .select_from(
                new.join(
                    a,
                    and_(
                        a.c.patient_id == new.c.patient_id,
                        a.c.local_date == new.c.first_day,
                        a.c.status == COMPLETED,
                    ),
                ).outerjoin(svc, svc.c.id == a.c.service_id)
            )
            .group_by(new.c.patient_id, new.c.channel)
        ).all()
    per_channel: dict[str, int] = {}
    for _, channel, _ in rows:
        per_channel[channel] = per_channel.get(channel, 0) + 1
    carried: dict[str, list[float]] = {}
    for _, channel, category in rows:
        cac = spend.get(channel, 0.0) / 100 / per_channel[channel]
        carried.setdefault(str(category or "other"), []).append(cac)
    result = [
        TreatmentCac(
            category=category,
            new_patients=len(values),
            spend_allocated=round(sum(values), 2),
            cac=round(sum(values) / len(values), 2),
        )
        for category, values in carried.items()
    ]
    result.sort(key=lambda r: (-r.new_patients, r.category))
    return result


def rebooking_by_cohort(engine: Engine, scope: Scope, period: Period) -> list[CohortRebooking]:
    """Rebooking rate of new-patient visits and of returning-patient visits (module doc)."""
    visit = t.appointment.alias("visit")
    nxt = t.appointment.alias("nxt")
    earlier = t.appointment.alias("earlier")
    svc = t.service
    rebooked = exists().where(
        nxt.c.patient_id == visit.c.patient_id,
        nxt.c.start_at > visit.c.start_at,
        nxt.c.booked_at >= visit.c.start_at,
        nxt.c.booked_at <= plus_days(visit.c.end_at, 1),
    )
    first = ~exists().where(
        earlier.c.patient_id == visit.c.patient_id,
        earlier.c.status == COMPLETED,
        earlier.c.start_at < visit.c.start_at,
    )
    with engine.connect() as conn:
        res = resolve(conn, scope)
        is_new = case((first, 1), else_=0)
        rows = conn.execute(
            select(is_new, func.count(), func.coalesce(func.sum(case((rebooked, 1), else_=0)), 0))
            .select_from(visit.join(svc, svc.c.id == visit.c.service_id))
            .where(
                visit.c.status == COMPLETED,
                svc.c.rebookable.is_(True),
                visit.c.local_date.between(period.start, period.end),
                *res.where(visit.c.location_id, visit.c.provider_id),
            )
            .group_by(is_new)
        ).all()
    counts = {int(k): (int(n), int(r)) for k, n, r in rows}
    return [
        CohortRebooking(
            cohort=name,
            eligible=counts.get(flag, (0, 0))[0],
            rebooked=counts.get(flag, (0, 0))[1],
            rate=ratio(counts.get(flag, (0, 0))[1], counts.get(flag, (0, 0))[0]),
        )
        for name, flag in (("new", 1), ("returning", 0))
    ]


def adjusted_revenue_per_provider_hour(
    engine: Engine, scope: Scope, period: Period
) -> list[KpiValue]:
    """Per provider in scope: (profit over the days payroll covers) / available hours on
    those days (module doc)."""
    rows = provider_pnl(engine, scope, period)
    with engine.connect() as conn:
        res = resolve(conn, scope)
        capacity = capacity_counts(conn, res, period, group="provider")
    results = []
    for row in rows:
        _, available = capacity.get(row.provider_id, (0, 0))
        covered = row.payroll_days_covered / row.period_days if row.period_days else 0.0
        hours = available / 60 * covered
        value = ratio(row.profit, hours) if row.profit is not None else None
        with engine.connect() as conn:
            pres = resolve(conn, Scope(scope.organization_id, provider_id=row.provider_id))
        results.append(
            make_kpi(
                kpi="adjusted_revenue_per_provider_hour",
                title="Revenue per provider hour after compensation",
                unit="USD",
                res=pres,
                period=period,
                value=None if value is None else round(value, 2),
                source=f"{SOURCE}.adjusted_revenue_per_provider_hour",
                definition="(production − compensation − cost of goods) / available hours, "
                "over the days payroll covers",
                numerator=row.profit,
                denominator=round(hours, 2),
                numerator_label="Production after compensation and cost of goods",
                numerator_unit="USD",
                denominator_label="Available hours on the days payroll covers",
                denominator_unit="hours",
                details={"payroll_note": row.payroll_note, "period_days": row.period_days},
            )
        )
    return results


__all__ = [
    "CohortRebooking",
    "LocationMix",
    "MoreMetrics",
    "TreatmentCac",
    "adjusted_revenue_per_provider_hour",
    "cac_by_first_treatment",
    "cost_per_lead",
    "cost_per_retained_patient",
    "location_mix",
    "more_metrics",
    "patients_seen",
    "rebooking_by_cohort",
    "revenue_per_patient",
]


class LocationMix(BaseModel):
    """A location's treatment mix: gross margin overall and its largest lines."""

    location_id: int
    name: str
    revenue: float
    margin: float | None
    top: list[ServiceMix]


class MoreMetrics(BaseModel):
    """Everything `clarity kpis --more` shows for one scope and period."""

    scope: str
    period_start: date
    period_end: date
    kpis: list[KpiValue]
    rebooking_by_cohort: list[CohortRebooking]
    rebooking_by_treatment: list[TreatmentRebooking]
    cac_by_first_treatment: list[TreatmentCac]
    provider_hours: list[KpiValue]
    weekdays: list[WeekdayUtilization]
    best_slots: list[SlotCell]
    treatment_mix: list[LocationMix]


def location_mix(engine: Engine, scope: Scope, period: Period, top: int = 3) -> list[LocationMix]:
    """Per location in scope: gross margin = (net revenue − cost of goods) / net revenue over
    every sale line of the period, and its `top` lines by revenue (`tools.portfolio`)."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        names = dict(
            conn.execute(
                select(t.location.c.id, t.location.c.name).where(
                    t.location.c.id.in_(res.location_ids)
                )
            ).all()
        )
    rows = []
    for loc in sorted(names):
        mix = treatment_mix(engine, Scope(scope.organization_id, loc), period)
        revenue = sum(line.revenue for line in mix)
        cogs = sum(line.cost_of_goods for line in mix)
        rows.append(
            LocationMix(
                location_id=loc,
                name=names[loc],
                revenue=round(revenue, 2),
                margin=None if revenue <= 0 else round((revenue - cogs) / revenue, 6),
                top=mix[:top],
            )
        )
    return rows


def more_metrics(engine: Engine, scope: Scope, period: Period) -> MoreMetrics:
    """The seed's further metrics for an organization or location (module doc; membership
    from `tools.membership`, slots and rebooking by treatment from `tools.slots`, the mix from
    `tools.portfolio`). Best slots = the five weekday × hour cells with the most revenue per
    booked hour among cells with at least 5 completed visits."""
    grid = slot_grid(engine, scope, period)
    cells = [c for c in grid.cells if c.completed >= 5 and c.revenue_per_booked_hour is not None]
    cells.sort(key=lambda c: -(c.revenue_per_booked_hour or 0.0))
    return MoreMetrics(
        scope=scope.key(),
        period_start=period.start,
        period_end=period.end,
        kpis=[
            cost_per_lead(engine, scope, period),
            revenue_per_patient(engine, scope, period),
            cost_per_retained_patient(engine, scope, period),
            revenue_per_member(engine, scope, period),
            membership_conversion(engine, scope, period),
        ],
        rebooking_by_cohort=rebooking_by_cohort(engine, scope, period),
        rebooking_by_treatment=rebooking_by_treatment(engine, scope, period),
        cac_by_first_treatment=cac_by_first_treatment(engine, scope, period),
        provider_hours=adjusted_revenue_per_provider_hour(engine, scope, period),
        weekdays=grid.weekdays,
        best_slots=cells[:5],
        treatment_mix=location_mix(engine, scope, period),
    )
