"""A tiny practice built by hand, small enough that every KPI can be computed in a comment.

Organization 1 has two locations:
- location 1 "Back Bay" (America/New_York, opened 2020) — providers 1 Ana (with payroll) and
  2 Ben (NO payroll rows);
- location 2 "Austin" (America/Chicago, opened 2026-06-01) — provider 3 Cy (with payroll).
Services: 1 Botox (neurotoxin, rebookable, $500, 30 min), 2 Consultation (not rebookable,
$0, 30 min), 3 Filler (rebookable, $800, 60 min).

October 2026 at Back Bay (local times):
 V1  P1 Ana Botox   Oct 5 10:00 completed — next appt booked Oct 5 10:35 (at checkout)
 V2  P2 Ana Botox   Oct 6 10:00 completed — next appt booked Oct 7 10:00 (end + 23.5 h: in)
 V3  P3 Ana Botox   Oct 6 11:00 completed — next appt booked Oct 7 11:31 (end + 1 day + 1 min: out)
 V4  P4 Ben Filler  Oct 8 10:00 completed — nothing booked after
 V5  P5 Ana Consult Oct 9 10:00 completed (not rebookable) — next booked at checkout
 V6  P1 Ana Botox   Oct 20 10:00 no_show
 V7  P6 Ana Botox   Oct 31 23:30 completed (= Nov 1 03:30 UTC) — next booked Nov 1 00:05 local
 V8  P2 Ben Filler  Oct 21 10:00 no_show
 V9  P3 Ana Botox   Oct 22 10:00 late_cancel
 V10 P4 Ana Botox   Oct 23 10:00 cancelled
History: P1 completed 2025-03-01 (L1), P7 2025-06-01 (L1), P8 2025-09-01 (L1) and again
2026-02-01 at Austin, P9 2025-05-01 (L1) and a no-show 2026-04-01 (L1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert

from store import tables as t

NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
ZONES = {1: NY, 2: CHI}
SERVICES = {
    1: ("Botox", "neurotoxin", True, 50_000, 15_000, 30),
    2: ("Consultation", "consult", False, 0, 0, 30),
    3: ("Filler", "filler", True, 80_000, 24_000, 60),
}


def local(location_id: int, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONES[location_id]).astimezone(UTC)


class Builder:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.ids: dict[str, int] = {}

    def add(self, table: str, **row: Any) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        row.setdefault("id", self.ids[table])
        self.rows.setdefault(table, []).append(row)
        return int(row["id"])

    def appt(
        self,
        patient: int,
        provider: int,
        location: int,
        service: int,
        day: date,
        hour: int,
        minute: int = 0,
        *,
        status: str = "completed",
        booked: datetime | None = None,
    ) -> int:
        start = local(location, day, hour, minute)
        duration = SERVICES[service][5]
        return self.add(
            "appointment",
            patient_id=patient,
            provider_id=provider,
            location_id=location,
            service_id=service,
            start_at=start,
            end_at=start + timedelta(minutes=duration),
            local_date=day,
            local_hour=hour,
            duration_minutes=duration,
            status=status,
            booked_at=booked or start - timedelta(days=7),
        )

    def sale(
        self,
        *,
        location: int,
        day: date,
        net: int,
        patient: int | None = None,
        provider: int | None = None,
        appointment: int | None = None,
        service: int | None = None,
        kind: str = "service",
        category: str | None = None,
        gross: int | None = None,
        discount: int = 0,
        refund: int = 0,
        cogs: int = 0,
        hour: int = 12,
        minute: int = 0,
    ) -> int:
        return self.add(
            "sale",
            patient_id=patient,
            provider_id=provider,
            location_id=location,
            appointment_id=appointment,
            service_id=service,
            kind=kind,
            item=kind if service is None else SERVICES[service][0],
            category=category if category else (SERVICES[service][1] if service else kind),
            gross_cents=net + discount if gross is None else gross,
            discount_cents=discount,
            refund_cents=refund,
            net_cents=net,
            cogs_cents=cogs,
            paid_at=local(location, day, hour, minute),
            local_date=day,
        )


def build(engine: Engine) -> None:
    b = Builder()
    b.add("organization", name="Handmade Aesthetics", slug="handmade")
    b.add(
        "location",
        organization_id=1,
        name="Back Bay",
        timezone="America/New_York",
        opened_on=date(2020, 1, 6),
    )
    b.add(
        "location",
        organization_id=1,
        name="Austin",
        timezone="America/Chicago",
        opened_on=date(2026, 6, 1),
    )
    for first, loc in (("Ana", 1), ("Ben", 1), ("Cy", 2)):
        b.add(
            "provider", location_id=loc, first_name=first, last_name="Test", role="nurse_injector"
        )
    for sid, (name, category, rebookable, price, cogs, minutes) in SERVICES.items():
        b.add(
            "service",
            id=sid,
            organization_id=1,
            name=name,
            category=category,
            rebookable=rebookable,
            price_cents=price,
            cogs_cents=cogs,
            duration_minutes=minutes,
        )
    channels = {2: "google_ads", 3: "google_ads", 4: "meta_ads", 5: "referral"}
    for pid in range(1, 10):
        b.add(
            "patient",
            home_location_id=1,
            first_name=f"Pat{pid}",
            last_name="Test",
            acquisition_channel=channels.get(pid),
        )

    oct_ = lambda d: date(2026, 10, d)  # noqa: E731
    v1 = b.appt(1, 1, 1, 1, oct_(5), 10)
    b.appt(1, 1, 1, 1, date(2027, 1, 5), 10, status="booked", booked=local(1, oct_(5), 10, 35))
    v2 = b.appt(2, 1, 1, 1, oct_(6), 10)
    b.appt(2, 1, 1, 1, date(2027, 1, 10), 10, status="booked", booked=local(1, oct_(7), 10, 0))
    v3 = b.appt(3, 1, 1, 1, oct_(6), 11)
    b.appt(3, 1, 1, 1, date(2027, 1, 11), 10, status="booked", booked=local(1, oct_(7), 11, 31))
    v4 = b.appt(4, 2, 1, 3, oct_(8), 10)
    b.appt(5, 1, 1, 2, oct_(9), 10)
    b.appt(5, 1, 1, 1, oct_(19), 10, status="cancelled", booked=local(1, oct_(9), 10, 35))
    b.appt(1, 1, 1, 1, oct_(20), 10, status="no_show")
    v7 = b.appt(6, 1, 1, 1, oct_(31), 23, 30)
    b.appt(
        6, 1, 1, 1, date(2027, 2, 1), 10, status="booked", booked=local(1, date(2026, 11, 1), 0, 5)
    )
    b.appt(2, 2, 1, 3, oct_(21), 10, status="no_show")
    b.appt(3, 1, 1, 1, oct_(22), 10, status="late_cancel")
    b.appt(4, 1, 1, 1, oct_(23), 10, status="cancelled")
    # history
    b.appt(1, 1, 1, 1, date(2025, 3, 1), 10)
    b.appt(7, 1, 1, 1, date(2025, 6, 1), 10)
    b.appt(8, 1, 1, 1, date(2025, 9, 1), 10)
    b.appt(8, 3, 2, 1, date(2026, 2, 1), 10)
    b.appt(9, 1, 1, 1, date(2025, 5, 1), 10)
    b.appt(9, 1, 1, 1, date(2026, 4, 1), 10, status="no_show")

    b.sale(
        location=1,
        day=oct_(5),
        net=50_000,
        patient=1,
        provider=1,
        appointment=v1,
        service=1,
        cogs=15_000,
    )
    b.sale(
        location=1,
        day=oct_(6),
        net=45_000,
        discount=5_000,
        patient=2,
        provider=1,
        appointment=v2,
        service=1,
        cogs=15_000,
    )
    b.sale(
        location=1,
        day=oct_(6),
        net=50_000,
        patient=3,
        provider=1,
        appointment=v3,
        service=1,
        cogs=15_000,
    )
    b.sale(
        location=1,
        day=oct_(8),
        net=80_000,
        patient=4,
        provider=2,
        appointment=v4,
        service=3,
        cogs=24_000,
    )
    # V7 paid 23:35 local on Oct 31 = Nov 1 03:35 UTC: an October sale.
    b.sale(
        location=1,
        day=oct_(31),
        net=50_000,
        patient=6,
        provider=1,
        appointment=v7,
        service=1,
        cogs=15_000,
        hour=23,
        minute=35,
    )
    b.sale(
        location=1,
        day=oct_(15),
        net=-45_000,
        gross=0,
        refund=45_000,
        patient=2,
        provider=1,
        service=1,
        kind="refund",
    )
    b.sale(location=1, day=oct_(10), net=9_900, patient=1, kind="membership")
    b.sale(
        location=1,
        day=date(2026, 11, 2),
        net=4_000,
        patient=1,
        provider=1,
        kind="product",
        category="retail",
        cogs=2_000,
    )
    b.sale(
        location=2,
        day=oct_(12),
        net=30_000,
        patient=8,
        provider=3,
        kind="product",
        category="retail",
        cogs=10_000,
    )
    b.sale(
        location=1,
        day=date(2025, 10, 10),
        net=200_000,
        patient=7,
        provider=1,
        kind="product",
        category="retail",
    )

    for provider, loc, day, minutes in (
        (1, 1, oct_(5), 480),
        (1, 1, oct_(6), 480),
        (2, 1, oct_(8), 240),
    ):
        b.add(
            "providershift",
            provider_id=provider,
            location_id=loc,
            day=day,
            available_minutes=minutes,
        )

    def pay(
        provider: int, start: date, end: date, base: int, commission: int, bonus: int, benefits: int
    ) -> None:
        b.add(
            "compensation",
            provider_id=provider,
            period_start=start,
            period_end=end,
            base_cents=base,
            commission_cents=commission,
            bonus_cents=bonus,
            benefits_cents=benefits,
        )

    pay(1, date(2026, 9, 16), date(2026, 9, 30), 100_000, 30_000, 0, 20_000)
    pay(1, oct_(1), oct_(15), 100_000, 40_000, 10_000, 10_000)
    pay(1, oct_(16), oct_(31), 100_000, 50_000, 0, 10_000)
    pay(3, date(2026, 9, 26), oct_(5), 80_000, 10_000, 0, 10_000)
    pay(3, oct_(6), oct_(31), 200_000, 40_000, 10_000, 10_000)
    pay(3, date(2026, 11, 1), date(2026, 11, 15), 100_000, 0, 0, 0)

    for patient, loc, plan, price, start, end in (
        (1, 1, "Glow", 9_900, date(2026, 9, 10), None),
        (7, 1, "VIP", 19_900, date(2026, 1, 5), oct_(15)),
        (3, 1, "Glow", 9_900, oct_(12), None),
        (9, 1, "VIP", 19_900, date(2025, 1, 1), date(2026, 9, 30)),
    ):
        b.add(
            "membership",
            patient_id=patient,
            location_id=loc,
            plan=plan,
            monthly_price_cents=price,
            started_on=start,
            ended_on=end,
        )

    for channel, cents in (("google_ads", 60_000), ("meta_ads", 30_000)):
        b.add("marketingspend", location_id=1, channel=channel, month=oct_(1), amount_cents=cents)

    leads: tuple[tuple[str, date, int | None], ...] = (
        ("google_ads", oct_(1), 2),
        ("google_ads", oct_(2), 3),
        ("google_ads", oct_(3), None),
        ("meta_ads", oct_(4), 4),
        ("referral", date(2026, 9, 20), 5),
    )
    for channel, day, lead_patient in leads:
        b.add(
            "lead",
            location_id=1,
            channel=channel,
            created_at=local(1, day, 9),
            local_date=day,
            patient_id=lead_patient,
        )

    order = (
        "organization",
        "location",
        "provider",
        "service",
        "patient",
        "appointment",
        "sale",
        "providershift",
        "compensation",
        "membership",
        "marketingspend",
        "lead",
    )
    tables = {
        "organization": t.organization,
        "location": t.location,
        "provider": t.provider,
        "service": t.service,
        "patient": t.patient,
        "appointment": t.appointment,
        "sale": t.sale,
        "providershift": t.provider_shift,
        "compensation": t.compensation,
        "membership": t.membership,
        "marketingspend": t.marketing_spend,
        "lead": t.lead,
    }
    with engine.begin() as conn:
        for name in order:
            conn.execute(insert(tables[name]), b.rows[name])
