"""The practice's catalog rows: the organization, its locations, providers and services.

With `location_copies` > 1 (benchmarks only) the locations and their providers are replicated;
copies carry no planted patterns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

from store.demo.config import DEMO_SOURCE
from store.demo.ingredients import LOCATIONS, PROVIDERS, SERVICES, LocationSpec, ProviderSpec
from store.demo.visits import REBOOK_AT_CHECKOUT
from store.demo.world import Location, Provider, Service, World


def build_catalog(world: World) -> None:
    rows = world.rows
    org_id = rows.add("organization", {"name": "Lumière Aesthetics Group", "slug": "lumiere"})
    for loc_spec in _location_specs(world):
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
        world.locations.append(Location(loc_id, loc_spec, ZoneInfo(loc_spec.timezone)))
    loc_by_key = {loc.spec.key: loc for loc in world.locations}
    for copy, prov_spec in _provider_specs(world):
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
        skill = min(0.86, max(0.62, world.rng.gauss(REBOOK_AT_CHECKOUT, 0.04)))
        if prov_spec.planted == "rebooking_drop":
            skill = 0.80
        world.providers.append(Provider(prov_id, prov_spec, loc.id, skill))
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
                "external_id": f"svc-{len(world.service_by_id) + 1}",
            },
        )
        service = Service(svc_id, svc_spec)
        world.services[svc_spec.category].append(service)
        world.service_by_id[svc_id] = service


def _location_specs(world: World) -> list[LocationSpec]:
    specs = list(LOCATIONS)
    for copy in range(1, world.config.location_copies):
        specs.extend(
            replace(spec, key=f"{spec.key}{copy + 1}", name=f"{spec.name} {copy + 1}")
            for spec in LOCATIONS
        )
    return specs


def _provider_specs(world: World) -> list[tuple[int, ProviderSpec]]:
    specs = [(0, spec) for spec in PROVIDERS]
    for copy in range(1, world.config.location_copies):
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
