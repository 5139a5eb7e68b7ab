"""Resolve references by external id to store ids, with dict caches.

A reference `(entity, external_id)` made by a file of source S resolves, in order, to:
1. the row of that entity with `(source, external_id) = (S, id)`;
2. an `ExternalLink` (entity, S, id) made when the row was matched across systems;
3. for locations: a location with that external id in any source, or that name;
   for providers: a provider with that full name ("Maya Lopez" or "Lopez, Maya") when exactly
   one has it (a link is then recorded so the next import resolves by id);
   for services: a service with that name.
Small catalogs (locations, providers, services) are loaded once per import; patients and
appointments are looked up per batch with one `IN` query, so memory stays bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from store import tables as t
from store.ingest.keys import ids_in
from store.ingest.mapping import split_name
from store.ingest.values import RowError, zone

_IN_CHUNK = 5000
_SEEN_LIMIT = 1_000_000


def name_key(first: str, last: str) -> str:
    return f"{first.strip()} {last.strip()}".casefold()


def full_name_key(text: str) -> str:
    return name_key(split_name(text, "first"), split_name(text, "last"))


class Resolver:
    """External-id lookups for one import of `source` into `organization_id`."""

    def __init__(
        self,
        conn: Connection,
        *,
        source: str,
        organization_id: int,
        default_location_id: int | None,
    ) -> None:
        self.source = source
        self.organization_id = organization_id
        self.default_location_id = default_location_id
        self.new_links: list[dict[str, Any]] = []
        self._zones: dict[int, ZoneInfo] = {}
        self._location: dict[str, int] = {}
        self._load_locations(conn)
        self._provider: dict[str, int] = {}
        self._provider_names: dict[str, list[int]] = defaultdict(list)
        self._load_providers(conn)
        self._service: dict[str, int] = {}
        self._service_names: dict[str, int] = {}
        self.service_info: dict[int, tuple[str, str, int, int]] = {}
        self._load_services(conn)
        self._patient: dict[str, int] = {}
        # Store ids found by earlier batches: a patient's id never changes during an import,
        # so each is looked up once per import instead of once per batch.
        self._patient_seen: dict[str, int] = {}
        self._appointment: dict[str, int] = {}
        self._has_patient_links: bool | None = None

    # ------------------------------------------------------------------ catalogs

    def _links(self, conn: Connection, entity: str) -> dict[str, int]:
        link = t.external_link
        rows = conn.execute(
            select(link.c.external_id, link.c.target_id).where(
                link.c.entity == entity, link.c.source == self.source
            )
        )
        return {ext: target for ext, target in rows}

    def _load_locations(self, conn: Connection) -> None:
        loc = t.location
        rows = conn.execute(
            select(loc.c.id, loc.c.name, loc.c.timezone, loc.c.source, loc.c.external_id).where(
                loc.c.organization_id == self.organization_id
            )
        ).all()
        any_source: dict[str, set[int]] = defaultdict(set)
        names: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            self._zones[row.id] = zone(row.timezone)
            if row.external_id:
                any_source[row.external_id].add(row.id)
            names[row.name.casefold()].add(row.id)
        # Weakest first, so stronger keys overwrite.
        for name, ids in names.items():
            if len(ids) == 1:
                self._location[name] = next(iter(ids))
        for ext, ids in any_source.items():
            if len(ids) == 1:
                self._location[ext] = next(iter(ids))
        for row in rows:
            if row.source == self.source and row.external_id:
                self._location[row.external_id] = row.id
        self._location.update(self._links(conn, "location"))

    def _load_providers(self, conn: Connection) -> None:
        prov = t.provider
        rows = conn.execute(
            select(
                prov.c.id, prov.c.first_name, prov.c.last_name, prov.c.source, prov.c.external_id
            )
            .join(t.location, t.location.c.id == prov.c.location_id)
            .where(t.location.c.organization_id == self.organization_id)
        ).all()
        for row in rows:
            self._provider_names[name_key(row.first_name, row.last_name)].append(row.id)
            if row.source == self.source and row.external_id:
                self._provider[row.external_id] = row.id
        self._provider.update(self._links(conn, "provider"))

    def _load_services(self, conn: Connection) -> None:
        svc = t.service
        rows = conn.execute(
            select(
                svc.c.id,
                svc.c.name,
                svc.c.category,
                svc.c.duration_minutes,
                svc.c.cogs_cents,
                svc.c.source,
                svc.c.external_id,
            ).where(svc.c.organization_id == self.organization_id)
        ).all()
        names: dict[str, set[int]] = defaultdict(set)
        for row in rows:
            self.service_info[row.id] = (
                row.name,
                row.category,
                row.duration_minutes,
                row.cogs_cents,
            )
            names[row.name.casefold()].add(row.id)
            if row.source == self.source and row.external_id:
                self._service[row.external_id] = row.id
        self._service_names = {n: next(iter(ids)) for n, ids in names.items() if len(ids) == 1}
        self._service.update(self._links(conn, "service"))

    # ------------------------------------------------------------------ lookups

    def zone(self, location_id: int) -> ZoneInfo:
        return self._zones[location_id]

    def location(self, ext: str | None) -> int:
        if ext is None:
            if self.default_location_id is None:
                raise RowError(
                    "location_external_id",
                    "missing_value",
                    "location_external_id is empty (or pass --location)",
                )
            return self.default_location_id
        found = self._location.get(ext)
        if found is None:
            found = self._location.get(ext.casefold())
        if found is None:
            raise RowError("location_external_id", "unknown_location", f"unknown location {ext!r}")
        return found

    def provider(self, ext: str | None, name: str | None = None) -> int:
        column = "provider_external_id" if ext else "provider_name"
        if ext is not None:
            found = self._provider.get(ext)
            if found is not None:
                return found
        for candidate in (name, ext):
            if not candidate:
                continue
            ids = self._provider_names.get(full_name_key(candidate), [])
            if len(ids) == 1:
                if ext is not None:
                    self._provider[ext] = ids[0]
                    self._link("provider", ext, ids[0], "name")
                return ids[0]
            if len(ids) > 1:
                raise RowError(
                    column,
                    "ambiguous_provider",
                    f"provider {candidate!r} matches {len(ids)} providers by name",
                )
        shown = ext if ext is not None else name
        raise RowError(column, "unknown_provider", f"unknown provider {shown!r}")

    def service(self, ext: str | None, name: str | None) -> int:
        if ext is not None:
            found = self._service.get(ext)
            if found is None:
                found = self._service_names.get(ext.casefold())
            if found is None:
                raise RowError("service_external_id", "unknown_service", f"unknown service {ext!r}")
            return found
        assert name is not None
        found = self._service_names.get(name.casefold())
        if found is None:
            raise RowError("service_name", "unknown_service", f"unknown service {name!r}")
        return found

    def _link(self, entity: str, ext: str, target: int, matched_by: str) -> None:
        self.new_links.append(
            {
                "entity": entity,
                "source": self.source,
                "external_id": ext,
                "target_id": target,
                "matched_by": matched_by,
                "created_at": datetime.now(UTC),
            }
        )

    def add_patient_link(self, ext: str, target: int, matched_by: str) -> None:
        self._patient[ext] = target
        self._link("patient", ext, target, matched_by)

    def flush_links(self, conn: Connection) -> None:
        """Write links found in this batch (inside the batch's transaction)."""
        if self.new_links:
            conn.execute(insert(t.external_link), self.new_links)
            self.new_links = []

    # ------------------------------------------------------------------ per-batch entities

    def prefetch_patients(self, conn: Connection, exts: Iterable[str]) -> None:
        """Load the store ids of these patient external ids (own rows, then links)."""
        seen = self._patient_seen
        self._patient = {}
        missing: list[str] = []
        for ext in set(exts):
            found = seen.get(ext)
            if found is None:
                missing.append(ext)
            else:
                self._patient[ext] = found
        wanted = sorted(missing)
        if self._has_patient_links is None:
            self._has_patient_links = bool(
                conn.execute(
                    select(t.external_link.c.id)
                    .where(t.external_link.c.entity == "patient")
                    .limit(1)
                ).first()
            )
        if self._has_patient_links:
            link = t.external_link
            for i in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[i : i + _IN_CHUNK]
                for ext, target in conn.execute(
                    select(link.c.external_id, link.c.target_id).where(
                        link.c.entity == "patient",
                        link.c.source == self.source,
                        link.c.external_id.in_(chunk),
                    )
                ):
                    self._patient[ext] = target
        fetched: dict[str, int] = {}
        if self._has_patient_links:
            fetched.update((ext, self._patient[ext]) for ext in wanted if ext in self._patient)
        fetched.update(ids_in(conn, "patient", "external_id", "id", self.source, wanted))
        self._patient.update(fetched)
        if len(seen) + len(fetched) > _SEEN_LIMIT:
            seen.clear()  # bounded memory for very large patient files
        seen.update(fetched)

    def known_patient(self, ext: str) -> int | None:
        return self._patient.get(ext)

    def patient(self, ext: str, column: str = "patient_external_id") -> int:
        found = self._patient.get(ext)
        if found is None:
            raise RowError(column, "unknown_patient", f"unknown patient {ext!r}")
        return found

    def prefetch_appointments(self, conn: Connection, exts: Iterable[str]) -> None:
        wanted = sorted(set(exts))
        self._appointment = ids_in(conn, "appointment", "external_id", "id", self.source, wanted)

    def appointment(self, ext: str) -> int:
        found = self._appointment.get(ext)
        if found is None:
            raise RowError(
                "appointment_external_id", "unknown_appointment", f"unknown appointment {ext!r}"
            )
        return found
