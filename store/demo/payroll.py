"""Provider shifts and payroll.

Shifts: every workday of each provider from the location's first day of data to 30 days past
`as_of`, sized so that completed appointment minutes fill 56–66 % of them. Payroll:
semi-monthly compensation (base, commission, quarterly bonus, benefits) whose total is the
provider's production times a comp-to-production ratio drawn from 37–45 %, or the planted ratio
of the providers marked `comp_high` / `comp_low` in the catalog.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from store.demo.world import World


def build_shifts(world: World) -> None:
    for prov in world.providers:
        loc = next(loc for loc in world.locations if loc.id == prov.location_id)
        first = world.open_from(loc)
        past_days = [
            first + timedelta(days=i)
            for i in range((world.as_of - first).days + 1)
            if (first + timedelta(days=i)).weekday() in prov.spec.workdays
        ]
        target = world.rng.uniform(0.56, 0.66)
        per_day = world.completed_minutes[prov.id] / max(1, len(past_days)) / target
        minutes = int(min(600, max(240, round(per_day / 30) * 30)))
        day = first
        while day <= world.horizon:
            if day.weekday() in prov.spec.workdays:
                world.rows.add(
                    "providershift",
                    {
                        "provider_id": prov.id,
                        "location_id": loc.id,
                        "day": day,
                        "available_minutes": minutes,
                    },
                    "shift",
                )
            day += timedelta(days=1)


def build_payroll(world: World) -> list[dict[str, Any]]:
    """Semi-monthly payroll whose total tracks each provider's comp-to-production ratio.

    Returns the manifest entries of the planted comp ratios."""
    planted = []
    for prov in world.providers:
        ratio = prov.spec.comp_ratio or round(world.rng.uniform(0.37, 0.45), 3)
        if prov.spec.planted in ("comp_high", "comp_low"):
            planted.append(
                {
                    "kind": "comp_ratio_high"
                    if prov.spec.planted == "comp_high"
                    else "comp_ratio_low",
                    "location_id": prov.location_id,
                    "provider_id": prov.id,
                    "period_start": world.start.isoformat(),
                    "period_end": world.as_of.isoformat(),
                    "expected_direction": "up" if prov.spec.planted == "comp_high" else "down",
                    "details": {"comp_ratio": ratio},
                }
            )
        period_start = date(world.start.year, world.start.month, 1)
        while True:
            for half in (0, 1):
                p_start = period_start if half == 0 else period_start.replace(day=16)
                next_month = (period_start + timedelta(days=32)).replace(day=1)
                p_end = (
                    period_start.replace(day=15) if half == 0 else next_month - timedelta(days=1)
                )
                if p_end > world.as_of:
                    break
                production = sum(
                    world.production.get((prov.id, p_start + timedelta(days=i)), 0)
                    for i in range((p_end - p_start).days + 1)
                )
                if production <= 0:
                    continue
                total = int(production * ratio * world.rng.uniform(0.98, 1.02))
                benefits = int(total * 0.09)
                base = min(prov.spec.base_monthly_cents // 2, total - benefits)
                commission = total - benefits - base
                bonus = 0
                if p_end.month in (3, 6, 9, 12) and half == 1:
                    bonus = commission // 5
                    commission -= bonus
                world.rows.add(
                    "compensation",
                    {
                        "provider_id": prov.id,
                        "period_start": p_start,
                        "period_end": p_end,
                        "base_cents": base,
                        "commission_cents": commission,
                        "bonus_cents": bonus,
                        "benefits_cents": benefits,
                    },
                    "pay",
                )
            period_start = (period_start + timedelta(days=32)).replace(day=1)
            if period_start > world.as_of:
                break
    return planted
