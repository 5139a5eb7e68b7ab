"""Membership KPIs: MRR, churn, revenue per member and conversion (scope = the membership's
location; provider scopes are not meaningful here).

- active on day D: `started_on ≤ D` and (`ended_on` is null or `ended_on > D`);
- **MRR** = Σ monthly_price of memberships active on the period's last day (USD);
- **churn rate** = memberships ending in the period / memberships active the day before it;
- **revenue per member** = Σ net sales in the period (any kind, any location of the scope) of
  patients with a membership active at some point in the period / those patients;
- **conversion** = memberships started in the period / distinct patients with a completed visit
  in scope in the period.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select

from store import tables as t
from store.models import AppointmentStatus
from tools.kpi_base import KpiValue, Resolved, ScopeError, cents_to_usd, make_kpi, ratio, resolve
from tools.scope import Period, Scope

SOURCE = "tools.kpis"


def _resolve(conn: Connection, scope: Scope) -> Resolved:
    res = resolve(conn, scope)
    if res.provider_id is not None:
        raise ScopeError(f"{res.key}: membership metrics are per location or organization")
    return res


def _active_on(day: date) -> list[Any]:
    ms = t.membership
    return [ms.c.started_on <= day, or_(ms.c.ended_on.is_(None), ms.c.ended_on > day)]


def membership_mrr(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Monthly recurring revenue of memberships active on the period's last day (USD)."""
    ms = t.membership
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        cents, members = conn.execute(
            select(func.coalesce(func.sum(ms.c.monthly_price_cents), 0), func.count()).where(
                ms.c.location_id.in_(res.location_ids), *_active_on(period.end)
            )
        ).one()
    return make_kpi(
        kpi="membership_mrr",
        title="Membership MRR",
        unit="USD",
        res=res,
        period=period,
        value=cents_to_usd(int(cents)),
        source=f"{SOURCE}.membership_mrr",
        definition="Σ monthly price of memberships active on the period's last day",
        details={"active_members": int(members)},
    )


def membership_churn(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Membership churn rate: memberships ended in the period / active the day before it."""
    ms = t.membership
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        where = ms.c.location_id.in_(res.location_ids)
        active = conn.execute(
            select(func.count()).where(where, *_active_on(period.start - timedelta(days=1)))
        ).scalar_one()
        ended = conn.execute(
            select(func.count()).where(
                where,
                ms.c.ended_on.between(period.start, period.end),
                ms.c.started_on < period.start,
            )
        ).scalar_one()
    return make_kpi(
        kpi="membership_churn",
        title="Membership churn rate",
        unit="percent",
        res=res,
        period=period,
        value=ratio(int(ended), int(active)),
        source=f"{SOURCE}.membership_churn",
        definition="memberships ended in the period / memberships active at its start",
        numerator=int(ended),
        denominator=int(active),
        numerator_label="Memberships ended",
        denominator_label="Memberships active at the start",
    )


def revenue_per_member(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Net sales in the period of patients who were members at some point in it / members."""
    ms = t.membership
    s = t.sale
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        members = (
            select(ms.c.patient_id)
            .where(
                ms.c.location_id.in_(res.location_ids),
                ms.c.started_on <= period.end,
                or_(ms.c.ended_on.is_(None), ms.c.ended_on >= period.start),
            )
            .distinct()
            .subquery("members")
        )
        count = conn.execute(select(func.count()).select_from(members)).scalar_one()
        cents = conn.execute(
            select(func.coalesce(func.sum(s.c.net_cents), 0)).where(
                s.c.patient_id.in_(select(members.c.patient_id)),
                s.c.local_date.between(period.start, period.end),
                s.c.location_id.in_(res.location_ids),
            )
        ).scalar_one()
    return make_kpi(
        kpi="revenue_per_member",
        title="Revenue per member",
        unit="USD",
        res=res,
        period=period,
        value=cents_to_usd(ratio(int(cents), int(count))),
        source=f"{SOURCE}.revenue_per_member",
        definition="net sales of members in the period / members",
        numerator=cents_to_usd(int(cents)),
        denominator=int(count),
        numerator_label="Net sales of members",
        numerator_unit="USD",
        denominator_label="Members",
    )


def membership_conversion(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Memberships started in the period / distinct patients with a completed visit in it."""
    ms = t.membership
    a = t.appointment
    with engine.connect() as conn:
        res = _resolve(conn, scope)
        started = conn.execute(
            select(func.count()).where(
                ms.c.location_id.in_(res.location_ids),
                ms.c.started_on.between(period.start, period.end),
            )
        ).scalar_one()
        visitors = conn.execute(
            select(func.count(func.distinct(a.c.patient_id))).where(
                a.c.location_id.in_(res.location_ids),
                a.c.status == AppointmentStatus.completed.value,
                a.c.local_date.between(period.start, period.end),
            )
        ).scalar_one()
    return make_kpi(
        kpi="membership_conversion",
        title="Membership conversion",
        unit="percent",
        res=res,
        period=period,
        value=ratio(int(started), int(visitors)),
        source=f"{SOURCE}.membership_conversion",
        definition="memberships started / distinct patients with a completed visit",
        numerator=int(started),
        denominator=int(visitors),
        numerator_label="Memberships started",
        denominator_label="Patients with a completed visit",
    )
