"""Provider P&L and the compensation-to-production ratio, joined from payroll and POS.

Definitions (period = inclusive local dates):
- production = Σ Sale.net_cents attributed to the provider (refund lines negative);
- compensation = Σ (base + commission + bonus + benefits) of the provider's payroll periods that
  overlap the period, **prorated by days** when a pay period straddles a boundary (a 1–15 pay
  period contributes 5/15 of its total to a period that starts on the 11th). A provider with no
  overlapping payroll row has compensation **unknown** (None), never 0;
- cost of goods = Σ Sale.cogs_cents of the provider's sales;
- profit = production − compensation − cost of goods (None when compensation is unknown);
  a period reaching past the last payroll row only has the covered days' pay
  (`payroll_days_covered` says how many days payroll covers);
- comp-to-production = compensation / production (healthy 35–50%).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, case, func, select

from store import tables as t
from tools.facts import Fact, FactMaker
from tools.kpi_base import KpiValue, Resolved, cents_to_usd, fact_id, make_kpi, ratio, resolve
from tools.scope import Period, Scope
from tools.sqlfn import as_float, day_diff

SOURCE = "tools.kpis"


class ProviderPnl(BaseModel):
    """One provider's P&L for a period (USD)."""

    provider_id: int
    name: str
    role: str
    location_id: int
    location_name: str
    production: float
    compensation: float | None = Field(description="None = unknown (no payroll rows).")
    cost_of_goods: float
    profit: float | None = Field(description="production − compensation − cost of goods.")
    comp_to_production: float | None
    payroll_rows: int
    payroll_days_covered: int
    compensation_known: bool
    facts: list[Fact] = Field(default_factory=list)


def compensation_counts(
    conn: Connection, res: Resolved, period: Period
) -> dict[int, tuple[float, int, int]]:
    """Per provider in scope: (prorated compensation cents, payroll rows, days covered)."""
    c = t.compensation
    p = t.provider
    overlap_start = case((c.c.period_start < period.start, period.start), else_=c.c.period_start)
    overlap_end = case((c.c.period_end > period.end, period.end), else_=c.c.period_end)
    overlap_days = day_diff(overlap_end, overlap_start) + 1
    pay_days = day_diff(c.c.period_end, c.c.period_start) + 1
    total = c.c.base_cents + c.c.commission_cents + c.c.bonus_cents + c.c.benefits_cents
    query = (
        select(
            c.c.provider_id,
            func.sum(as_float(total) * overlap_days / pay_days),
            func.count(),
            func.sum(overlap_days),
        )
        .select_from(c.join(p, p.c.id == c.c.provider_id))
        .where(
            c.c.period_start <= period.end,
            c.c.period_end >= period.start,
            *res.where(p.c.location_id, p.c.id),
        )
        .group_by(c.c.provider_id)
    )
    return {
        int(pid): (float(cents or 0), int(rows), int(days or 0))
        for pid, cents, rows, days in conn.execute(query).all()
    }


def _sales_by_provider(
    conn: Connection, res: Resolved, period: Period
) -> dict[int, tuple[int, int]]:
    s = t.sale
    query = (
        select(s.c.provider_id, func.sum(s.c.net_cents), func.sum(s.c.cogs_cents))
        .where(
            s.c.provider_id.is_not(None),
            s.c.local_date.between(period.start, period.end),
            *res.where(s.c.location_id, s.c.provider_id),
        )
        .group_by(s.c.provider_id)
    )
    return {int(pid): (int(net or 0), int(cogs or 0)) for pid, net, cogs in conn.execute(query)}


def provider_pnl(engine: Engine, scope: Scope, period: Period) -> list[ProviderPnl]:
    """P&L of every provider of the scope's locations (or the one provider), ordered by profit
    (unknown last). See the module docstring for the definitions and proration."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        sales = _sales_by_provider(conn, res, period)
        pay = compensation_counts(conn, res, period)
        p, loc = t.provider, t.location
        providers = conn.execute(
            select(p.c.id, p.c.first_name, p.c.last_name, p.c.role, p.c.location_id, loc.c.name)
            .join(loc, loc.c.id == p.c.location_id)
            .where(*res.where(p.c.location_id, p.c.id))
            .order_by(p.c.id)
        ).all()
    results = []
    for row in providers:
        net, cogs = sales.get(row.id, (0, 0))
        if row.id not in pay and net == 0:
            continue  # no activity and no payroll in the period: nothing to report
        comp_cents, pay_rows, days = pay.get(row.id, (0.0, 0, 0))
        known = row.id in pay
        compensation = round(comp_cents / 100.0, 2) if known else None
        production = cents_to_usd(net) or 0.0
        cost = cents_to_usd(cogs) or 0.0
        profit = None if compensation is None else round(production - compensation - cost, 2)
        comp_ratio = ratio(compensation, production) if production > 0 else None
        key = f"provider:{row.id}"
        name = f"{row.first_name} {row.last_name}"
        label = f"{name}, {period.label()}"

        make = FactMaker(
            prefix=fact_id("provider_pnl", key, period),
            scope=key,
            source=f"{SOURCE}.provider_pnl",
            period_start=period.start,
            period_end=period.end,
        )
        facts = [
            make("production", f"Production, {label}", production, "USD"),
            make("compensation", f"Compensation (prorated payroll), {label}", compensation, "USD"),
            make("cost_of_goods", f"Cost of goods, {label}", cost, "USD"),
            make("profit", f"Profit after compensation and cost of goods, {label}", profit, "USD"),
            Fact(
                id=fact_id("comp_to_production", key, period),
                label=f"Comp-to-production ratio, {label}",
                value=None if comp_ratio is None else round(comp_ratio, 6),
                unit="percent",
                scope=key,
                period_start=period.start,
                period_end=period.end,
                source=f"{SOURCE}.comp_to_production",
            ),
        ]
        results.append(
            ProviderPnl(
                provider_id=row.id,
                name=name,
                role=row.role,
                location_id=row.location_id,
                location_name=row.name,
                production=production,
                compensation=compensation,
                cost_of_goods=cost,
                profit=profit,
                comp_to_production=comp_ratio,
                payroll_rows=pay_rows,
                payroll_days_covered=days,
                compensation_known=known,
                facts=facts,
            )
        )
    results.sort(key=lambda r: (r.profit is None, -(r.profit or 0.0)))
    return results


def comp_ratio_counts(
    conn: Connection, res: Resolved, period: Period
) -> dict[int, tuple[float, int]]:
    """Per provider with payroll: (compensation cents, production cents)."""
    sales = _sales_by_provider(conn, res, period)
    return {
        pid: (cents, sales.get(pid, (0, 0))[0])
        for pid, (cents, _, _) in compensation_counts(conn, res, period).items()
    }


def comp_to_production(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Comp-to-production ratio: Σ prorated compensation / Σ production, over the scope's
    providers **that have payroll rows** in the period (providers without payroll are listed in
    `details.providers_without_payroll` and left out of both sums). None when no provider has
    payroll or production is zero."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        pairs = comp_ratio_counts(conn, res, period)
        sales = _sales_by_provider(conn, res, period)
    missing = sorted(pid for pid, (net, _) in sales.items() if pid not in pairs and net)
    comp = sum(c for c, _ in pairs.values()) if pairs else None
    production = sum(n for _, n in pairs.values())
    return make_kpi(
        kpi="comp_to_production",
        title="Comp-to-production ratio",
        unit="percent",
        res=res,
        period=period,
        value=ratio(comp, production) if production > 0 else None,
        source=f"{SOURCE}.comp_to_production",
        definition="prorated payroll (base+commission+bonus+benefits) / provider production",
        numerator=cents_to_usd(comp),
        denominator=cents_to_usd(production),
        numerator_label="Provider compensation",
        numerator_unit="USD",
        denominator_label="Provider production",
        denominator_unit="USD",
        details={"providers_without_payroll": missing, "providers_with_payroll": sorted(pairs)},
    )
