"""The state one demo build shares between its domain modules.

`World` holds the config, the main random stream every domain draws from (in a fixed order:
that order is what makes a seed reproducible; consent has a stream of its own), the rows
written so far, the catalog, the running totals later steps read (completed minutes,
production, new patients per channel, memberships) and the schedule of the planted patterns.
The domain modules (catalog, patients, visits, sales, payroll, marketing, planted) are
functions of a `World`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from store.demo.config import DEMO_SOURCE, FUTURE_DAYS, DemoConfig
from store.demo.consent import consent_rng
from store.demo.ingredients import LocationSpec, ProviderSpec, ServiceSpec


@dataclass
class Provider:
    id: int
    spec: ProviderSpec
    location_id: int
    rebook_skill: float


@dataclass
class Location:
    id: int
    spec: LocationSpec
    zone: ZoneInfo


@dataclass
class Service:
    id: int
    spec: ServiceSpec


@dataclass
class PatientPlan:
    id: int
    location: Location
    tier: str
    primary: str
    spend: float
    existing: bool
    first_day: date
    channel: str | None
    chronic_no_show: bool
    lapse_after: date | None = None


@dataclass
class Rows:
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    next_id: dict[str, int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def add(self, table: str, row: dict[str, Any], prefix: str | None = None) -> int:
        """Append a row with the next id; imported-style rows get source + external id."""
        row_id = self.next_id[table]
        self.next_id[table] = row_id + 1
        row["id"] = row_id
        if prefix is not None:
            row["source"] = DEMO_SOURCE
            row["external_id"] = f"{prefix}-{row_id}"
        self.tables[table].append(row)
        return row_id


def weighted(rng: random.Random, pairs: Iterable[tuple[str, float]]) -> str:
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def money(cents: float) -> int:
    """Round to whole dollars, as medspa price lists do."""
    return round(cents / 100.0) * 100


class World:
    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.consent_rng = consent_rng(config.seed)  # its own stream: see consent.py
        self.as_of = config.as_of
        self.start = config.as_of - timedelta(days=config.days - 1)
        self.horizon = config.as_of + timedelta(days=FUTURE_DAYS)
        self.rows = Rows()
        self.locations: list[Location] = []
        self.providers: list[Provider] = []
        self.services: dict[str, list[Service]] = defaultdict(list)
        self.service_by_id: dict[int, Service] = {}
        self.primary_provider: dict[tuple[int, int, str], Provider] = {}
        self.completed_minutes: dict[int, int] = defaultdict(int)
        self.production: dict[tuple[int, date], int] = defaultdict(int)
        self.nominal_new: dict[tuple[int, str, date], int] = defaultdict(int)
        self.member_until: dict[int, date | None] = {}
        # Schedule of the planted patterns (see planted.py).
        self.rebook_drop_start = self.as_of - timedelta(days=41)
        self.no_show_spike_start = self.as_of - timedelta(days=27)
        self.no_show_weekday = 1  # Tuesday
        self.cac_start = add_months(self.as_of.replace(day=1), -3)
        self.refund_day = self.as_of - timedelta(days=8)
        self.planted_lapsed: list[int] = []

    def open_from(self, loc: Location) -> date:
        """The first day of data at `loc`: the window start or its opening, whichever is later."""
        return max(self.start, loc.spec.opened_on)

    def local(self, loc: Location, day: date, hour: int, minute: int = 0) -> datetime:
        """A wall-clock time at `loc` as a UTC instant."""
        return datetime.combine(day, time(hour, minute), loc.zone).astimezone(UTC)

    def end_of_snapshot(self, loc: Location) -> datetime:
        """Midnight after `as_of` at `loc`: nothing booked from then on exists."""
        return datetime.combine(self.as_of + timedelta(days=1), time(0, 0), loc.zone).astimezone(
            UTC
        )
