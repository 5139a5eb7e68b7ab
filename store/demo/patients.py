"""Patients: who they are (tier, main treatment, spend, acquisition channel), when they first
come, and their patient row (name, contact data, and consent as consent.py draws it).

About a third are *existing* patients, seen before the data window at the locations already
open then; the rest are new, arriving with monthly seasonality, weekday demand, 10 % yearly
growth and a ramp-up at newly opened locations.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from store.demo.config import DEMO_SOURCE
from store.demo.consent import draw_consent
from store.demo.ingredients import CHANNELS, MONTH_SEASONALITY, WEEKDAY_DEMAND
from store.demo.names import AREA_CODES, FIRST_NAMES, LAST_NAMES
from store.demo.world import Location, PatientPlan, World, weighted

TIER_SHARES_EXISTING = (("vip", 0.17), ("regular", 0.58), ("occasional", 0.25))
TIER_SHARES_NEW = (("vip", 0.06), ("regular", 0.44), ("occasional", 0.50))
TIER_SPEND = {"vip": 2.3, "regular": 1.0, "occasional": 0.8}
# Probability of not returning after a completed visit, by tier.
TIER_CHURN = {"vip": 0.025, "regular": 0.18, "occasional": 0.50}
PRIMARY_CATEGORY = (
    ("neurotoxin", 0.42),
    ("filler", 0.09),
    ("skin", 0.21),
    ("laser", 0.12),
    ("body", 0.05),
    ("weight_loss", 0.08),
    ("consult", 0.03),
)
# Existing patients' first visit in the window falls within one usual interval of its start.
EXISTING_FIRST_VISIT_SPREAD = {
    "neurotoxin": 105,
    "filler": 300,
    "skin": 45,
    "laser": 200,
    "body": 200,
    "weight_loss": 35,
    "consult": 30,
}


def _new_patient_days(world: World, loc: Location, count: int) -> list[date]:
    """First-visit days for new patients: monthly seasonality, weekday demand, growth."""
    first = world.open_from(loc)
    days = [first + timedelta(days=i) for i in range((world.as_of - first).days + 1)]
    weights = []
    for d in days:
        growth = 1.0 + 0.10 * ((d - world.start).days / 365.0)
        ramp = min(1.0, 0.45 + (d - loc.spec.opened_on).days / 240.0)
        weights.append(MONTH_SEASONALITY[d.month - 1] * WEEKDAY_DEMAND[d.weekday()] * growth * ramp)
    return sorted(world.rng.choices(days, weights=weights, k=count))


def plan_patients(world: World) -> list[PatientPlan]:
    """Every patient's plan, in first-visit order, with the planted lapsed VIPs marked."""
    rng = world.rng
    total = world.config.patients
    plans: list[PatientPlan] = []
    # Existing patients (seen before the window) only at locations open before it.
    pre_window = [loc for loc in world.locations if loc.spec.opened_on < world.start]
    n_existing = int(total * 0.33)
    loc_weights = [loc.spec.weight for loc in pre_window]
    for _ in range(n_existing):
        loc = rng.choices(pre_window, weights=loc_weights)[0]
        plans.append(
            PatientPlan(
                id=0,
                location=loc,
                tier=weighted(rng, TIER_SHARES_EXISTING),
                primary=weighted(rng, PRIMARY_CATEGORY[:-1]),
                spend=math.exp(rng.gauss(0, 0.65)),
                existing=True,
                first_day=world.start,
                channel=weighted(rng, ((c, w) for c, w, _ in CHANNELS)),
                chronic_no_show=rng.random() < 0.05,
            )
        )
    n_new = total - n_existing
    all_weights = [loc.spec.weight for loc in world.locations]
    counts = [int(n_new * w / sum(all_weights)) for w in all_weights]
    counts[0] += n_new - sum(counts)
    for loc, count in zip(world.locations, counts, strict=True):
        for day in _new_patient_days(world, loc, count):
            channel = weighted(rng, ((c, w) for c, w, _ in CHANNELS))
            plans.append(
                PatientPlan(
                    id=0,
                    location=loc,
                    tier=weighted(rng, TIER_SHARES_NEW),
                    primary=weighted(rng, PRIMARY_CATEGORY),
                    spend=math.exp(rng.gauss(0, 0.65)),
                    existing=False,
                    first_day=day,
                    channel=channel,
                    chronic_no_show=rng.random() < 0.06,
                )
            )
    for plan in plans:
        if plan.existing:
            plan.first_day = world.start + timedelta(
                days=rng.randint(0, EXISTING_FIRST_VISIT_SPREAD[plan.primary])
            )
    plans.sort(key=lambda p: (p.first_day, p.location.id, p.existing))
    # Planted: lapsed VIP neurotoxin patients, chosen among long-standing patients.
    candidates = [
        p
        for p in plans
        if p.existing and p.primary == "neurotoxin" and p.first_day < world.start + timedelta(60)
    ]
    for plan in rng.sample(candidates, min(world.config.lapsed_vips, len(candidates))):
        plan.tier = "vip"
        plan.spend = max(plan.spend, 1.2) * 2.0
        plan.chronic_no_show = False
        plan.lapse_after = world.as_of - timedelta(days=rng.randint(150, 235))
    return plans


def write_patient(world: World, plan: PatientPlan) -> int:
    """Add the patient row for `plan` and set `plan.id`."""
    rng = world.rng
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    age = min(72, max(21, int(rng.gauss(41, 10))))
    birth = world.as_of - timedelta(days=age * 365 + rng.randint(0, 364))
    if plan.existing:
        created = world.start - timedelta(days=rng.randint(30, 1400))
    else:
        created = plan.first_day - timedelta(days=rng.randint(1, 14))
    created_at = world.local(plan.location, created, rng.randint(9, 19), rng.choice((0, 30)))
    _spend_former_consent_draws(rng)
    consent = draw_consent(world.consent_rng, created_at, world.end_of_snapshot(plan.location))
    pid = world.rows.next_id["patient"]
    area = AREA_CODES[(pid // 100) % len(AREA_CODES)]
    patient_id = world.rows.add(
        "patient",
        {
            "home_location_id": plan.location.id,
            "first_name": first,
            "last_name": last,
            "phone_e164": f"+1{area}5550{100 + pid % 100:03d}"[:12] if consent.has_phone else None,
            "email": f"{first}.{last}.{pid}@example.com".lower() if consent.has_email else None,
            "birth_date": birth,
            "acquisition_channel": plan.channel,
            "created_at": created_at,
            "consent_sms_transactional": consent.sms_transactional,
            "consent_sms_marketing": consent.sms_marketing,
            "consent_email_transactional": consent.email_transactional,
            "consent_email_marketing": consent.email_marketing,
            "sms_opted_out_at": consent.sms_opted_out_at,
            "email_opted_out_at": consent.email_opted_out_at,
            "source": DEMO_SOURCE,
            "external_id": f"pt-{pid}",
        },
    )
    plan.id = patient_id
    return patient_id


def _spend_former_consent_draws(rng: random.Random) -> None:
    """Consume the draws the patient row took from the main stream before consent got its own
    stream (consent.py), so every other row of a seed stays as it was."""
    opted_out = rng.random() < 0.03
    for _ in range(3):
        rng.random()
    if opted_out:
        rng.randint(10, 300)
