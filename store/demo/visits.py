"""Visits: each patient's appointments from the first visit on, with their final status.

A patient books, comes (or cancels, cancels late, does not show), pays, and comes back after
the service's usual interval — or churns, by tier. The next visit is booked at checkout with the
provider's rebooking skill, otherwise online or by phone a few days to weeks ahead. Appointments
booked after the end of `as_of` are not in the data; those after `as_of` stay `booked`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from store import models as m
from store.demo.config import DEMO_SOURCE
from store.demo.ingredients import HOUR_DEMAND, WEEKDAY_DEMAND
from store.demo.patients import TIER_CHURN
from store.demo.planted import PLANTED_NO_SHOW, PLANTED_REBOOK_AT_CHECKOUT
from store.demo.sales import maybe_join_membership, record_sales
from store.demo.world import Location, PatientPlan, Provider, Service, World

REBOOK_AT_CHECKOUT = 0.74  # P(next visit booked at checkout | the patient comes back)
BASE_NO_SHOW = 0.115
CHRONIC_NO_SHOW = 0.38
CANCEL_RATE = 0.07
LATE_CANCEL_RATE = 0.03


def _qualified(world: World, loc: Location, category: str) -> list[Provider]:
    return [p for p in world.providers if p.location_id == loc.id and category in p.spec.categories]


def _provider_for(world: World, plan: PatientPlan, category: str) -> Provider:
    key = (plan.id, plan.location.id, category)
    if key not in world.primary_provider:
        world.primary_provider[key] = world.rng.choice(_qualified(world, plan.location, category))
    if world.rng.random() < 0.10:
        return world.rng.choice(_qualified(world, plan.location, category))
    return world.primary_provider[key]


def _workday_on_or_after(world: World, provider: Provider, day: date) -> date:
    """The first day ≥ `day` the provider works, weighted by weekday demand."""
    candidates = []
    for offset in range(7):
        d = day + timedelta(days=offset)
        if d.weekday() in provider.spec.workdays:
            candidates.append((d, WEEKDAY_DEMAND[d.weekday()] / (1 + offset * 0.35)))
    return world.rng.choices([c[0] for c in candidates], weights=[c[1] for c in candidates])[0]


def _service_for(world: World, plan: PatientPlan, visit_no: int) -> Service:
    rng = world.rng
    if plan.primary == "consult" or (visit_no == 0 and not plan.existing and rng.random() < 0.25):
        return world.services["consult"][0]
    options = world.services[plan.primary]
    if plan.primary == "neurotoxin":
        return options[0] if (plan.id % 10) < 7 else options[1]
    if plan.primary == "filler":
        return options[0] if rng.random() < 0.6 else options[1]
    return options[(plan.id + visit_no // 3) % len(options)]


def _no_show_probability(
    world: World, plan: PatientPlan, day: date, lead_days: float, visit_no: int
) -> float:
    if (
        plan.location.spec.key == "grw"
        and day >= world.no_show_spike_start
        and day.weekday() == world.no_show_weekday
    ):
        return PLANTED_NO_SHOW
    p = CHRONIC_NO_SHOW if plan.chronic_no_show else BASE_NO_SHOW
    if visit_no == 0:
        p += 0.05
    if lead_days > 21:
        p += 0.03
    if day.weekday() == 0:
        p += 0.02
    if day.weekday() == 5:
        p -= 0.02
    return p


def _next_interval(world: World, service: Service, course_pos: int) -> tuple[int, bool]:
    """Days to the next visit and whether the course continues."""
    spec = service.spec
    rng = world.rng
    if spec.rebook_min_days is None or spec.rebook_max_days is None:
        return rng.randint(5, 16), False
    if spec.course_sessions and course_pos < spec.course_sessions:
        return rng.randint(spec.rebook_min_days, spec.rebook_max_days), True
    if spec.course_sessions:  # maintenance after a completed course
        return rng.randint(120, 300), False
    lo, hi = spec.rebook_min_days, spec.rebook_max_days
    return int(rng.triangular(lo, hi * 1.25, lo + (hi - lo) * 0.35)), False


def simulate(world: World, plan: PatientPlan) -> None:
    """Add the patient's appointments (and, for completed visits, sales and memberships)."""
    rng = world.rng
    loc = plan.location
    snapshot_end = world.end_of_snapshot(loc)
    day = plan.first_day
    if plan.existing:
        booked_at = world.local(loc, day - timedelta(days=rng.randint(7, 90)), 12)
        channel = "rebooked_at_checkout" if rng.random() < 0.6 else "phone"
    else:
        booked_at = world.local(loc, day - timedelta(days=rng.randint(1, 12)), 11)
        channel = rng.choice(("online", "phone", "online"))
    visit_no = 0
    course_pos = 0
    completed_visits = 0
    service = _service_for(world, plan, 0)
    # Patients already established before the window are survivors: they churn less.
    churn = TIER_CHURN[plan.tier] * (0.7 if plan.existing else 1.0)
    while True:
        provider = _provider_for(world, plan, service.spec.category)
        day = _workday_on_or_after(world, provider, max(day, world.open_from(loc)))
        if booked_at >= snapshot_end:  # booked after the snapshot: not in the data
            return
        if plan.lapse_after and day > plan.lapse_after:
            return
        hour = rng.choices(list(HOUR_DEMAND), weights=list(HOUR_DEMAND.values()))[0]
        start_at = world.local(loc, day, hour, rng.choice((0, 15, 30, 45)))
        if booked_at > start_at - timedelta(hours=2):
            booked_at = start_at - timedelta(hours=rng.randint(2, 48))
        duration = service.spec.duration_minutes
        end_at = start_at + timedelta(minutes=duration)
        lead_days = (start_at - booked_at).total_seconds() / 86400
        status = m.AppointmentStatus.booked
        cancelled_at: datetime | None = None
        if day <= world.as_of:
            roll = rng.random()
            p_no_show = _no_show_probability(world, plan, day, lead_days, visit_no)
            if roll < CANCEL_RATE:
                status = m.AppointmentStatus.cancelled
                cancelled_at = max(booked_at, start_at - timedelta(days=rng.randint(1, 6)))
            elif roll < CANCEL_RATE + LATE_CANCEL_RATE:
                status = m.AppointmentStatus.late_cancel
                cancelled_at = max(booked_at, start_at - timedelta(hours=rng.randint(1, 20)))
            elif roll < CANCEL_RATE + LATE_CANCEL_RATE + p_no_show * (1 - CANCEL_RATE):
                status = m.AppointmentStatus.no_show
            else:
                status = m.AppointmentStatus.completed
            if cancelled_at is not None and cancelled_at >= snapshot_end:
                status, cancelled_at = m.AppointmentStatus.booked, None
        appt_id = world.rows.add(
            "appointment",
            {
                "patient_id": plan.id,
                "provider_id": provider.id,
                "location_id": loc.id,
                "service_id": service.id,
                "start_at": start_at,
                "end_at": end_at,
                "local_date": day,
                "local_hour": hour,
                "duration_minutes": duration,
                "status": str(status),
                "booked_at": booked_at,
                "booking_channel": channel,
                "cancelled_at": cancelled_at,
                "reminder_sent": rng.random() < 0.85,
                "source": DEMO_SOURCE,
                "external_id": f"appt-{world.rows.next_id['appointment']}",
            },
        )
        visit_no += 1
        if status == m.AppointmentStatus.booked:
            return
        if status != m.AppointmentStatus.completed:
            # Missed visits: most patients reschedule, some drift away.
            keep = 0.55 if status == m.AppointmentStatus.no_show else 0.8
            if not plan.lapse_after and rng.random() > keep:
                return
            base = cancelled_at or (end_at + timedelta(hours=rng.randint(2, 72)))
            booked_at = base
            channel = "phone"
            day = day + timedelta(days=rng.randint(3, 18))
            continue
        completed_visits += 1
        world.completed_minutes[provider.id] += duration
        record_sales(world, plan, provider, service, appt_id, day, end_at)
        maybe_join_membership(world, plan, day, end_at)
        if service.spec.category == "consult":
            if plan.primary == "consult":
                return
            service = _service_for(world, plan, visit_no)
            day = day + timedelta(days=rng.randint(3, 16))
            booked_at = end_at + timedelta(minutes=5)
            channel = "rebooked_at_checkout"
            continue
        course_pos += 1
        interval, in_course = _next_interval(world, service, course_pos)
        if not in_course:
            course_pos = 0
            first_visit_bonus = 0.12 if completed_visits == 1 and not plan.existing else 0.0
            if service.spec.category == "weight_loss":
                first_visit_bonus += 0.08
            if not plan.lapse_after and rng.random() < churn + first_visit_bonus:
                return
        rebook_p = provider.rebook_skill
        if provider.spec.planted == "rebooking_drop" and day >= world.rebook_drop_start:
            rebook_p = PLANTED_REBOOK_AT_CHECKOUT
        if not in_course and interval > 150:
            rebook_p *= 0.5
        next_day = day + timedelta(days=interval)
        if rng.random() < rebook_p:
            booked_at = end_at + timedelta(minutes=5)
            channel = "rebooked_at_checkout"
        else:
            ahead = rng.randint(2, 30)
            book_day = max(day + timedelta(days=2), next_day - timedelta(days=ahead))
            booked_at = world.local(loc, book_day, rng.randint(8, 20), rng.choice((0, 30)))
            channel = rng.choice(("online", "phone"))
        day = next_day
