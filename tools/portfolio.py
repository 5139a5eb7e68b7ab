"""Portfolio views: same-store revenue growth with a location ranking, and treatment mix.

Same-store growth compares net revenue (Σ Sale.net_cents by local date) of the period with the
same dates one year earlier, over the locations **open at least 13 months** at the period's
start (`Location.opened_on` ≤ period start − 13 months; a location without an opening date
counts when it had revenue in the prior-year period). Growth = (current − prior) / prior.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select

from store import tables as t
from tools.facts import Fact
from tools.kpi_base import cents_to_usd, fact_id, ratio, resolve
from tools.scope import Period, Scope

SOURCE = "tools.kpis"


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    try:
        return day.replace(year=year, month=month + 1)
    except ValueError:
        return date(year, month + 1, 28)


class LocationGrowth(BaseModel):
    location_id: int
    name: str
    opened_on: date | None
    comparable: bool = Field(description="Open ≥ 13 months at the period's start.")
    revenue: float
    prior_revenue: float
    growth: float | None
    rank: int | None = Field(description="1 = fastest growing among comparable locations.")


class SameStoreGrowth(BaseModel):
    organization_id: int
    period_start: date
    period_end: date
    prior_start: date
    prior_end: date
    revenue: float
    prior_revenue: float
    growth: float | None
    locations: list[LocationGrowth]
    facts: list[Fact] = Field(default_factory=list)


def same_store_growth(engine: Engine, organization_id: int, period: Period) -> SameStoreGrowth:
    """Year-over-year net revenue of comparable locations, and every location ranked."""
    prior = Period(_shift_year(period.start, -1), _shift_year(period.end, -1))
    cutoff = _months_before(period.start, 13)
    s = t.sale
    loc = t.location
    with engine.connect() as conn:
        res = resolve(conn, Scope(organization_id))

        def revenue(p: Period) -> dict[int, int]:
            rows = conn.execute(
                select(s.c.location_id, func.sum(s.c.net_cents))
                .where(
                    s.c.local_date.between(p.start, p.end), s.c.location_id.in_(res.location_ids)
                )
                .group_by(s.c.location_id)
            ).all()
            return {int(k): int(v or 0) for k, v in rows}

        current, before = revenue(period), revenue(prior)
        locations = conn.execute(
            select(loc.c.id, loc.c.name, loc.c.opened_on)
            .where(loc.c.id.in_(res.location_ids))
            .order_by(loc.c.id)
        ).all()
    rows = []
    for lid, name, opened in locations:
        comparable = opened <= cutoff if opened is not None else before.get(lid, 0) > 0
        cur, old = current.get(lid, 0), before.get(lid, 0)
        rows.append(
            LocationGrowth(
                location_id=lid,
                name=name,
                opened_on=opened,
                comparable=comparable,
                revenue=cents_to_usd(cur) or 0.0,
                prior_revenue=cents_to_usd(old) or 0.0,
                growth=ratio(cur - old, old) if comparable and old > 0 else None,
                rank=None,
            )
        )
    ranked = sorted((r for r in rows if r.growth is not None), key=lambda r: -(r.growth or 0.0))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -r.revenue))
    same_cur = sum(current.get(r.location_id, 0) for r in rows if r.comparable)
    same_old = sum(before.get(r.location_id, 0) for r in rows if r.comparable)
    growth = ratio(same_cur - same_old, same_old) if same_old > 0 else None
    key = f"org:{organization_id}"
    facts = [
        Fact(
            id=fact_id("same_store_growth", key, period),
            label=f"Same-store revenue growth vs a year earlier, {res.name}, {period.label()}",
            value=None if growth is None else round(growth, 6),
            unit="percent",
            scope=key,
            period_start=period.start,
            period_end=period.end,
            source=f"{SOURCE}.same_store_growth",
        ),
        Fact(
            id=fact_id("same_store_revenue", key, period),
            label=f"Same-store net revenue, {res.name}, {period.label()}",
            value=cents_to_usd(same_cur),
            unit="USD",
            scope=key,
            period_start=period.start,
            period_end=period.end,
            source=f"{SOURCE}.same_store_growth",
        ),
        Fact(
            id=fact_id("same_store_revenue", key, prior),
            label=f"Same-store net revenue, {res.name}, {prior.label()}",
            value=cents_to_usd(same_old),
            unit="USD",
            scope=key,
            period_start=prior.start,
            period_end=prior.end,
            source=f"{SOURCE}.same_store_growth",
        ),
    ]
    for row in rows:
        if row.growth is not None:
            facts.append(
                Fact(
                    id=fact_id("revenue_growth", f"location:{row.location_id}", period),
                    label=f"Revenue growth vs a year earlier, {row.name}, {period.label()}",
                    value=round(row.growth, 6),
                    unit="percent",
                    scope=f"location:{row.location_id}",
                    period_start=period.start,
                    period_end=period.end,
                    source=f"{SOURCE}.same_store_growth",
                )
            )
    return SameStoreGrowth(
        organization_id=organization_id,
        period_start=period.start,
        period_end=period.end,
        prior_start=prior.start,
        prior_end=prior.end,
        revenue=cents_to_usd(same_cur) or 0.0,
        prior_revenue=cents_to_usd(same_old) or 0.0,
        growth=growth,
        locations=rows,
        facts=facts,
    )


class ServiceMix(BaseModel):
    """One line of the treatment mix: a service (or a non-service sale kind)."""

    category: str
    item: str
    lines: int
    revenue: float
    cost_of_goods: float
    margin: float | None = Field(description="(revenue − cost of goods) / revenue")
    share: float | None = Field(description="revenue / the scope's net revenue")


def treatment_mix(engine: Engine, scope: Scope, period: Period) -> list[ServiceMix]:
    """Net revenue, cost of goods and gross margin per service (refund lines net against their
    service; product and membership sales grouped by kind), by local sale date, largest first."""
    s = t.sale
    svc = t.service
    item = func.coalesce(svc.c.name, s.c.kind)
    category = func.coalesce(svc.c.category, s.c.category, s.c.kind)
    with engine.connect() as conn:
        res = resolve(conn, scope)
        rows = conn.execute(
            select(
                category,
                item,
                func.count(),
                func.sum(s.c.net_cents),
                func.sum(s.c.cogs_cents),
            )
            .select_from(s.outerjoin(svc, svc.c.id == s.c.service_id))
            .where(
                s.c.local_date.between(period.start, period.end),
                *res.where(s.c.location_id, s.c.provider_id),
            )
            .group_by(category, item)
        ).all()
    total = sum(int(r[3] or 0) for r in rows)
    mix = [
        ServiceMix(
            category=str(cat),
            item=str(name),
            lines=int(n),
            revenue=cents_to_usd(int(net or 0)) or 0.0,
            cost_of_goods=cents_to_usd(int(cogs or 0)) or 0.0,
            margin=ratio(int(net or 0) - int(cogs or 0), int(net or 0)) if net else None,
            share=ratio(int(net or 0), total) if total else None,
        )
        for cat, name, n, net, cogs in rows
    ]
    mix.sort(key=lambda m: -m.revenue)
    return mix
