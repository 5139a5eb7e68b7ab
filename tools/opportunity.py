"""Total opportunity: the seed's gap sizing as dollars per year and share of revenue.

Seed 001 (section 3, "Modeling the Practice Intelligence Gap") sizes what a practice leaves on
the table by moving from its own rates to the targets: rebooking, retention, capacity, provider
compensation (and, with capacity, no-shows). `total_opportunity` does that sizing on the
practice's own data over the **365 days ending `as_of`** (the year), per location, then sums
the locations for the organization (a gap at one location is never netted against another
location's surplus). Targets are `tools.targets.Targets` (settings, defaults = the seed's
ranges); a rate at or better than its target is a gap of $0.

Per location L over the year Y:
- `rebooking`: max(0, target rebooking × eligible − rebooked) × average visit value, where
  eligible = completed visits of rebookable services, rebooked = those with a next appointment
  booked within a day (`tools.operations.rebooking_counts`), average visit value = net sales
  of the eligible visits / eligible.
- `capacity`: Σ over L's providers with shifts of max(0, target utilization − booked/available)
  × available hours × production per booked hour (the provider's net sales / booked hours of
  completed appointments) — the `utilization_gap` finding's formula over the year.
- `compensation`: Σ over L's providers whose comp-to-production ratio over the days payroll
  covers is above the healthy range (50%): (ratio − 40% midpoint) × production on those days
  × 365 / days covered (annualised); a provider without payroll is unknown and counts $0.
- `retention`: max(0, target 12-month retention − actual) × cohort patients × revenue per
  patient, where actual and cohort are `tools.operations.retention_12m` at L as of `as_of`
  and revenue per patient = L's net revenue over Y / patients with a completed visit at L in Y.
- `no_show`: max(0, no-show rate − target) × (completed + no-shows) × average ticket (net
  sales of Y's completed visits / completed visits) — the `no_show_cost` finding's formula.

`share_of_revenue` = total / net revenue over Y (None when revenue is not positive).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, select

from store import tables as t
from tools.facts import Fact, Unit
from tools.findings import ticket_counts
from tools.kpi_base import Resolved, resolve
from tools.operations import (
    attendance_counts,
    capacity_counts,
    rebooking_counts,
    retention_12m,
    revenue_counts,
)
from tools.pnl import comp_ratio_counts
from tools.scope import Period, Scope
from tools.seed_metrics import patients_seen
from tools.targets import Targets

SOURCE = "tools.opportunity"
YEAR_DAYS = 365
GAPS = ("rebooking", "capacity", "compensation", "retention", "no_show")
GAP_LABELS = {
    "rebooking": "Rebooking",
    "capacity": "Capacity",
    "compensation": "Provider compensation",
    "retention": "Retention",
    "no_show": "No-shows",
}


class GapSize(BaseModel):
    gap: str
    label: str
    dollars_per_year: float
    formula: str


class LocationOpportunity(BaseModel):
    location_id: int
    name: str
    revenue_year: float
    gaps: list[GapSize]
    total_per_year: float
    share_of_revenue: float | None


class Opportunity(BaseModel):
    organization_id: int
    as_of: date
    period_start: date
    period_end: date
    by_location: list[LocationOpportunity]
    gaps: dict[str, float]  # gap → $/year, summed over the locations
    revenue_year: float
    total_per_year: float
    share_of_revenue: float | None
    facts: list[Fact]


def _rebooking(conn: Connection, res: Resolved, year: Period, targets: Targets) -> GapSize:
    eligible, rebooked, net = rebooking_counts(conn, res, year)[None]
    value = net / 100 / eligible if eligible else 0.0
    missing = max(0.0, targets.rebooking_rate * eligible - rebooked)
    return GapSize(
        gap="rebooking",
        label=GAP_LABELS["rebooking"],
        dollars_per_year=round(missing * value, 2),
        formula=f"max(0, {targets.rebooking_rate:.0%} target × {eligible} eligible visits − "
        f"{rebooked} rebooked) × ${value:,.2f} average visit value",
    )


def _capacity(conn: Connection, res: Resolved, year: Period, targets: Targets) -> GapSize:
    capacity = capacity_counts(conn, res, year, group="provider")
    production = revenue_counts(conn, res, year, group="provider", providers_only=True)
    total = 0.0
    hours_all = 0.0
    for pid, (booked, available) in capacity.items():
        if pid is None or not available or not booked:
            continue
        per_hour = production.get(pid, 0) / 100 / (booked / 60)
        gap = targets.utilization - booked / available
        if gap > 0:
            total += gap * available / 60 * per_hour
            hours_all += available / 60
    return GapSize(
        gap="capacity",
        label=GAP_LABELS["capacity"],
        dollars_per_year=round(total, 2),
        formula=f"Σ providers below {targets.utilization:.0%} utilization: (target − actual) × "
        f"available hours ({hours_all:,.0f} h in all) × production per booked hour",
    )


def _compensation(conn: Connection, res: Resolved, year: Period, targets: Targets) -> GapSize:
    total = 0.0
    above = 0
    for counts in comp_ratio_counts(conn, res, year).values():
        if counts.production_cents <= 0 or counts.days_covered <= 0:
            continue
        ratio = counts.compensation_cents / counts.production_cents
        if ratio > targets.comp_high:
            above += 1
            window = (ratio - targets.comp_target) * counts.production_cents / 100
            total += window * YEAR_DAYS / counts.days_covered
    return GapSize(
        gap="compensation",
        label=GAP_LABELS["compensation"],
        dollars_per_year=round(total, 2),
        formula=f"Σ providers above {targets.comp_high:.0%} comp-to-production ({above}): "
        f"(ratio − {targets.comp_target:.0%}) × production over the days payroll covers "
        f"× {YEAR_DAYS} / days covered",
    )


def _retention(
    engine: Engine,
    conn: Connection,
    scope: Scope,
    res: Resolved,
    year: Period,
    targets: Targets,
    revenue_cents: int,
) -> GapSize:
    kpi = retention_12m(engine, scope, year)
    cohort = int(kpi.denominator or 0)
    actual = kpi.value
    seen = patients_seen(conn, res, year)
    per_patient = revenue_cents / 100 / seen if seen else 0.0
    gap = max(0.0, targets.retention_12m - actual) if actual is not None else 0.0
    return GapSize(
        gap="retention",
        label=GAP_LABELS["retention"],
        dollars_per_year=round(gap * cohort * per_patient, 2),
        formula=f"max(0, {targets.retention_12m:.0%} target − "
        f"{'n/a' if actual is None else f'{actual:.1%}'} actual 12-month retention) × "
        f"{cohort} cohort patients × ${per_patient:,.2f} revenue per patient",
    )


def _no_show(conn: Connection, res: Resolved, year: Period, targets: Targets) -> GapSize:
    counts = attendance_counts(conn, res, year)[None]
    completed, missed = counts["completed"], counts["no_show"]
    seen = completed + missed
    ticket = sum(ticket_counts(conn, res, year).values()) / 100 / completed if completed else 0.0
    rate = missed / seen if seen else 0.0
    excess = max(0.0, rate - targets.no_show_rate) * seen
    return GapSize(
        gap="no_show",
        label=GAP_LABELS["no_show"],
        dollars_per_year=round(excess * ticket, 2),
        formula=f"max(0, {rate:.1%} no-show rate − {targets.no_show_rate:.1%} target) × "
        f"{seen} seen appointments × ${ticket:,.2f} average ticket",
    )


def _share(total: float, revenue: float) -> float | None:
    return round(total / revenue, 6) if revenue > 0 else None


def total_opportunity(
    engine: Engine,
    *,
    organization_id: int,
    as_of: date,
    location_id: int | None = None,
    targets: Targets | None = None,
) -> Opportunity:
    """The five gaps in $/year and as a share of revenue, per location and summed (module
    doc); `location_id` keeps one location."""
    chosen = targets or Targets.default()
    year = Period.trailing(YEAR_DAYS, as_of)
    rows: list[LocationOpportunity] = []
    with engine.connect() as conn:
        org = resolve(conn, Scope(organization_id, location_id))
        names = dict(
            conn.execute(
                select(t.location.c.id, t.location.c.name).where(
                    t.location.c.id.in_(org.location_ids)
                )
            ).all()
        )
        for loc in sorted(org.location_ids):
            scope = Scope(organization_id, loc)
            res = resolve(conn, scope)
            revenue_cents = revenue_counts(conn, res, year).get(None, 0)
            gaps = [
                _rebooking(conn, res, year, chosen),
                _capacity(conn, res, year, chosen),
                _compensation(conn, res, year, chosen),
                _retention(engine, conn, scope, res, year, chosen, revenue_cents),
                _no_show(conn, res, year, chosen),
            ]
            total = round(sum(g.dollars_per_year for g in gaps), 2)
            revenue = revenue_cents / 100
            rows.append(
                LocationOpportunity(
                    location_id=loc,
                    name=names[loc],
                    revenue_year=revenue,
                    gaps=gaps,
                    total_per_year=total,
                    share_of_revenue=_share(total, revenue),
                )
            )
    by_gap = {
        gap: round(sum(g.dollars_per_year for r in rows for g in r.gaps if g.gap == gap), 2)
        for gap in GAPS
    }
    total = round(sum(by_gap.values()), 2)
    revenue = round(sum(r.revenue_year for r in rows), 2)
    scope_key = Scope(organization_id, location_id).key()
    return Opportunity(
        organization_id=organization_id,
        as_of=as_of,
        period_start=year.start,
        period_end=year.end,
        by_location=rows,
        gaps=by_gap,
        revenue_year=revenue,
        total_per_year=total,
        share_of_revenue=_share(total, revenue),
        facts=_facts(scope_key, year, by_gap, total, revenue, rows),
    )


def _facts(
    scope_key: str,
    year: Period,
    by_gap: dict[str, float],
    total: float,
    revenue: float,
    rows: list[LocationOpportunity],
) -> list[Fact]:
    """Each gap, each location's total (when there are several), the total and its share."""
    slug = scope_key.replace(":", "-")

    def fact(name: str, label: str, value: float, unit: Unit) -> Fact:
        return Fact(
            id=f"opportunity.{slug}.{year.end.isoformat()}.{name}",
            label=label,
            value=value,
            unit=unit,
            scope=scope_key,
            period_start=year.start,
            period_end=year.end,
            source=SOURCE,
        )

    facts = [
        fact(gap, f"{GAP_LABELS[gap]} gap per year", dollars, "USD")
        for gap, dollars in by_gap.items()
    ]
    if len(rows) > 1:
        facts += [
            fact(
                f"location-{row.location_id}",
                f"Total opportunity per year, {row.name}",
                row.total_per_year,
                "USD",
            )
            for row in rows
        ]
    facts.append(fact("total", "Total opportunity per year", total, "USD"))
    if revenue > 0:
        facts.append(
            fact(
                "share", "Total opportunity, share of revenue", round(total / revenue, 6), "percent"
            )
        )
    return facts
