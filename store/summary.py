"""A plain summary of what a practice store holds (used by `clarity demo`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from store import tables as t


@dataclass(frozen=True)
class LocationSummary:
    id: int
    name: str
    timezone: str
    providers: int
    patients: int


@dataclass(frozen=True)
class PracticeSummary:
    organization: str | None
    locations: list[LocationSummary]
    appointments: int
    revenue_by_month: list[tuple[str, int]]  # ("2026-10", net cents), all locations

    @property
    def patients(self) -> int:
        return sum(loc.patients for loc in self.locations)

    @property
    def providers(self) -> int:
        return sum(loc.providers for loc in self.locations)


def practice_summary(engine: Engine) -> PracticeSummary:
    """Locations with provider and patient counts, and net sales per calendar month.

    Net sales = Σ Sale.net_cents by the sale's local date (refund lines count negative).
    """
    with engine.connect() as conn:
        org = conn.execute(select(t.organization.c.name).order_by(t.organization.c.id)).scalar()
        providers: dict[int, int] = dict(
            conn.execute(
                select(t.provider.c.location_id, func.count()).group_by(t.provider.c.location_id)
            ).all()
        )
        patients: dict[int, int] = dict(
            conn.execute(
                select(t.patient.c.home_location_id, func.count()).group_by(
                    t.patient.c.home_location_id
                )
            ).all()
        )
        locations = [
            LocationSummary(
                id=row.id,
                name=row.name,
                timezone=row.timezone,
                providers=providers.get(row.id, 0),
                patients=patients.get(row.id, 0),
            )
            for row in conn.execute(
                select(t.location.c.id, t.location.c.name, t.location.c.timezone).order_by(
                    t.location.c.id
                )
            )
        ]
        appointments = conn.execute(select(func.count()).select_from(t.appointment)).scalar_one()
        sales = conn.execute(
            select(t.sale.c.local_date, func.sum(t.sale.c.net_cents)).group_by(t.sale.c.local_date)
        ).all()
    by_month: dict[str, int] = {}
    for day, cents in sales:
        key = f"{day:%Y-%m}"
        by_month[key] = by_month.get(key, 0) + int(cents or 0)
    return PracticeSummary(
        organization=org,
        locations=locations,
        appointments=appointments,
        revenue_by_month=sorted(by_month.items()),
    )
