"""FHIR R4 import: Bundles (JSON; a file or a folder) and NDJSON bulk exports.

Every resource is parsed with the `fhir.resources.R4B` models (the package's default R5 models
reject Synthea's R4 bundles), then mapped to canonical values and loaded with the same builders
and upserts as CSV files:

| FHIR | store |
|---|---|
| Location | location (external id = Location.id; time zone = the import's default) |
| Practitioner (+ PractitionerRole.location) | provider (external id = NPI, else id) |
| Patient | patient (matched across systems like any patient import) |
| Encounter, Appointment | appointment (finished/fulfilled → completed, noshow → no_show, …) |
| Claim, ChargeItem | sale (net = Claim.total / ChargeItem.priceOverride) |

Anything else (Observation, Condition, Organization, ExplanationOfBenefit, …) is counted and
skipped with a reason; every resource read ends up imported, rejected or skipped, per type.
"""

from __future__ import annotations

import json
import stat
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from sqlalchemy import Engine

from store.ingest.bounds import DEFAULT_BOUNDS, Bounds
from store.ingest.csv_reader import LayoutError
from store.ingest.formats import get_format
from store.ingest.loader import (
    CsvImport,
    IngestError,
    IngestResult,
    finish_run,
    is_database_error,
    location_option,
    organization_id,
    start_run,
    write_rejects,
)
from store.ingest.presets import canonical_preset
from store.ingest.runs import import_lock, lock_name, mark_interrupted

FHIR_SOURCE = "fhir"
FHIR_SUFFIXES = (".json", ".ndjson")
# Order of loading: referenced rows first.
MAPPED = ("Location", "Practitioner", "Patient", "Encounter", "Appointment", "Claim", "ChargeItem")
SKIP_REASONS = {
    "Organization": "the practice is one organization; its Locations are imported",
    "PractitionerRole": "used to place practitioners at their location",
    "ExplanationOfBenefit": "payer adjudication; the Claim carries the charge",
    "Procedure": "clinical detail; the visit comes from its Encounter",
}
ENCOUNTER_STATUS = {
    "finished": "completed",
    "cancelled": "cancelled",
    "planned": "booked",
    "arrived": "booked",
    "triaged": "booked",
    "in-progress": "booked",
    "onleave": "booked",
}
APPOINTMENT_STATUS = {
    "proposed": "booked",
    "pending": "booked",
    "booked": "booked",
    "arrived": "completed",
    "fulfilled": "completed",
    "checked-in": "completed",
    "cancelled": "cancelled",
    "noshow": "no_show",
    "waitlist": "booked",
}


def ref_id(reference: str | None) -> str | None:
    """The id in `Patient/1`, `urn:uuid:1` or `Practitioner?identifier=system|1`."""
    if not reference:
        return None
    if "|" in reference:
        return reference.rsplit("|", 1)[1]
    if reference.startswith("urn:uuid:"):
        return reference[len("urn:uuid:") :]
    return reference.rsplit("/", 1)[-1]


def ref_of(reference: Any) -> str | None:
    """The id a FHIR Reference points at: its `reference` string, or its logical identifier."""
    if reference is None:
        return None
    if reference.reference:
        return ref_id(reference.reference)
    if reference.identifier is not None and reference.identifier.value:
        return str(reference.identifier.value)
    return None


def _points_to(reference: Any, kind: str) -> bool:
    if reference is None:
        return False
    if reference.reference:
        return bool(reference.reference.startswith(kind))
    return reference.type == kind or (
        reference.identifier is not None
        and kind == "Practitioner"
        and str(reference.identifier.system or "").endswith("us-npi")
    )


def _odd_entry(path: Path) -> str | None:
    """Why a folder entry is not read as a FHIR file (None when it is a regular .json/.ndjson
    file). Never opens it: a FIFO would block the import."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "a broken symbolic link"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(info.st_mode):
        return "a folder" if path.suffix in FHIR_SUFFIXES else None
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a FIFO, socket or device)"
    if path.suffix not in FHIR_SUFFIXES:
        return "not a .json or .ndjson file"
    return None


def _files(path: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The FHIR files to read, and (name, reason) of folder entries that are not read."""
    if path.is_dir():
        files: list[Path] = []
        odd: list[tuple[str, str]] = []
        for entry in sorted(path.iterdir()):
            reason = _odd_entry(entry)
            if reason is None and entry.is_file():
                files.append(entry)
            elif reason is not None:
                odd.append((entry.name, reason))
        if not files:
            raise LayoutError(f"{path}: no .json or .ndjson files")
        return files, odd
    if not path.is_file():
        raise LayoutError(f"{path}: no such file or folder")
    return [path], []


class BadLine(ValueError):
    """One line of an NDJSON file (or one whole JSON file) that cannot be read."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


def _raw_resources(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """(position, resource JSON or why it cannot be read) of every resource in a Bundle file
    or an NDJSON file; a bad NDJSON line costs that line only. Raises `LayoutError` for a
    Bundle file that is not JSON."""
    if path.suffix == ".ndjson":
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    data = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield number, BadLine(number, f"not UTF-8 text ({exc.reason})")
                    continue
                except (json.JSONDecodeError, RecursionError) as exc:
                    yield number, BadLine(number, f"not JSON ({str(exc)[:120]})")
                    continue
                if not isinstance(data, dict) or "resourceType" not in data:
                    yield number, BadLine(number, "not a FHIR resource (no resourceType)")
                    continue
                yield number, data
        return
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LayoutError(f"{path.name}: not a FHIR JSON file ({str(exc)[:120]})") from None
    if not isinstance(data, dict) or "resourceType" not in data:
        raise LayoutError(f"{path.name}: not a FHIR resource (no resourceType)")
    if data["resourceType"] != "Bundle":
        yield 1, data
        return
    for index, entry in enumerate(data.get("entry") or [], start=1):
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield index, entry["resource"]


class _Collector:
    """Parses resources with R4B models and counts each resource's outcome by type."""

    def __init__(self) -> None:
        self.by_type: dict[str, list[tuple[str, int, Any]]] = defaultdict(list)
        self.read: Counter[str] = Counter()
        self.skipped: dict[str, Counter[str]] = defaultdict(Counter)
        self.bad_lines: list[tuple[str, int, str]] = []
        self.skipped_files: list[tuple[str, str]] = []

    def read_file(self, file: Path, in_folder: bool) -> None:
        """Collect one file's resources; in a folder, a file that cannot be read is listed
        as skipped and the others are still imported."""
        try:
            for position, raw in _raw_resources(file):
                if isinstance(raw, BadLine):
                    self.bad_lines.append((file.name, position, raw.reason))
                else:
                    self.add(file.name, position, raw)
        except LayoutError as exc:
            if not in_folder:
                raise
            self.skipped_files.append((file.name, str(exc).removeprefix(f"{file.name}: ")))
        except OSError as exc:
            if not in_folder:
                raise LayoutError(f"{file.name}: cannot be read ({exc})") from None
            self.skipped_files.append((file.name, f"cannot be read ({exc.strerror or exc})"))

    def add(self, file: str, position: int, raw: dict[str, Any]) -> None:
        kind = str(raw.get("resourceType", "?"))[:40]
        self.read[kind] += 1
        if kind not in MAPPED and kind != "PractitionerRole":
            self.skipped[kind][SKIP_REASONS.get(kind, "resource type not imported")] += 1
            return
        try:
            model = get_fhir_model_class(kind).model_validate(raw)
        except (ValidationError, KeyError, ValueError, TypeError, RecursionError) as exc:
            first = str(exc).splitlines()[0][:120]
            self.skipped[kind][f"invalid {kind}: {first}"] += 1
            return
        self.by_type[kind].append((file, position, model))


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _human_name(names: Any) -> tuple[str, str]:
    for name in names or []:
        given = " ".join(name.given or [])
        if given or name.family:
            return given or "", name.family or ""
    return "", ""


def _telecom(items: Any, system: str) -> str | None:
    for item in items or []:
        if item.system == system and item.value:
            return str(item.value)
    return None


def _npi(practitioner: Any) -> str:
    for ident in practitioner.identifier or []:
        if ident.system and ident.system.endswith("us-npi") and ident.value:
            return str(ident.value)
    return str(practitioner.id)


def _location_values(loc: Any) -> dict[str, Any]:
    return {"external_id": loc.id, "name": loc.name or f"Location {loc.id}"}


def _patient_values(pat: Any) -> dict[str, Any]:
    first, last = _human_name(pat.name)
    return {
        k: v
        for k, v in {
            "external_id": pat.id,
            "first_name": first or "Unknown",
            "last_name": last or "Unknown",
            "phone": _telecom(pat.telecom, "phone"),
            "email": _telecom(pat.telecom, "email"),
            "birth_date": pat.birthDate,
        }.items()
        if v is not None
    }


def _period(period: Any) -> tuple[datetime | None, datetime | None]:
    if period is None:
        return None, None
    return period.start, period.end


def _encounter_values(enc: Any) -> dict[str, Any]:
    start, end = _period(enc.period)
    values: dict[str, Any] = {
        "external_id": enc.id,
        "start_at": start,
        "status": ENCOUNTER_STATUS.get(enc.status, "booked"),
        "patient_external_id": ref_of(enc.subject),
    }
    if end is not None:
        values["end_at"] = end
    for participant in enc.participant or []:
        if _points_to(participant.individual, "Practitioner"):
            values["provider_external_id"] = ref_of(participant.individual)
            break
    for where in enc.location or []:
        if ref_of(where.location):
            values["location_external_id"] = ref_of(where.location)
            break
    return {k: v for k, v in values.items() if v is not None}


def _appointment_values(appt: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": appt.id,
        "start_at": appt.start,
        "end_at": appt.end,
        "status": APPOINTMENT_STATUS.get(appt.status, "booked"),
        "booked_at": appt.created,
    }
    for participant in appt.participant or []:
        actor = participant.actor
        if _points_to(actor, "Practitioner"):
            values["provider_external_id"] = ref_of(actor)
        elif _points_to(actor, "Location"):
            values["location_external_id"] = ref_of(actor)
        elif _points_to(actor, "Patient") and "patient_external_id" not in values:
            values["patient_external_id"] = ref_of(actor)
    return {k: v for k, v in values.items() if v is not None}


def _claim_encounter(claim: Any) -> str | None:
    for item in claim.item or []:
        for encounter in item.encounter or []:
            found = ref_of(encounter)
            if found:
                return found
    return None


def _claim_values(claim: Any) -> dict[str, Any]:
    start, _end = _period(claim.billablePeriod)
    item = None
    if claim.item and claim.item[0].productOrService:
        code = claim.item[0].productOrService
        item = code.text or (code.coding[0].display if code.coding else None)
    provider = None
    for member in claim.careTeam or []:
        if _points_to(member.provider, "Practitioner"):
            provider = ref_of(member.provider)
            break
    values = {
        "external_id": claim.id,
        "paid_at": start or claim.created,
        "net": round(float(claim.total.value) * 100) if claim.total else None,
        "patient_external_id": ref_of(claim.patient),
        "provider_external_id": provider,
        "location_external_id": ref_of(claim.facility),
        "appointment_external_id": _claim_encounter(claim),
        "item": item,
    }
    return {k: v for k, v in values.items() if v is not None}


def _charge_values(charge: Any) -> dict[str, Any]:
    values = {
        "external_id": charge.id,
        "paid_at": charge.enteredDate or charge.occurrenceDateTime,
        "net": round(float(charge.priceOverride.value) * 100) if charge.priceOverride else None,
        "patient_external_id": ref_of(charge.subject),
        "item": charge.code.text if charge.code else None,
    }
    return {k: v for k, v in values.items() if v is not None}


def _required_missing(fmt_name: str, values: dict[str, Any], has_default_location: bool) -> str:
    fmt = get_format(fmt_name)
    missing = [
        c
        for c in fmt.required
        if c not in values and not (c == "location_external_id" and has_default_location)
    ]
    return ", ".join(missing)


def ingest_fhir(
    engine: Engine,
    path: Path,
    *,
    location: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    default_timezone: str = "America/New_York",
    bounds: Bounds | None = None,
) -> IngestResult:
    """Import FHIR resources from a Bundle/NDJSON file or a folder of them.

    `result.details["resources"]` holds, per resource type: read, imported, rejected, skipped
    and the skip reasons — every resource read is in exactly one of those.
    """
    files, odd = _files(Path(path))
    collector = _Collector()
    collector.skipped_files.extend(odd)
    for file in files:
        collector.read_file(file, in_folder=Path(path).is_dir())
    result = IngestResult(
        kind="fhir", path=str(path), source=source or FHIR_SOURCE, dry_run=dry_run
    )
    moment = now or datetime.now(UTC)
    roles: dict[str, str] = {}
    for _file, _pos, role in collector.by_type.get("PractitionerRole", []):
        if role.practitioner and role.location:
            practitioner = ref_of(role.practitioner)
            where = ref_of(role.location[0])
            if practitioner and where:
                roles[practitioner] = where
        collector.skipped["PractitionerRole"][SKIP_REASONS["PractitionerRole"]] += 1
    plan: list[tuple[str, str, Any]] = [
        ("Location", "locations", _location_values),
        ("Practitioner", "providers", None),
        ("Patient", "patients", _patient_values),
        ("Encounter", "appointments", _encounter_values),
        ("Appointment", "appointments", _appointment_values),
        ("Claim", "sales", _claim_values),
        ("ChargeItem", "sales", _charge_values),
    ]
    # A claim without a facility took place where its encounter did.
    visit_location = {
        str(enc.id): ref_of(where.location)
        for _f, _p, enc in collector.by_type.get("Encounter", [])
        for where in (enc.location or [])[:1]
        if ref_of(where.location)
    }
    outcome: dict[str, dict[str, int]] = {}
    with engine.connect() as conn, ExitStack() as stack:
        if not dry_run:
            with conn.begin():
                org = organization_id(conn)
            stack.enter_context(import_lock(conn, lock_name(org, "fhir", result.source)))
        outer = conn.begin()
        try:
            org = organization_id(conn)
            default_location = location_option(conn, org, location) if location else None
            if not dry_run:
                result.run_id = start_run(conn, result)
                mark_interrupted(conn, result.kind, result.source, result.run_id)
            bad_rows = []
            for file_name, line, reason in collector.bad_lines:
                result.reject(file_name, line, None, "bad_line", reason)
                bad_rows.append({"file": file_name, "line": line, "column": None, "reason": reason})
            write_rejects(conn, result.run_id, bad_rows)
            if not dry_run:
                outer.commit()
                outer = conn.begin()
            for kind, fmt_name, to_values in plan:
                resources = collector.by_type.get(kind, [])
                if not resources:
                    continue
                before = (result.inserted, result.updated, result.unchanged, result.rejected)
                skipped_before = result.skipped
                rows: list[tuple[int, list[str], dict[str, Any]]] = []
                for file_name, position, resource in resources:
                    if kind == "Practitioner":
                        first, last = _human_name(resource.name)
                        values: dict[str, Any] = {
                            "external_id": _npi(resource),
                            "first_name": first or "Unknown",
                            "last_name": last or "Unknown",
                            "active": resource.active if resource.active is not None else True,
                        }
                        where = roles.get(_npi(resource)) or roles.get(str(resource.id))
                        if where:
                            values["location_external_id"] = where
                    else:
                        try:
                            values = to_values(resource)
                        except (ArithmeticError, ValueError, TypeError) as exc:
                            # e.g. a Claim total of 1e400: that resource only.
                            collector.skipped[kind][f"invalid {kind}: {str(exc)[:80]}"] += 1
                            continue
                    if (
                        kind == "Claim"
                        and "location_external_id" not in values
                        and values.get("appointment_external_id") in visit_location
                    ):
                        values["location_external_id"] = visit_location[
                            values["appointment_external_id"]
                        ]
                    missing = _required_missing(fmt_name, values, default_location is not None)
                    if missing:
                        collector.skipped[kind][f"no {missing}"] += 1
                        continue
                    rows.append(
                        (position, [f"{file_name}#{position}", kind, str(resource.id)], values)
                    )
                job = CsvImport(
                    engine,
                    get_format(fmt_name),
                    canonical_preset(fmt_name),
                    Path(path),
                    result,
                    location=None,
                    now=moment,
                    default_timezone=default_timezone,
                    batch_size=2000,
                    bounds=bounds or DEFAULT_BOUNDS,
                )
                job.file_name = Path(path).name
                job.load_values(conn, rows, default_location=default_location)
                result.read += 0
                after = (result.inserted, result.updated, result.unchanged, result.rejected)
                outcome[kind] = {
                    "imported": sum(after[:3]) - sum(before[:3]),
                    "rejected": after[3] - before[3],
                    "duplicates": result.skipped - skipped_before,
                }
                if not dry_run:
                    outer.commit()
                    outer = conn.begin()
        except Exception as exc:
            if not is_database_error(engine, exc):
                raise
            outer.rollback()
            result.error = f"database error: {exc}"
            finish_run(engine, result, "failed")
            raise IngestError(result.error, result) from exc
        finally:
            if outer.is_active:
                outer.rollback()
    resources_summary: dict[str, dict[str, Any]] = {}
    for kind, count in sorted(collector.read.items()):
        done = outcome.get(kind, {})
        skipped = collector.skipped.get(kind, Counter())
        resources_summary[kind] = {
            "read": count,
            "imported": done.get("imported", 0),
            "rejected": done.get("rejected", 0),
            "skipped": sum(skipped.values()) + done.get("duplicates", 0),
            "skip_reasons": dict(skipped),
        }
    result.read = sum(collector.read.values()) + len(collector.bad_lines)
    result.skip("not_imported", sum(sum(c.values()) for c in collector.skipped.values()))
    result.details = {
        "resources": resources_summary,
        "files": len(files),
        "skipped_files": [{"file": n, "reason": r} for n, r in collector.skipped_files],
    }
    if collector.skipped_files:
        result.warnings_by_reason["skipped_file"] += len(collector.skipped_files)
        result.details["notes"] = [
            f"skipped {name}: {reason}" for name, reason in collector.skipped_files
        ]
    finish_run(engine, result, "dry_run" if dry_run else "completed")
    return result
