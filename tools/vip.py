"""VIP concentration and the VIP list over the trailing 12 months.

The window is the 365 local days ending on the period's last day. A patient's revenue is
Σ Sale.net_cents at the scope's locations in the window (refunds negative); patients with
revenue ≤ 0 are left out. The VIPs are the top ⌈10%⌉ of the remaining patients by revenue
(ties broken by patient id), and VIP concentration = their revenue / everyone's revenue.
Patients appear only as pseudonyms (`P-<id>`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, case, func, select

from store import tables as t
from store.models import AppointmentStatus, pseudonym
from tools.kpi_base import KpiValue, Resolved, ScopeError, cents_to_usd, make_kpi, ratio, resolve
from tools.scope import Period, Scope

SOURCE = "tools.kpis"


class VipPatient(BaseModel):
    patient_id: int
    patient: str  # pseudonym
    revenue_12m: float
    last_visit: date | None
    rank: int


def _window(period: Period) -> Period:
    return Period(period.end - timedelta(days=364), period.end)


def _ranked(res: Resolved, window: Period) -> Any:
    s = t.sale
    revenue = func.sum(s.c.net_cents)
    per_patient = (
        select(s.c.patient_id.label("patient_id"), revenue.label("revenue"))
        .where(
            s.c.patient_id.is_not(None),
            s.c.local_date.between(window.start, window.end),
            s.c.location_id.in_(res.location_ids),
        )
        .group_by(s.c.patient_id)
        .having(revenue > 0)
        .subquery("per_patient")
    )
    return select(
        per_patient.c.patient_id,
        per_patient.c.revenue,
        func.row_number()
        .over(order_by=(per_patient.c.revenue.desc(), per_patient.c.patient_id))
        .label("rn"),
        func.count().over().label("n"),
    ).subquery("ranked")


def _resolve(conn: Connection, scope: Scope) -> Resolved:
    res = resolve(conn, scope)
    if res.provider_id is not None:
        raise ScopeError(f"{res.key}: VIP metrics are per location or organization")
    return res


def vip_concentration(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Share of trailing-12-month net revenue from the top 10% of patients (module docstring)."""
    window = _window(period)
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        ranked = _ranked(res, window)
        is_vip = 10 * ranked.c.rn <= ranked.c.n + 9  # rn ≤ ⌈n/10⌉
        total, top, vips, patients = conn.execute(
            select(
                func.coalesce(func.sum(ranked.c.revenue), 0),
                func.coalesce(func.sum(case((is_vip, ranked.c.revenue), else_=0)), 0),
                func.coalesce(func.sum(case((is_vip, 1), else_=0)), 0),
                func.count(),
            )
        ).one()
    return make_kpi(
        kpi="vip_concentration",
        title="VIP concentration (top 10% share of 12-month revenue)",
        unit="percent",
        res=res,
        period=window,
        value=ratio(int(top), int(total)),
        source=f"{SOURCE}.vip_concentration",
        definition="net revenue of the top 10% of patients / all patients' net revenue, "
        "trailing 12 months",
        numerator=cents_to_usd(int(top)),
        denominator=cents_to_usd(int(total)),
        numerator_label="12-month revenue of the top 10% of patients",
        numerator_unit="USD",
        denominator_label="12-month revenue of all patients",
        denominator_unit="USD",
        details={"vip_patients": int(vips), "paying_patients": int(patients)},
    )


def vip_list(
    engine: Engine, scope: Scope, period: Period, *, limit: int | None = None
) -> list[VipPatient]:
    """The VIPs (top ⌈10%⌉ by trailing-12-month revenue), best first, with their last completed
    visit at any location."""
    window = _window(period)
    a = t.appointment
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        ranked = _ranked(res, window)
        last_visit = (
            select(func.max(a.c.local_date))
            .where(
                a.c.patient_id == ranked.c.patient_id,
                a.c.status == AppointmentStatus.completed.value,
                a.c.local_date <= window.end,
            )
            .scalar_subquery()
        )
        query = (
            select(ranked.c.patient_id, ranked.c.revenue, ranked.c.rn, last_visit)
            .where(10 * ranked.c.rn <= ranked.c.n + 9)
            .order_by(ranked.c.rn)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
    return [
        VipPatient(
            patient_id=int(pid),
            patient=pseudonym(int(pid)),
            revenue_12m=cents_to_usd(int(cents)) or 0.0,
            last_visit=last,
            rank=int(rn),
        )
        for pid, cents, rn, last in rows
    ]


class LapsingVip(VipPatient):
    days_since_visit: int | None
    usual_interval_days: float | None


def lapsing_vips(
    engine: Engine, scope: Scope, period: Period, *, quiet_days: int = 120
) -> list[LapsingVip]:
    """VIPs (as in `vip_list`) who have gone quiet: nothing booked after the period's end, and
    no completed visit for longer than both `quiet_days` and 1.5 × their own usual interval
    (the average gap between their completed visits over the last two years — "their own
    cadence"). Their revenue is at risk."""
    window = _window(period)
    a = t.appointment
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        ranked = _ranked(res, window)
        vip_ids = select(ranked.c.patient_id).where(10 * ranked.c.rn <= ranked.c.n + 9)
        booked_ahead = set(
            conn.execute(
                select(a.c.patient_id)
                .where(
                    a.c.local_date > period.end,
                    a.c.status == AppointmentStatus.booked.value,
                    a.c.patient_id.in_(vip_ids),
                )
                .distinct()
            ).scalars()
        )
        cadence = {
            pid: (int(n), first, last)
            for pid, n, first, last in conn.execute(
                select(
                    a.c.patient_id,
                    func.count(),
                    func.min(a.c.local_date),
                    func.max(a.c.local_date),
                )
                .where(
                    a.c.patient_id.in_(vip_ids),
                    a.c.status == AppointmentStatus.completed.value,
                    a.c.local_date.between(period.end - timedelta(days=729), period.end),
                )
                .group_by(a.c.patient_id)
            )
        }
    result = []
    for vip in vip_list(engine, scope, period):
        if vip.patient_id in booked_ahead:
            continue
        days = None if vip.last_visit is None else (period.end - vip.last_visit).days
        visits, first, last = cadence.get(vip.patient_id, (0, None, None))
        usual = (last - first).days / (visits - 1) if visits >= 2 and first and last else None
        threshold = max(quiet_days, 1.5 * usual) if usual else quiet_days
        if days is not None and days <= threshold:
            continue
        result.append(
            LapsingVip(
                **vip.model_dump(),
                days_since_visit=days,
                usual_interval_days=None if usual is None else round(usual, 1),
            )
        )
    return result
