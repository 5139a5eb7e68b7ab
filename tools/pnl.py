"""Provider P&L and the compensation-to-production ratio, joined from payroll and POS.

Definitions (period = inclusive local dates):
- production = Σ Sale.net_cents attributed to the provider (refund lines negative);
- compensation = Σ (base + commission + bonus + benefits) of the provider's payroll periods that
  overlap the period, **prorated by days** when a pay period straddles a boundary (a 1–15 pay
  period contributes 5/15 of its total to a period that starts on the 11th). A provider with no
  overlapping payroll row has compensation **unknown** (None), never 0;
- cost of goods = Σ Sale.cogs_cents of the provider's sales;
- *covered days* = the days of the period that one of the provider's payroll rows covers.
  Missing payroll is not $0 of pay: when payroll covers only part of the period (payroll is
  usually imported up to the last pay date, so `last-30d` often reaches past it), profit and
  the ratio are computed over the covered days only — production and cost of goods of the sales
  on covered days — and the row says so (`payroll_partial`, "payroll covers 21 of 30 days");
- profit = covered production − compensation − covered cost of goods (None when compensation
  is unknown);
- comp-to-production = compensation / covered production (healthy 35–50%).
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Engine, and_, case, exists, func, select

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
    production: float = Field(description="Production over the whole period.")
    compensation: float | None = Field(description="None = unknown (no payroll rows).")
    cost_of_goods: float
    production_covered: float = Field(description="Production on the days payroll covers.")
    cost_of_goods_covered: float
    profit: float | None = Field(
        description="covered production − compensation − covered cost of goods."
    )
    comp_to_production: float | None = Field(description="compensation / covered production.")
    payroll_rows: int
    payroll_days_covered: int
    period_days: int
    payroll_partial: bool = Field(description="Payroll covers some but not all of the period.")
    payroll_note: str | None = Field(description="'payroll covers 21 of 30 days' when partial.")
    compensation_known: bool
    facts: list[Fact] = Field(default_factory=list)


class CompCounts(NamedTuple):
    """One provider's compensation and production over the days payroll covers."""

    compensation_cents: float
    production_cents: int
    days_covered: int


def coverage_note(days_covered: int, period_days: int) -> str | None:
    """'payroll covers 21 of 30 days' when payroll covers part of the period, else None."""
    if 0 < days_covered < period_days:
        return f"payroll covers {days_covered} of {period_days} days"
    return None


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
    # Rows never overlap in a sane payroll export; the cap keeps a duplicate from claiming
    # more days than the period has.
    return {
        int(pid): (float(cents or 0), int(rows), min(int(days or 0), period.days))
        for pid, cents, rows, days in conn.execute(query).all()
    }


def _sales_by_provider(
    conn: Connection, res: Resolved, period: Period, *, covered_only: bool = False
) -> dict[int, tuple[int, int]]:
    """Per provider: (net cents, cogs cents) of the period's sales — only of sales on days one
    of the provider's payroll rows covers when `covered_only`."""
    s, c = t.sale, t.compensation
    where = [
        s.c.provider_id.is_not(None),
        s.c.local_date.between(period.start, period.end),
        *res.where(s.c.location_id, s.c.provider_id),
    ]
    if covered_only:
        where.append(
            exists().where(
                and_(
                    c.c.provider_id == s.c.provider_id,
                    c.c.period_start <= s.c.local_date,
                    c.c.period_end >= s.c.local_date,
                )
            )
        )
    query = (
        select(s.c.provider_id, func.sum(s.c.net_cents), func.sum(s.c.cogs_cents))
        .where(*where)
        .group_by(s.c.provider_id)
    )
    return {int(pid): (int(net or 0), int(cogs or 0)) for pid, net, cogs in conn.execute(query)}


def provider_pnl(engine: Engine, scope: Scope, period: Period) -> list[ProviderPnl]:
    """P&L of every provider of the scope's locations (or the one provider), ordered by profit
    (unknown last). See the module docstring for the definitions and proration."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        sales = _sales_by_provider(conn, res, period)
        covered_sales = _sales_by_provider(conn, res, period, covered_only=True)
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
        covered_net, covered_cogs = covered_sales.get(row.id, (0, 0))
        production_covered = cents_to_usd(covered_net) or 0.0
        cost_covered = cents_to_usd(covered_cogs) or 0.0
        profit = (
            None
            if compensation is None
            else round(production_covered - compensation - cost_covered, 2)
        )
        comp_ratio = ratio(compensation, production_covered) if production_covered > 0 else None
        note = coverage_note(days, period.days)
        key = f"provider:{row.id}"
        name = f"{row.first_name} {row.last_name}"
        label = f"{name}, {period.label()}" + (f" ({note})" if note else "")

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
            make(
                "payroll_days_covered",
                f"Days payroll covers, {label}",
                days if known else 0,
                "days",
            ),
            make(
                "profit",
                f"Profit after compensation and cost of goods, {label}",
                profit,
                "USD",
            ),
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
                production_covered=production_covered,
                cost_of_goods_covered=cost_covered,
                profit=profit,
                comp_to_production=comp_ratio,
                payroll_rows=pay_rows,
                payroll_days_covered=days,
                period_days=period.days,
                payroll_partial=note is not None,
                payroll_note=note,
                compensation_known=known,
                facts=facts,
            )
        )
    results.sort(key=lambda r: (r.profit is None, -(r.profit or 0.0)))
    return results


def comp_ratio_counts(conn: Connection, res: Resolved, period: Period) -> dict[int, CompCounts]:
    """Per provider with payroll: compensation cents, production cents on the days payroll
    covers, and how many days of the period it covers."""
    sales = _sales_by_provider(conn, res, period, covered_only=True)
    return {
        pid: CompCounts(cents, sales.get(pid, (0, 0))[0], days)
        for pid, (cents, _, days) in compensation_counts(conn, res, period).items()
    }


def coverage_span(days: list[int], period_days: int) -> str | None:
    """The partial-payroll note of several providers: 'payroll covers 15 of 30 days', or
    'payroll covers 15–21 of 30 days' when they differ; None when every one is fully covered."""
    if not days or min(days) >= period_days:
        return None
    low, high = min(days), max(days)
    span = str(low) if low == high else f"{low}–{high}"
    return f"payroll covers {span} of {period_days} days"


def comp_to_production(engine: Engine, scope: Scope, period: Period) -> KpiValue:
    """Comp-to-production ratio: Σ prorated compensation / Σ production on the days payroll
    covers, over the scope's providers **that have payroll rows** in the period (providers
    without payroll are listed in `details.providers_without_payroll` and left out of both
    sums). When payroll covers part of the period the title says so ("payroll covers 21 of 30
    days") and `details.payroll_partial` is True. None when no provider has payroll or covered
    production is zero."""
    with engine.connect() as conn:
        res = resolve(conn, scope)
        pairs = comp_ratio_counts(conn, res, period)
        sales = _sales_by_provider(conn, res, period)
    missing = sorted(pid for pid, (net, _) in sales.items() if pid not in pairs and net)
    comp = sum(c.compensation_cents for c in pairs.values()) if pairs else None
    production = sum(c.production_cents for c in pairs.values())
    note = coverage_span([c.days_covered for c in pairs.values()], period.days)
    title = "Comp-to-production ratio" + (f" ({note})" if note else "")
    return make_kpi(
        kpi="comp_to_production",
        title=title,
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
        denominator_label="Provider production on the days payroll covers",
        denominator_unit="USD",
        details={
            "providers_without_payroll": missing,
            "providers_with_payroll": sorted(pairs),
            "payroll_days_covered": {pid: c.days_covered for pid, c in sorted(pairs.items())},
            "period_days": period.days,
            "payroll_partial": note is not None,
            "payroll_note": note,
        },
    )
