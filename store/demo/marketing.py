"""Marketing: monthly spend per location and paid channel, and leads.

Every new patient came from a lead in their acquisition channel 1–10 days before the first
visit; unconverted leads come on top at each channel's conversion rate. Paid spend per month is
the converted patients times the channel's target cost per acquisition (±10 %); organic search
costs a flat $1,500 a month.
"""

from __future__ import annotations

from datetime import date, timedelta

from store.demo.ingredients import CHANNELS
from store.demo.world import Location, PatientPlan, World, money

CONVERSION = {
    "referral": 0.6,
    "google_ads": 0.34,
    "meta_ads": 0.26,
    "organic_search": 0.4,
    "walk_in": 0.9,
}


def build_marketing(world: World, plans: list[PatientPlan]) -> None:
    rng = world.rng
    for plan in plans:
        if plan.existing or plan.channel is None:
            continue
        month = plan.first_day.replace(day=1)
        world.nominal_new[(plan.location.id, plan.channel, month)] += 1
    # Leads: every new patient came from one; unconverted leads come on top.
    for plan in plans:
        if plan.existing or plan.channel is None:
            continue
        add_lead(world, plan.location, plan.channel, plan.first_day, plan.id or None)
    for (loc_id, channel, month), converted in sorted(world.nominal_new.items()):
        loc = next(loc for loc in world.locations if loc.id == loc_id)
        extra = round(converted * (1 / CONVERSION[channel] - 1))
        month_days = _month_days(world, month)
        for _ in range(extra):
            add_lead(world, loc, channel, rng.choice(month_days), None)
    for loc in world.locations:
        month = world.open_from(loc).replace(day=1)
        while month <= world.as_of:
            month_days = _month_days(world, month)
            share = len(month_days) / _days_in_month(month)
            for channel, _, cac in CHANNELS:
                if cac is None:
                    continue
                if channel == "organic_search":
                    amount = int(150_000 * share)
                else:
                    converted = world.nominal_new.get((loc.id, channel, month), 0)
                    amount = int(converted * cac * rng.uniform(0.9, 1.1))
                if amount <= 0:
                    continue
                world.rows.add(
                    "marketingspend",
                    {
                        "location_id": loc.id,
                        "channel": channel,
                        "month": month,
                        "amount_cents": money(amount),
                    },
                    "spend",
                )
            month = (month + timedelta(days=32)).replace(day=1)


def _days_in_month(month: date) -> int:
    return ((month + timedelta(days=32)).replace(day=1) - month).days


def _month_days(world: World, month: date) -> list[date]:
    return [
        month + timedelta(days=i)
        for i in range(_days_in_month(month))
        if world.start <= month + timedelta(days=i) <= world.as_of
    ]


def add_lead(world: World, loc: Location, channel: str, day: date, patient_id: int | None) -> None:
    """A lead at `loc`: 1–10 days before `day` when it converted to `patient_id`, else on it."""
    lead_day = day - timedelta(days=world.rng.randint(1, 10)) if patient_id else day
    lead_day = max(lead_day, world.open_from(loc))
    created = world.local(loc, lead_day, world.rng.randint(7, 22), world.rng.randint(0, 59))
    world.rows.add(
        "lead",
        {
            "location_id": loc.id,
            "channel": channel,
            "created_at": created,
            "local_date": lead_day,
            "patient_id": patient_id,
        },
        "lead",
    )
