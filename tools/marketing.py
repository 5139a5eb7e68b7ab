"""Acquisition KPIs: new patients, CAC by channel, the lead funnel and marketing-attributed LTV.

Definitions (period = inclusive local dates):
- a **new patient** of the period is a patient whose first completed visit ever falls in the
  period; they count for the location of that visit, and their channel is
  `Patient.acquisition_channel`;
- **spend** of a channel = Σ MarketingSpend.amount_cents of the scope's locations, each monthly
  amount prorated by the days of that month inside the period (a full month counts fully);
- **CAC** of a channel = spend / new patients of that channel (None with no new patient, and
  None for unpaid channels such as referrals, which have no spend);
- **funnel** per channel for leads created in the period: booked = the lead's patient has an
  appointment on or after the lead's date; completed = … a completed one; rebooked = … a
  completed one followed by another (not cancelled) appointment;
- **marketing-attributed LTV** = net sales of the period's new patients from the period's start
  to `horizon_days` after its end (cut at the last day of data) / new patients.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, case, exists, func, select

from store import tables as t
from store.models import AppointmentStatus
from tools.facts import Fact
from tools.kpi_base import (
    KpiValue,
    Resolved,
    ScopeError,
    cents_to_usd,
    fact_id,
    make_kpi,
    ratio,
    resolve,
)
from tools.scope import Period, Scope

SOURCE = "tools.kpis"
COMPLETED = AppointmentStatus.completed.value
UNKNOWN_CHANNEL = "unknown"


def new_patients_query(res: Resolved, period: Period) -> Any:
    """(patient_id, channel, first completed local date) of the period's new patients."""
    a = t.appointment
    earlier = t.appointment.alias("earlier")
    p = t.patient
    first_day = func.min(a.c.local_date)
    return (
        select(
            p.c.id.label("patient_id"),
            func.coalesce(p.c.acquisition_channel, UNKNOWN_CHANNEL).label("channel"),
            first_day.label("first_day"),
        )
        .select_from(a.join(p, p.c.id == a.c.patient_id))
        .where(
            a.c.status == COMPLETED,
            a.c.local_date.between(period.start, period.end),
            a.c.location_id.in_(res.location_ids),
            # No completed visit before this one: the index on (patient_id, start_at) answers
            # it; a patient's first qualifying visit in the period is their first ever.
            ~exists().where(
                earlier.c.patient_id == a.c.patient_id,
                earlier.c.status == COMPLETED,
                earlier.c.start_at < a.c.start_at,
            ),
        )
        .group_by(p.c.id, p.c.acquisition_channel)
    )


def new_patient_counts(conn: Connection, res: Resolved, period: Period) -> dict[str, int]:
    sub = new_patients_query(res, period).subquery()
    rows = conn.execute(select(sub.c.channel, func.count()).group_by(sub.c.channel)).all()
    return {str(channel): int(n) for channel, n in rows}


def _month_share(month: date, period: Period) -> float:
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    start, end = max(month, period.start), min(last, period.end)
    if end < start:
        return 0.0
    return ((end - start).days + 1) / ((last - month).days + 1)


def spend_counts(conn: Connection, res: Resolved, period: Period) -> dict[str, float]:
    """Prorated spend cents per channel (grouped by channel and month in SQL)."""
    s = t.marketing_spend
    rows = conn.execute(
        select(s.c.channel, s.c.month, func.sum(s.c.amount_cents))
        .where(
            s.c.month.between(period.start.replace(day=1), period.end),
            s.c.location_id.in_(res.location_ids),
        )
        .group_by(s.c.channel, s.c.month)
    ).all()
    spend: dict[str, float] = {}
    for channel, month, cents in rows:
        spend[channel] = spend.get(channel, 0.0) + float(cents or 0) * _month_share(month, period)
    return spend


def _no_provider(res: Resolved) -> None:
    if res.provider_id is not None:
        raise ScopeError(f"{res.key}: acquisition metrics are per location or organization")


def new_patients(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """New patients: patients of the scope whose first completed visit ever is in the period."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        _no_provider(res)
        counts = new_patient_counts(conn, res, period)
    return make_kpi(
        kpi="new_patients",
        title="New patients",
        unit="count",
        res=res,
        period=period,
        value=sum(counts.values()),
        source=f"{SOURCE}.new_patients",
        definition="patients whose first completed visit is in the period",
        details={"by_channel": counts},
    )


def _cac_kpi(
    res: Resolved, period: Period, channel: str | None, spend_cents: float, new: int
) -> KpiValue:
    name = f"cac_{channel}" if channel else "cac"
    title = f"CAC, {channel}" if channel else "CAC (all channels)"
    return make_kpi(
        kpi=name,
        title=title,
        unit="USD",
        res=res,
        period=period,
        value=None if not new or not spend_cents else round(spend_cents / 100.0 / new, 2),
        source=f"{SOURCE}.cac",
        definition="marketing spend / new patients whose first completed visit came from the "
        "channel",
        numerator=cents_to_usd(spend_cents),
        denominator=new,
        numerator_label=f"Marketing spend{', ' + channel if channel else ''}",
        numerator_unit="USD",
        denominator_label=f"New patients{', ' + channel if channel else ''}",
        details={"channel": channel, "spend_usd": cents_to_usd(spend_cents), "new_patients": new},
    )


def cac_by_channel(engine: Engine, scope: Scope, period: Period) -> list[KpiValue]:
    """CAC per channel that had spend or new patients (see module docstring), by channel."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        _no_provider(res)
        spend = spend_counts(conn, res, period)
        new = new_patient_counts(conn, res, period)
    channels = sorted(set(spend) | set(new))
    return [_cac_kpi(res, period, ch, spend.get(ch, 0.0), new.get(ch, 0)) for ch in channels]


def cac(engine: Engine, scope: Scope, period: Period, *, channel: str | None = None) -> KpiValue:
    """CAC of one channel, or blended (all spend / all new patients) when channel is None."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        _no_provider(res)
        spend = spend_counts(conn, res, period)
        new = new_patient_counts(conn, res, period)
    if channel is None:
        return _cac_kpi(res, period, None, sum(spend.values()), sum(new.values()))
    return _cac_kpi(res, period, channel, spend.get(channel, 0.0), new.get(channel, 0))


# --------------------------------------------------------------------------- funnel


class ChannelFunnel(BaseModel):
    channel: str
    leads: int
    booked: int
    completed: int
    rebooked: int
    lead_to_booked: float | None
    booked_to_completed: float | None
    completed_to_rebooked: float | None
    lead_to_completed: float | None
    facts: list[Fact] = Field(default_factory=list)


def new_patient_funnel(engine: Engine, scope: Scope, period: Period) -> list[ChannelFunnel]:
    """Lead → booked → completed → rebooked per channel, for leads created in the period at the
    scope's locations (see module docstring)."""
    lead = t.lead
    a = t.appointment
    nxt = t.appointment.alias("nxt")
    after = a.c.local_date >= lead.c.local_date
    booked = exists().where(a.c.patient_id == lead.c.patient_id, after)
    completed = exists().where(a.c.patient_id == lead.c.patient_id, after, a.c.status == COMPLETED)
    rebooked = exists().where(
        a.c.patient_id == lead.c.patient_id,
        after,
        a.c.status == COMPLETED,
        exists().where(
            nxt.c.patient_id == a.c.patient_id,
            nxt.c.start_at > a.c.start_at,
            nxt.c.status != AppointmentStatus.cancelled.value,
        ),
    )

    def flag(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    with engine.connect() as conn:
        res = resolve(conn, scope)
        _no_provider(res)
        rows = conn.execute(
            select(lead.c.channel, func.count(), flag(booked), flag(completed), flag(rebooked))
            .where(
                lead.c.local_date.between(period.start, period.end),
                lead.c.location_id.in_(res.location_ids),
            )
            .group_by(lead.c.channel)
            .order_by(lead.c.channel)
        ).all()
    funnels = []
    for channel, leads, n_booked, n_completed, n_rebooked in rows:
        counts = {
            "leads": int(leads),
            "booked": int(n_booked),
            "completed": int(n_completed),
            "rebooked": int(n_rebooked),
        }
        facts = [
            Fact(
                id=fact_id(f"funnel_{channel}", res.key, period, stage),
                label=f"{stage.capitalize()} ({channel} leads), {res.name}, {period.label()}",
                value=value,
                unit="count",
                scope=res.key,
                period_start=period.start,
                period_end=period.end,
                source=f"{SOURCE}.new_patient_funnel",
            )
            for stage, value in counts.items()
        ]
        funnels.append(
            ChannelFunnel(
                channel=str(channel),
                **counts,
                lead_to_booked=ratio(counts["booked"], counts["leads"]),
                booked_to_completed=ratio(counts["completed"], counts["booked"]),
                completed_to_rebooked=ratio(counts["rebooked"], counts["completed"]),
                lead_to_completed=ratio(counts["completed"], counts["leads"]),
                facts=facts,
            )
        )
    return funnels


# --------------------------------------------------------------------------- LTV


class ChannelLtv(BaseModel):
    channel: str
    new_patients: int
    revenue: float
    ltv: float | None
    cac: float | None
    ltv_to_cac: float | None
    revenue_through: date
    facts: list[Fact] = Field(default_factory=list)


def marketing_ltv(
    engine: Engine, scope: Scope, period: Period, *, horizon_days: int = 365
) -> list[ChannelLtv]:
    """Marketing-attributed LTV per channel of the period's new patients (module docstring),
    with their CAC and the LTV/CAC ratio."""
    s = t.sale
    with engine.connect() as conn:
        res = resolve(conn, scope)
        _no_provider(res)
        # One indexed max per location (a max over an IN list would scan every sale).
        last_days = [
            conn.execute(select(func.max(s.c.local_date)).where(s.c.location_id == lid)).scalar()
            for lid in res.location_ids
        ]
        last_day = max((d for d in last_days if d is not None), default=period.end)
        through = min(period.end + timedelta(days=horizon_days), last_day)
        cohort = new_patients_query(res, period).subquery()
        rows = conn.execute(
            select(
                cohort.c.channel,
                func.count(func.distinct(cohort.c.patient_id)),
                func.coalesce(
                    func.sum(
                        select(func.coalesce(func.sum(s.c.net_cents), 0))
                        .where(
                            s.c.patient_id == cohort.c.patient_id,
                            s.c.local_date.between(period.start, through),
                        )
                        .scalar_subquery()
                    ),
                    0,
                ),
            ).group_by(cohort.c.channel)
        ).all()
        spend = spend_counts(conn, res, period)
    results = []
    for channel, n, cents in sorted(rows):
        ltv = ratio(float(cents), int(n))
        channel_cac = None if not n else spend.get(channel, 0.0) / int(n)
        ltv_usd = cents_to_usd(ltv)
        cac_usd = cents_to_usd(channel_cac) if spend.get(channel) else None
        key = f"marketing_ltv_{channel}"
        results.append(
            ChannelLtv(
                channel=str(channel),
                new_patients=int(n),
                revenue=cents_to_usd(cents) or 0.0,
                ltv=ltv_usd,
                cac=cac_usd,
                ltv_to_cac=ratio(ltv_usd, cac_usd),
                revenue_through=through,
                facts=[
                    Fact(
                        id=fact_id(key, res.key, period),
                        label=f"Marketing-attributed LTV ({channel}), {res.name}, "
                        f"{period.label()} cohort",
                        value=ltv_usd,
                        unit="USD",
                        scope=res.key,
                        period_start=period.start,
                        period_end=through,
                        source=f"{SOURCE}.marketing_ltv",
                    )
                ],
            )
        )
    return results
