"""Sales: the point-of-sale lines of a completed visit (service, VIP add-on filler, retail),
discounts, the odd refund, and memberships with their monthly charges.

Prices scale with the patient's tier and spend; members get 10 % off services. Every net line
is added to the provider's daily production, which payroll reads.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from store.demo.ingredients import MEMBERSHIP_PLANS, PRODUCTS
from store.demo.patients import TIER_SPEND
from store.demo.world import Location, PatientPlan, Provider, Service, World, money


def record_sales(
    world: World,
    plan: PatientPlan,
    provider: Provider,
    service: Service,
    appt_id: int,
    day: date,
    paid_at: datetime,
) -> None:
    rng = world.rng
    member = _is_member(world, plan.id, day)
    lines: list[tuple[str, Service | None, int, float]] = []
    if service.spec.price_cents:
        lines.append(("service", service, service.spec.price_cents, service.spec.cogs_ratio))
    add_on = 0.6 if plan.lapse_after else 0.3
    if plan.tier == "vip" and service.spec.category == "neurotoxin" and rng.random() < add_on:
        filler = world.services["filler"][0]
        lines.append(("service", filler, filler.spec.price_cents, filler.spec.cogs_ratio))
    if rng.random() < (0.22 if plan.tier == "vip" else 0.10):
        name, price = rng.choice(PRODUCTS)
        lines.append((name, None, price, 0.5))
    for kind_or_name, svc, price, cogs_ratio in lines:
        spread = rng.uniform(0.85, 1.25) if svc is not None else 1.0
        gross = money(price * TIER_SPEND[plan.tier] * plan.spend**0.6 * spread)
        discount = 0
        if member and svc is not None:
            discount = money(gross * 0.10)
        elif rng.random() < 0.08:
            discount = money(gross * 0.15)
        net = gross - discount
        is_service = svc is not None
        add_sale(
            world,
            patient_id=plan.id,
            provider_id=provider.id,
            location_id=plan.location.id,
            appointment_id=appt_id,
            service_id=svc.id if svc else None,
            kind="service" if is_service else "product",
            item=svc.spec.name if svc else kind_or_name,
            category=svc.spec.category if svc else "retail",
            gross_cents=gross,
            discount_cents=discount,
            net_cents=net,
            cogs_cents=int(gross * cogs_ratio),
            paid_at=paid_at,
            local_date=day,
        )
        world.production[(provider.id, day)] += net
        if is_service and rng.random() < 0.004:
            refund_day = day + timedelta(days=rng.randint(1, 14))
            if refund_day <= world.as_of and refund_day != world.refund_day:
                refund(world, plan.id, provider.id, plan.location, svc, net, refund_day)


def add_sale(world: World, **fields: Any) -> int:
    """A POS line; unset money columns are 0 and quantity is 1."""
    row: dict[str, Any] = {
        "patient_id": None,
        "provider_id": None,
        "appointment_id": None,
        "service_id": None,
        "quantity": 1.0,
        "gross_cents": 0,
        "discount_cents": 0,
        "refund_cents": 0,
        "cogs_cents": 0,
    }
    row.update(fields)
    return world.rows.add("sale", row, "sale")


def refund(
    world: World,
    patient_id: int,
    provider_id: int,
    loc: Location,
    svc: Service | None,
    amount: int,
    day: date,
) -> None:
    """A refund line of `amount` cents on `day`, taken off the provider's production."""
    add_sale(
        world,
        patient_id=patient_id,
        provider_id=provider_id,
        location_id=loc.id,
        service_id=svc.id if svc else None,
        kind="refund",
        item=f"Refund: {svc.spec.name}" if svc else "Refund",
        category=svc.spec.category if svc else None,
        refund_cents=amount,
        net_cents=-amount,
        paid_at=world.local(loc, day, world.rng.randint(10, 17), 0),
        local_date=day,
    )
    world.production[(provider_id, day)] -= amount


def _is_member(world: World, patient_id: int, day: date) -> bool:
    if patient_id not in world.member_until:
        return False
    until = world.member_until[patient_id]
    return until is None or day <= until


def maybe_join_membership(world: World, plan: PatientPlan, day: date, paid_at: datetime) -> None:
    """After a visit, VIPs (5 %) and regulars (2 %) may join a membership, charged every 30 days."""
    rng = world.rng
    if plan.id in world.member_until or plan.tier == "occasional":
        return
    if rng.random() >= (0.05 if plan.tier == "vip" else 0.02):
        return
    plan_name, price = MEMBERSHIP_PLANS[1 if plan.tier == "vip" else 0]
    months = 1
    while rng.random() > 0.04 and months < 60:
        months += 1
    ended: date | None = day + timedelta(days=30 * months)
    if ended is not None and ended > world.as_of:
        ended = None
    world.member_until[plan.id] = ended
    world.rows.add(
        "membership",
        {
            "patient_id": plan.id,
            "location_id": plan.location.id,
            "plan": plan_name,
            "monthly_price_cents": price,
            "started_on": day,
            "ended_on": ended,
        },
        "mem",
    )
    charge_day = day
    last = ended or world.as_of
    while charge_day <= last:
        add_sale(
            world,
            patient_id=plan.id,
            location_id=plan.location.id,
            kind="membership",
            item=plan_name,
            category="membership",
            gross_cents=price,
            net_cents=price,
            paid_at=world.local(plan.location, charge_day, 6, 0) if charge_day != day else paid_at,
            local_date=charge_day,
        )
        charge_day += timedelta(days=30)
