"""Deterministic generator of the demo practice (`clarity demo build --seed N`).

One organization, three locations in two time zones, twelve providers, ~15,000 patients and
24 months of appointments, sales, shifts, payroll, memberships, marketing spend and leads,
ending on `as_of` with 30 days of already-booked appointments after it.

The data is a snapshot taken at the end of `as_of`: nothing booked after that moment exists,
appointments up to `as_of` carry their final status, later ones are `booked`.

Behaviour is shaped to look like a real medspa (seasonality, day of week, a VIP top decile,
no-shows, rebooking at checkout) and contains *planted patterns* that the tools must find. They
are described in the manifest returned by `build_demo` (also written to
`VAR_DIR/demo_manifest.json` and recorded in the `demo.build` audit event), each with kind,
scope ids, period and expected direction.

Same seed and config → the same rows, byte for byte (see `demo_digest`).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlmodel import SQLModel

from store import models as m
from store.demo_catalog import (
    AREA_CODES,
    CHANNELS,
    FIRST_NAMES,
    HOUR_DEMAND,
    LAST_NAMES,
    LOCATIONS,
    MEMBERSHIP_PLANS,
    MONTH_SEASONALITY,
    PRODUCTS,
    PROVIDERS,
    SERVICES,
    WEEKDAY_DEMAND,
    LocationSpec,
    ProviderSpec,
    ServiceSpec,
)

ProgressCallback = Callable[[str, int, int], None]

DEMO_SOURCE = "demo"
DEFAULT_AS_OF = date(2026, 11, 24)
FUTURE_DAYS = 30

# Tables in insertion order (parents first).
DEMO_TABLES: tuple[type[SQLModel], ...] = (
    m.Organization,
    m.Location,
    m.Provider,
    m.Service,
    m.Patient,
    m.Appointment,
    m.Sale,
    m.ProviderShift,
    m.Compensation,
    m.Membership,
    m.MarketingSpend,
    m.Lead,
)


class DemoExistsError(RuntimeError):
    """The target database already holds an organization; pass replace=True to rebuild."""


@dataclass(frozen=True)
class DemoConfig:
    seed: int = 7
    patients: int = 15_000
    as_of: date = DEFAULT_AS_OF
    days: int = 730
    lapsed_vips: int = 40
    # Benchmarks only: replicate the three locations with their providers (copies get no planted
    # patterns). Pass patients × copies to keep patients per location. 1 = the default demo.
    location_copies: int = 1


# --------------------------------------------------------------------------- behaviour knobs

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
REBOOK_AT_CHECKOUT = 0.74  # P(next visit booked at checkout | the patient comes back)
PLANTED_REBOOK_AT_CHECKOUT = 0.40
BASE_NO_SHOW = 0.115
CHRONIC_NO_SHOW = 0.38
PLANTED_NO_SHOW = 0.45
CANCEL_RATE = 0.07
LATE_CANCEL_RATE = 0.03


@dataclass
class _Provider:
    id: int
    spec: ProviderSpec
    location_id: int
    rebook_skill: float


@dataclass
class _Location:
    id: int
    spec: LocationSpec
    zone: ZoneInfo


@dataclass
class _Service:
    id: int
    spec: ServiceSpec


@dataclass
class _PatientPlan:
    id: int
    location: _Location
    tier: str
    primary: str
    spend: float
    existing: bool
    first_day: date
    channel: str | None
    chronic_no_show: bool
    lapse_after: date | None = None


@dataclass
class _Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def add(self, table: str, row: dict[str, Any]) -> int:
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        row["id"] = row_id
        self.tables[table].append(row)
        return row_id


def _weighted(rng: random.Random, pairs: Iterable[tuple[str, float]]) -> str:
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _money(cents: float) -> int:
    """Round to whole dollars, as medspa price lists do."""
    return round(cents / 100.0) * 100


class _DemoBuilder:
    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.as_of = config.as_of
        self.start = config.as_of - timedelta(days=config.days - 1)
        self.horizon = config.as_of + timedelta(days=FUTURE_DAYS)
        self.rows = _Rows()
        self.locations: list[_Location] = []
        self.providers: list[_Provider] = []
        self.services: dict[str, list[_Service]] = defaultdict(list)
        self.service_by_id: dict[int, _Service] = {}
        self.primary_provider: dict[tuple[int, int, str], _Provider] = {}
        self.completed_minutes: dict[int, int] = defaultdict(int)
        self.production: dict[tuple[int, date], int] = defaultdict(int)
        self.nominal_new: dict[tuple[int, str, date], int] = defaultdict(int)
        self.member_until: dict[int, date | None] = {}
        # planted patterns
        self.rebook_drop_start = self.as_of - timedelta(days=41)
        self.no_show_spike_start = self.as_of - timedelta(days=27)
        self.no_show_weekday = 1  # Tuesday
        self.cac_start = _add_months(self.as_of.replace(day=1), -3)
        self.refund_day = self.as_of - timedelta(days=8)
        self.planted_lapsed: list[int] = []

    # ------------------------------------------------------------------ catalog

    def build_catalog(self) -> None:
        rows = self.rows
        org_id = rows.add("organization", {"name": "Lumière Aesthetics Group", "slug": "lumiere"})
        for loc_spec in self._location_specs():
            loc_id = rows.add(
                "location",
                {
                    "organization_id": org_id,
                    "name": loc_spec.name,
                    "timezone": loc_spec.timezone,
                    "currency": "USD",
                    "opened_on": loc_spec.opened_on,
                    "source": DEMO_SOURCE,
                    "external_id": f"loc-{loc_spec.key}",
                },
            )
            self.locations.append(_Location(loc_id, loc_spec, ZoneInfo(loc_spec.timezone)))
        loc_by_key = {loc.spec.key: loc for loc in self.locations}
        for copy, prov_spec in self._provider_specs():
            loc = loc_by_key[prov_spec.location_key]
            prov_id = rows.add(
                "provider",
                {
                    "location_id": loc.id,
                    "first_name": prov_spec.first_name,
                    "last_name": prov_spec.last_name,
                    "role": prov_spec.role,
                    "active": True,
                    "hired_on": max(loc.spec.opened_on, date(2020, 1, 6)),
                    "source": DEMO_SOURCE,
                    "external_id": f"prov-{prov_spec.first_name.lower()}"
                    + (f"-{copy + 1}" if copy else ""),
                },
            )
            skill = min(0.86, max(0.62, self.rng.gauss(REBOOK_AT_CHECKOUT, 0.04)))
            if prov_spec.planted == "rebooking_drop":
                skill = 0.80
            self.providers.append(_Provider(prov_id, prov_spec, loc.id, skill))
        for svc_spec in SERVICES:
            svc_id = rows.add(
                "service",
                {
                    "organization_id": org_id,
                    "name": svc_spec.name,
                    "category": svc_spec.category,
                    "rebookable": svc_spec.rebookable,
                    "rebook_min_days": svc_spec.rebook_min_days,
                    "rebook_max_days": svc_spec.rebook_max_days,
                    "course_sessions": svc_spec.course_sessions,
                    "duration_minutes": svc_spec.duration_minutes,
                    "price_cents": svc_spec.price_cents,
                    "cogs_cents": int(svc_spec.price_cents * svc_spec.cogs_ratio),
                    "source": DEMO_SOURCE,
                    "external_id": f"svc-{len(self.service_by_id) + 1}",
                },
            )
            service = _Service(svc_id, svc_spec)
            self.services[svc_spec.category].append(service)
            self.service_by_id[svc_id] = service

    def _location_specs(self) -> list[LocationSpec]:
        specs = list(LOCATIONS)
        for copy in range(1, self.config.location_copies):
            specs.extend(
                replace(spec, key=f"{spec.key}{copy + 1}", name=f"{spec.name} {copy + 1}")
                for spec in LOCATIONS
            )
        return specs

    def _provider_specs(self) -> list[tuple[int, ProviderSpec]]:
        specs = [(0, spec) for spec in PROVIDERS]
        for copy in range(1, self.config.location_copies):
            specs.extend(
                (
                    copy,
                    replace(
                        spec,
                        location_key=f"{spec.location_key}{copy + 1}",
                        planted=None,
                        comp_ratio=None,
                    ),
                )
                for spec in PROVIDERS
            )
        return specs

    # ------------------------------------------------------------------ helpers

    def _open_from(self, loc: _Location) -> date:
        return max(self.start, loc.spec.opened_on)

    def _qualified(self, loc: _Location, category: str) -> list[_Provider]:
        return [
            p for p in self.providers if p.location_id == loc.id and category in p.spec.categories
        ]

    def _provider_for(self, plan: _PatientPlan, category: str) -> _Provider:
        key = (plan.id, plan.location.id, category)
        if key not in self.primary_provider:
            self.primary_provider[key] = self.rng.choice(self._qualified(plan.location, category))
        if self.rng.random() < 0.10:
            return self.rng.choice(self._qualified(plan.location, category))
        return self.primary_provider[key]

    def _workday_on_or_after(self, provider: _Provider, day: date) -> date:
        """The first day ≥ `day` the provider works, weighted by weekday demand."""
        candidates = []
        for offset in range(7):
            d = day + timedelta(days=offset)
            if d.weekday() in provider.spec.workdays:
                candidates.append((d, WEEKDAY_DEMAND[d.weekday()] / (1 + offset * 0.35)))
        return self.rng.choices([c[0] for c in candidates], weights=[c[1] for c in candidates])[0]

    def _local(self, loc: _Location, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), loc.zone).astimezone(UTC)

    def _end_of_snapshot(self, loc: _Location) -> datetime:
        return datetime.combine(self.as_of + timedelta(days=1), time(0, 0), loc.zone).astimezone(
            UTC
        )

    # ------------------------------------------------------------------ patients

    def _new_patient_days(self, loc: _Location, count: int) -> list[date]:
        """First-visit days for new patients: monthly seasonality, weekday demand, growth."""
        first = self._open_from(loc)
        days = [first + timedelta(days=i) for i in range((self.as_of - first).days + 1)]
        weights = []
        for d in days:
            growth = 1.0 + 0.10 * ((d - self.start).days / 365.0)
            ramp = min(1.0, 0.45 + (d - loc.spec.opened_on).days / 240.0)
            weights.append(
                MONTH_SEASONALITY[d.month - 1] * WEEKDAY_DEMAND[d.weekday()] * growth * ramp
            )
        return sorted(self.rng.choices(days, weights=weights, k=count))

    def plan_patients(self) -> list[_PatientPlan]:
        rng = self.rng
        total = self.config.patients
        plans: list[_PatientPlan] = []
        # Existing patients (seen before the window) only at locations open before it.
        pre_window = [loc for loc in self.locations if loc.spec.opened_on < self.start]
        n_existing = int(total * 0.33)
        loc_weights = [loc.spec.weight for loc in pre_window]
        for _ in range(n_existing):
            loc = rng.choices(pre_window, weights=loc_weights)[0]
            plans.append(
                _PatientPlan(
                    id=0,
                    location=loc,
                    tier=_weighted(rng, TIER_SHARES_EXISTING),
                    primary=_weighted(rng, PRIMARY_CATEGORY[:-1]),
                    spend=math.exp(rng.gauss(0, 0.65)),
                    existing=True,
                    first_day=self.start,
                    channel=_weighted(rng, ((c, w) for c, w, _ in CHANNELS)),
                    chronic_no_show=rng.random() < 0.05,
                )
            )
        n_new = total - n_existing
        all_weights = [loc.spec.weight for loc in self.locations]
        counts = [int(n_new * w / sum(all_weights)) for w in all_weights]
        counts[0] += n_new - sum(counts)
        for loc, count in zip(self.locations, counts, strict=True):
            for day in self._new_patient_days(loc, count):
                channel = _weighted(rng, ((c, w) for c, w, _ in CHANNELS))
                plans.append(
                    _PatientPlan(
                        id=0,
                        location=loc,
                        tier=_weighted(rng, TIER_SHARES_NEW),
                        primary=_weighted(rng, PRIMARY_CATEGORY),
                        spend=math.exp(rng.gauss(0, 0.65)),
                        existing=False,
                        first_day=day,
                        channel=channel,
                        chronic_no_show=rng.random() < 0.06,
                    )
                )
        for plan in plans:
            if plan.existing:
                plan.first_day = self.start + timedelta(
                    days=rng.randint(0, EXISTING_FIRST_VISIT_SPREAD[plan.primary])
                )
        plans.sort(key=lambda p: (p.first_day, p.location.id, p.existing))
        # Planted: lapsed VIP neurotoxin patients, chosen among long-standing patients.
        candidates = [
            p
            for p in plans
            if p.existing and p.primary == "neurotoxin" and p.first_day < self.start + timedelta(60)
        ]
        for plan in rng.sample(candidates, min(self.config.lapsed_vips, len(candidates))):
            plan.tier = "vip"
            plan.spend = max(plan.spend, 1.2) * 2.0
            plan.chronic_no_show = False
            plan.lapse_after = self.as_of - timedelta(days=rng.randint(150, 235))
        return plans

    def write_patient(self, plan: _PatientPlan) -> int:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        age = min(72, max(21, int(rng.gauss(41, 10))))
        birth = self.as_of - timedelta(days=age * 365 + rng.randint(0, 364))
        if plan.existing:
            created = self.start - timedelta(days=rng.randint(30, 1400))
        else:
            created = plan.first_day - timedelta(days=rng.randint(1, 14))
        created_at = self._local(plan.location, created, rng.randint(9, 19), rng.choice((0, 30)))
        opted_out = rng.random() < 0.03
        pid = self.rows.next_id["patient"]
        area = AREA_CODES[(pid // 100) % len(AREA_CODES)]
        patient_id = self.rows.add(
            "patient",
            {
                "home_location_id": plan.location.id,
                "first_name": first,
                "last_name": last,
                "phone_e164": f"+1{area}5550{100 + pid % 100:03d}"[:12],
                "email": f"{first}.{last}.{pid}@example.com".lower(),
                "birth_date": birth,
                "acquisition_channel": plan.channel,
                "created_at": created_at,
                "consent_sms_transactional": rng.random() < 0.96,
                "consent_sms_marketing": rng.random() < 0.72,
                "consent_email_transactional": True,
                "consent_email_marketing": rng.random() < 0.64,
                "sms_opted_out_at": created_at + timedelta(days=rng.randint(10, 300))
                if opted_out
                else None,
                "email_opted_out_at": None,
                "source": DEMO_SOURCE,
                "external_id": f"pt-{pid}",
            },
        )
        plan.id = patient_id
        return patient_id

    # ------------------------------------------------------------------ visits

    def _service_for(self, plan: _PatientPlan, visit_no: int) -> _Service:
        rng = self.rng
        if plan.primary == "consult" or (
            visit_no == 0 and not plan.existing and rng.random() < 0.25
        ):
            return self.services["consult"][0]
        options = self.services[plan.primary]
        if plan.primary == "neurotoxin":
            return options[0] if (plan.id % 10) < 7 else options[1]
        if plan.primary == "filler":
            return options[0] if rng.random() < 0.6 else options[1]
        return options[(plan.id + visit_no // 3) % len(options)]

    def _no_show_probability(
        self, plan: _PatientPlan, day: date, lead_days: float, visit_no: int
    ) -> float:
        if (
            plan.location.spec.key == "grw"
            and day >= self.no_show_spike_start
            and day.weekday() == self.no_show_weekday
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

    def _next_interval(self, service: _Service, course_pos: int) -> tuple[int, bool]:
        """Days to the next visit and whether the course continues."""
        spec = service.spec
        rng = self.rng
        if spec.rebook_min_days is None or spec.rebook_max_days is None:
            return rng.randint(5, 16), False
        if spec.course_sessions and course_pos < spec.course_sessions:
            return rng.randint(spec.rebook_min_days, spec.rebook_max_days), True
        if spec.course_sessions:  # maintenance after a completed course
            return rng.randint(120, 300), False
        lo, hi = spec.rebook_min_days, spec.rebook_max_days
        return int(rng.triangular(lo, hi * 1.25, lo + (hi - lo) * 0.35)), False

    def simulate(self, plan: _PatientPlan) -> None:
        rng = self.rng
        loc = plan.location
        snapshot_end = self._end_of_snapshot(loc)
        day = plan.first_day
        if plan.existing:
            booked_at = self._local(loc, day - timedelta(days=rng.randint(7, 90)), 12)
            channel = "rebooked_at_checkout" if rng.random() < 0.6 else "phone"
        else:
            booked_at = self._local(loc, day - timedelta(days=rng.randint(1, 12)), 11)
            channel = rng.choice(("online", "phone", "online"))
        visit_no = 0
        course_pos = 0
        completed_visits = 0
        service = self._service_for(plan, 0)
        # Patients already established before the window are survivors: they churn less.
        churn = TIER_CHURN[plan.tier] * (0.7 if plan.existing else 1.0)
        while True:
            provider = self._provider_for(plan, service.spec.category)
            day = self._workday_on_or_after(provider, max(day, self._open_from(loc)))
            if booked_at >= snapshot_end:  # booked after the snapshot: not in the data
                return
            if plan.lapse_after and day > plan.lapse_after:
                return
            hour = rng.choices(list(HOUR_DEMAND), weights=list(HOUR_DEMAND.values()))[0]
            start_at = self._local(loc, day, hour, rng.choice((0, 15, 30, 45)))
            if booked_at > start_at - timedelta(hours=2):
                booked_at = start_at - timedelta(hours=rng.randint(2, 48))
            duration = service.spec.duration_minutes
            end_at = start_at + timedelta(minutes=duration)
            lead_days = (start_at - booked_at).total_seconds() / 86400
            status = m.AppointmentStatus.booked
            cancelled_at: datetime | None = None
            if day <= self.as_of:
                roll = rng.random()
                p_no_show = self._no_show_probability(plan, day, lead_days, visit_no)
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
            appt_id = self.rows.add(
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
                    "external_id": f"appt-{self.rows.next_id['appointment']}",
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
            self.completed_minutes[provider.id] += duration
            self._record_sales(plan, provider, service, appt_id, day, end_at)
            self._maybe_join_membership(plan, day, end_at)
            if service.spec.category == "consult":
                if plan.primary == "consult":
                    return
                service = self._service_for(plan, visit_no)
                day = day + timedelta(days=rng.randint(3, 16))
                booked_at = end_at + timedelta(minutes=5)
                channel = "rebooked_at_checkout"
                continue
            course_pos += 1
            interval, in_course = self._next_interval(service, course_pos)
            if not in_course:
                course_pos = 0
                first_visit_bonus = 0.12 if completed_visits == 1 and not plan.existing else 0.0
                if service.spec.category == "weight_loss":
                    first_visit_bonus += 0.08
                if not plan.lapse_after and rng.random() < churn + first_visit_bonus:
                    return
            rebook_p = provider.rebook_skill
            if provider.spec.planted == "rebooking_drop" and day >= self.rebook_drop_start:
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
                booked_at = self._local(loc, book_day, rng.randint(8, 20), rng.choice((0, 30)))
                channel = rng.choice(("online", "phone"))
            day = next_day

    def _record_sales(
        self,
        plan: _PatientPlan,
        provider: _Provider,
        service: _Service,
        appt_id: int,
        day: date,
        paid_at: datetime,
    ) -> None:
        rng = self.rng
        member = self._is_member(plan.id, day)
        lines: list[tuple[str, _Service | None, int, float]] = []
        if service.spec.price_cents:
            lines.append(("service", service, service.spec.price_cents, service.spec.cogs_ratio))
        add_on = 0.6 if plan.lapse_after else 0.3
        if plan.tier == "vip" and service.spec.category == "neurotoxin" and rng.random() < add_on:
            filler = self.services["filler"][0]
            lines.append(("service", filler, filler.spec.price_cents, filler.spec.cogs_ratio))
        if rng.random() < (0.22 if plan.tier == "vip" else 0.10):
            name, price = rng.choice(PRODUCTS)
            lines.append((name, None, price, 0.5))
        for kind_or_name, svc, price, cogs_ratio in lines:
            spread = rng.uniform(0.85, 1.25) if svc is not None else 1.0
            gross = _money(price * TIER_SPEND[plan.tier] * plan.spend**0.6 * spread)
            discount = 0
            if member and svc is not None:
                discount = _money(gross * 0.10)
            elif rng.random() < 0.08:
                discount = _money(gross * 0.15)
            net = gross - discount
            is_service = svc is not None
            self.rows.add(
                "sale",
                {
                    "patient_id": plan.id,
                    "provider_id": provider.id,
                    "location_id": plan.location.id,
                    "appointment_id": appt_id,
                    "service_id": svc.id if svc else None,
                    "kind": "service" if is_service else "product",
                    "item": svc.spec.name if svc else kind_or_name,
                    "category": svc.spec.category if svc else "retail",
                    "quantity": 1.0,
                    "gross_cents": gross,
                    "discount_cents": discount,
                    "refund_cents": 0,
                    "net_cents": net,
                    "cogs_cents": int(gross * cogs_ratio),
                    "paid_at": paid_at,
                    "local_date": day,
                    "source": DEMO_SOURCE,
                    "external_id": f"sale-{self.rows.next_id['sale']}",
                },
            )
            self.production[(provider.id, day)] += net
            if is_service and rng.random() < 0.004:
                refund_day = day + timedelta(days=rng.randint(1, 14))
                if refund_day <= self.as_of and refund_day != self.refund_day:
                    self._refund(plan.id, provider.id, plan.location, svc, net, refund_day)

    def _refund(
        self,
        patient_id: int,
        provider_id: int,
        loc: _Location,
        svc: _Service | None,
        amount: int,
        day: date,
    ) -> None:
        self.rows.add(
            "sale",
            {
                "patient_id": patient_id,
                "provider_id": provider_id,
                "location_id": loc.id,
                "appointment_id": None,
                "service_id": svc.id if svc else None,
                "kind": "refund",
                "item": f"Refund: {svc.spec.name}" if svc else "Refund",
                "category": svc.spec.category if svc else None,
                "quantity": 1.0,
                "gross_cents": 0,
                "discount_cents": 0,
                "refund_cents": amount,
                "net_cents": -amount,
                "cogs_cents": 0,
                "paid_at": self._local(loc, day, self.rng.randint(10, 17), 0),
                "local_date": day,
                "source": DEMO_SOURCE,
                "external_id": f"sale-{self.rows.next_id['sale']}",
            },
        )
        self.production[(provider_id, day)] -= amount

    def _is_member(self, patient_id: int, day: date) -> bool:
        if patient_id not in self.member_until:
            return False
        until = self.member_until[patient_id]
        return until is None or day <= until

    def _maybe_join_membership(self, plan: _PatientPlan, day: date, paid_at: datetime) -> None:
        rng = self.rng
        if plan.id in self.member_until or plan.tier == "occasional":
            return
        if rng.random() >= (0.05 if plan.tier == "vip" else 0.02):
            return
        plan_name, price = MEMBERSHIP_PLANS[1 if plan.tier == "vip" else 0]
        months = 1
        while rng.random() > 0.04 and months < 60:
            months += 1
        ended: date | None = day + timedelta(days=30 * months)
        if ended is not None and ended > self.as_of:
            ended = None
        self.member_until[plan.id] = ended
        self.rows.add(
            "membership",
            {
                "patient_id": plan.id,
                "location_id": plan.location.id,
                "plan": plan_name,
                "monthly_price_cents": price,
                "started_on": day,
                "ended_on": ended,
                "source": DEMO_SOURCE,
                "external_id": f"mem-{self.rows.next_id['membership']}",
            },
        )
        charge_day = day
        last = ended or self.as_of
        while charge_day <= last:
            self.rows.add(
                "sale",
                {
                    "patient_id": plan.id,
                    "provider_id": None,
                    "location_id": plan.location.id,
                    "appointment_id": None,
                    "service_id": None,
                    "kind": "membership",
                    "item": plan_name,
                    "category": "membership",
                    "quantity": 1.0,
                    "gross_cents": price,
                    "discount_cents": 0,
                    "refund_cents": 0,
                    "net_cents": price,
                    "cogs_cents": 0,
                    "paid_at": self._local(plan.location, charge_day, 6, 0)
                    if charge_day != day
                    else paid_at,
                    "local_date": charge_day,
                    "source": DEMO_SOURCE,
                    "external_id": f"sale-{self.rows.next_id['sale']}",
                },
            )
            charge_day += timedelta(days=30)

    # ------------------------------------------------------------------ planted refunds

    def plant_refund_day(self) -> dict[str, Any]:
        loc = self.locations[0]
        window_start = self.refund_day - timedelta(days=30)
        recent = [
            row
            for row in self.rows.tables["sale"]
            if row["location_id"] == loc.id
            and row["kind"] == "service"
            and window_start <= row["local_date"] < self.refund_day
            and row["net_cents"] >= 40_000
        ]
        chosen = self.rng.sample(recent, min(11, len(recent)))
        total = 0
        for row in sorted(chosen, key=lambda r: r["id"]):
            svc = self.service_by_id[row["service_id"]]
            self._refund(
                row["patient_id"], row["provider_id"], loc, svc, row["net_cents"], self.refund_day
            )
            total += row["net_cents"]
        return {
            "kind": "refund_anomaly",
            "location_id": loc.id,
            "date": self.refund_day.isoformat(),
            "period_start": self.refund_day.isoformat(),
            "period_end": self.refund_day.isoformat(),
            "expected_direction": "up",
            "details": {"refunds": len(chosen), "refund_cents": total},
        }

    # ------------------------------------------------------------------ shifts & payroll

    def build_shifts(self) -> None:
        for prov in self.providers:
            loc = next(loc for loc in self.locations if loc.id == prov.location_id)
            first = self._open_from(loc)
            past_days = [
                first + timedelta(days=i)
                for i in range((self.as_of - first).days + 1)
                if (first + timedelta(days=i)).weekday() in prov.spec.workdays
            ]
            target = self.rng.uniform(0.56, 0.66)
            per_day = self.completed_minutes[prov.id] / max(1, len(past_days)) / target
            minutes = int(min(600, max(240, round(per_day / 30) * 30)))
            day = first
            while day <= self.horizon:
                if day.weekday() in prov.spec.workdays:
                    self.rows.add(
                        "providershift",
                        {
                            "provider_id": prov.id,
                            "location_id": loc.id,
                            "day": day,
                            "available_minutes": minutes,
                            "source": DEMO_SOURCE,
                            "external_id": f"shift-{self.rows.next_id['providershift']}",
                        },
                    )
                day += timedelta(days=1)

    def build_payroll(self) -> list[dict[str, Any]]:
        """Semi-monthly payroll whose total tracks each provider's comp-to-production ratio."""
        planted = []
        for prov in self.providers:
            ratio = prov.spec.comp_ratio or round(self.rng.uniform(0.37, 0.45), 3)
            if prov.spec.planted in ("comp_high", "comp_low"):
                planted.append(
                    {
                        "kind": "comp_ratio_high"
                        if prov.spec.planted == "comp_high"
                        else "comp_ratio_low",
                        "location_id": prov.location_id,
                        "provider_id": prov.id,
                        "period_start": self.start.isoformat(),
                        "period_end": self.as_of.isoformat(),
                        "expected_direction": "up" if prov.spec.planted == "comp_high" else "down",
                        "details": {"comp_ratio": ratio},
                    }
                )
            period_start = date(self.start.year, self.start.month, 1)
            while True:
                for half in (0, 1):
                    p_start = period_start if half == 0 else period_start.replace(day=16)
                    next_month = (period_start + timedelta(days=32)).replace(day=1)
                    p_end = (
                        period_start.replace(day=15)
                        if half == 0
                        else next_month - timedelta(days=1)
                    )
                    if p_end > self.as_of:
                        break
                    production = sum(
                        self.production.get((prov.id, p_start + timedelta(days=i)), 0)
                        for i in range((p_end - p_start).days + 1)
                    )
                    if production <= 0:
                        continue
                    total = int(production * ratio * self.rng.uniform(0.98, 1.02))
                    benefits = int(total * 0.09)
                    base = min(prov.spec.base_monthly_cents // 2, total - benefits)
                    commission = total - benefits - base
                    bonus = 0
                    if p_end.month in (3, 6, 9, 12) and half == 1:
                        bonus = commission // 5
                        commission -= bonus
                    self.rows.add(
                        "compensation",
                        {
                            "provider_id": prov.id,
                            "period_start": p_start,
                            "period_end": p_end,
                            "base_cents": base,
                            "commission_cents": commission,
                            "bonus_cents": bonus,
                            "benefits_cents": benefits,
                            "source": DEMO_SOURCE,
                            "external_id": f"pay-{self.rows.next_id['compensation']}",
                        },
                    )
                period_start = (period_start + timedelta(days=32)).replace(day=1)
                if period_start > self.as_of:
                    break
        return planted

    # ------------------------------------------------------------------ marketing

    def build_marketing(self, plans: list[_PatientPlan]) -> None:
        rng = self.rng
        conversion = {
            "referral": 0.6,
            "google_ads": 0.34,
            "meta_ads": 0.26,
            "organic_search": 0.4,
            "walk_in": 0.9,
        }
        for plan in plans:
            if plan.existing or plan.channel is None:
                continue
            month = plan.first_day.replace(day=1)
            self.nominal_new[(plan.location.id, plan.channel, month)] += 1
        # Leads: every new patient came from one; unconverted leads come on top.
        for plan in plans:
            if plan.existing or plan.channel is None:
                continue
            self._add_lead(plan.location, plan.channel, plan.first_day, plan.id or None)
        for (loc_id, channel, month), converted in sorted(self.nominal_new.items()):
            loc = next(loc for loc in self.locations if loc.id == loc_id)
            extra = round(converted * (1 / conversion[channel] - 1))
            month_days = self._month_days(month)
            for _ in range(extra):
                self._add_lead(loc, channel, rng.choice(month_days), None)
        for loc in self.locations:
            month = self._open_from(loc).replace(day=1)
            while month <= self.as_of:
                month_days = self._month_days(month)
                share = len(month_days) / self._days_in_month(month)
                for channel, _, cac in CHANNELS:
                    if cac is None:
                        continue
                    if channel == "organic_search":
                        amount = int(150_000 * share)
                    else:
                        converted = self.nominal_new.get((loc.id, channel, month), 0)
                        amount = int(converted * cac * rng.uniform(0.9, 1.1))
                    if amount <= 0:
                        continue
                    self.rows.add(
                        "marketingspend",
                        {
                            "location_id": loc.id,
                            "channel": channel,
                            "month": month,
                            "amount_cents": _money(amount),
                            "source": DEMO_SOURCE,
                            "external_id": f"spend-{self.rows.next_id['marketingspend']}",
                        },
                    )
                month = (month + timedelta(days=32)).replace(day=1)

    def _days_in_month(self, month: date) -> int:
        return ((month + timedelta(days=32)).replace(day=1) - month).days

    def _month_days(self, month: date) -> list[date]:
        return [
            month + timedelta(days=i)
            for i in range(self._days_in_month(month))
            if self.start <= month + timedelta(days=i) <= self.as_of
        ]

    def _add_lead(self, loc: _Location, channel: str, day: date, patient_id: int | None) -> None:
        lead_day = day - timedelta(days=self.rng.randint(1, 10)) if patient_id else day
        lead_day = max(lead_day, self._open_from(loc))
        created = self._local(loc, lead_day, self.rng.randint(7, 22), self.rng.randint(0, 59))
        self.rows.add(
            "lead",
            {
                "location_id": loc.id,
                "channel": channel,
                "created_at": created,
                "local_date": lead_day,
                "patient_id": patient_id,
                "source": DEMO_SOURCE,
                "external_id": f"lead-{self.rows.next_id['lead']}",
            },
        )

    # ------------------------------------------------------------------ run

    def run(self, progress: ProgressCallback | None = None) -> dict[str, Any]:
        self.build_catalog()
        plans = self.plan_patients()
        kept: list[_PatientPlan] = []
        dropped = 0
        for index, plan in enumerate(plans):
            # Planted CAC jump: Back Bay's Meta ads keep their budget but convert half as often.
            if (
                not plan.existing
                and plan.channel == "meta_ads"
                and plan.location.spec.key == "bos"
                and plan.first_day >= self.cac_start
                and self.rng.random() < 0.5
            ):
                month = plan.first_day.replace(day=1)
                self.nominal_new[(plan.location.id, "meta_ads", month)] += 1
                self._add_lead(plan.location, "meta_ads", plan.first_day, None)
                dropped += 1
                continue
            self.write_patient(plan)
            if plan.lapse_after:
                self.planted_lapsed.append(plan.id)
            self.simulate(plan)
            kept.append(plan)
            if progress and index % 500 == 0:
                progress("patients", index, len(plans))
        if progress:
            progress("patients", len(plans), len(plans))
        manifest_patterns: list[dict[str, Any]] = []
        manifest_patterns.append(self.plant_refund_day())
        self.build_shifts()
        manifest_patterns.extend(self.build_payroll())
        self.build_marketing(kept)
        rebook_provider = next(p for p in self.providers if p.spec.planted == "rebooking_drop")
        grw = next(loc for loc in self.locations if loc.spec.key == "grw")
        bos = self.locations[0]
        manifest_patterns.extend(
            [
                {
                    "kind": "rebooking_drop",
                    "location_id": rebook_provider.location_id,
                    "provider_id": rebook_provider.id,
                    "period_start": self.rebook_drop_start.isoformat(),
                    "period_end": self.as_of.isoformat(),
                    "expected_direction": "down",
                    "details": {
                        "rebook_at_checkout_before": round(rebook_provider.rebook_skill, 3),
                        "rebook_at_checkout_after": PLANTED_REBOOK_AT_CHECKOUT,
                        "expected_drop_points": 20,
                    },
                },
                {
                    "kind": "no_show_weekday_spike",
                    "location_id": grw.id,
                    "weekday": self.no_show_weekday,
                    "weekday_name": "Tuesday",
                    "period_start": self.no_show_spike_start.isoformat(),
                    "period_end": self.as_of.isoformat(),
                    "expected_direction": "up",
                    "details": {"no_show_probability": PLANTED_NO_SHOW},
                },
                {
                    "kind": "lapsed_vip_neurotoxin",
                    "location_id": None,
                    "patient_ids": sorted(self.planted_lapsed),
                    "period_start": (self.as_of - timedelta(days=235)).isoformat(),
                    "period_end": self.as_of.isoformat(),
                    "expected_direction": "down",
                    "details": {"last_visit_days_ago": [150, 235]},
                },
                {
                    "kind": "cac_jump",
                    "location_id": bos.id,
                    "channel": "meta_ads",
                    "period_start": self.cac_start.isoformat(),
                    "period_end": self.as_of.isoformat(),
                    "baseline_period_start": (self.cac_start - timedelta(days=180))
                    .replace(day=1)
                    .isoformat(),
                    "expected_direction": "up",
                    "details": {"expected_ratio": 2.0, "converted_dropped": dropped},
                },
                {
                    "kind": "vip_concentration",
                    "location_id": None,
                    "period_start": (self.as_of - timedelta(days=364)).isoformat(),
                    "period_end": self.as_of.isoformat(),
                    "expected_direction": "range",
                    "details": {"expected_share": [0.35, 0.45]},
                },
            ]
        )
        return {
            "seed": self.config.seed,
            "patients": self.config.patients,
            "as_of": self.as_of.isoformat(),
            "data_start": self.start.isoformat(),
            "organization_id": 1,
            "patterns": manifest_patterns,
        }


# --------------------------------------------------------------------------- public API


def generate_rows(
    config: DemoConfig, progress: ProgressCallback | None = None
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Generate every demo row in memory (no database) and the manifest of planted patterns."""
    builder = _DemoBuilder(config)
    manifest = builder.run(progress)
    return dict(builder.rows.tables), manifest


def clear_all(engine: Engine) -> None:
    """Delete every row of every table (children first), in one transaction."""
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name == "alembic_version":
                continue
            connection.execute(delete(table))


def build_demo(
    engine: Engine,
    config: DemoConfig | None = None,
    *,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Generate the demo practice into `engine` (schema must exist) and return its manifest.

    Everything is written in one transaction: a failure leaves the database as it was.
    """
    config = config or DemoConfig()
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(m.Organization)).scalar()
    if existing and not replace:
        raise DemoExistsError("the database already holds a practice; use --replace to rebuild")
    tables, manifest = generate_rows(config, progress)
    if existing:
        clear_all(engine)
    with engine.begin() as connection:
        for model in DEMO_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            rows = tables.get(table.name, [])
            for chunk_start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[chunk_start : chunk_start + 5000])
                if progress:
                    progress(table.name, min(chunk_start + 5000, len(rows)), len(rows))
        connection.execute(
            insert(m.AuditEvent.__table__),  # type: ignore[attr-defined]
            [
                {
                    "occurred_at": datetime.combine(config.as_of, time(23, 59), UTC),
                    "actor": "clarity demo",
                    "action": "demo.build",
                    "entity_type": "organization",
                    "entity_id": "1",
                    "details": manifest,
                }
            ],
        )
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection)
    return manifest


def _reset_sequences(connection: Any) -> None:
    """Rows were inserted with explicit ids; move PostgreSQL sequences past them."""
    for table in SQLModel.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.autoincrement:
            continue
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


def load_manifest(engine: Engine) -> dict[str, Any] | None:
    """The manifest of the most recent demo build in this database, if any."""
    with engine.connect() as connection:
        details = connection.execute(
            select(m.AuditEvent.details)  # type: ignore[call-overload]
            .where(m.AuditEvent.action == "demo.build")
            .order_by(m.AuditEvent.id.desc())  # type: ignore[union-attr]
            .limit(1)
        ).scalar()
    return dict(details) if details else None


def write_manifest(manifest: dict[str, Any], path: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")


def demo_digest(engine: Engine) -> str:
    """SHA-256 over every row of every demo table, ordered by id: equal digests = equal data."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for model in DEMO_TABLES:
            table = model.__table__  # type: ignore[attr-defined]
            digest.update(table.name.encode())
            for row in connection.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
