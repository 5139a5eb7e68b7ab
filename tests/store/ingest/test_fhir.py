"""FHIR import of the Synthea sample bundles in tests/fixtures/fhir/ (see its README)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from store import tables as t
from store.ingest.fhir import ingest_fhir, ref_id
from tests.store.ingest.conftest import NOW

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"


def fixtures() -> Path:
    """The bundles shipped with the repository: two patients and the practitioners,
    organizations and locations they reference."""
    assert FIXTURES.is_dir(), f"FHIR fixtures missing at {FIXTURES}"
    return FIXTURES


def resource_counts(folder: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for file in folder.glob("*.json"):
        for entry in json.loads(file.read_text())["entry"]:
            counts[entry["resource"]["resourceType"]] += 1
    return counts


def test_synthea_bundles_every_patient_practitioner_encounter_accounted_for(
    engine: Engine,
) -> None:
    folder = fixtures()
    expected = resource_counts(folder)
    result = ingest_fhir(engine, folder, now=NOW)
    resources = result.details["resources"]
    assert sum(c["read"] for c in resources.values()) == sum(expected.values())
    for kind, count in expected.items():
        got = resources[kind]
        assert got["read"] == count
        # every resource is imported, rejected or skipped — none disappears
        assert got["imported"] + got["rejected"] + got["skipped"] == count, kind
    for kind in ("Patient", "Practitioner", "Encounter"):
        assert resources[kind]["imported"] == expected[kind], resources[kind]
    assert resources["Observation"]["skip_reasons"] == {
        "resource type not imported": expected["Observation"]
    }
    with engine.connect() as conn:

        def rows_in(table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        assert rows_in(t.patient) == expected["Patient"]
        assert rows_in(t.provider) == expected["Practitioner"]
        assert rows_in(t.appointment) == expected["Encounter"]
        assert rows_in(t.location) == expected["Location"]
        # Encounters carry their practitioner (by NPI) and location
        unlinked = conn.execute(
            select(func.count())
            .select_from(t.appointment)
            .where(t.appointment.c.provider_id.is_(None))
        ).scalar()
        assert unlinked == 0
    # Importing the same bundles again changes nothing.
    again = ingest_fhir(engine, folder, now=NOW)
    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == result.inserted


def test_ndjson_and_unknown_types(engine: Engine, tmp_path: Path) -> None:
    lines = [
        {"resourceType": "Location", "id": "loc1", "name": "Austin"},
        {
            "resourceType": "Patient",
            "id": "p1",
            "name": [{"family": "Reyes", "given": ["Dana"]}],
            "telecom": [{"system": "phone", "value": "(512) 555-0142"}],
            "birthDate": "1988-07-30",
        },
        {
            "resourceType": "Appointment",
            "id": "a1",
            "status": "noshow",
            "start": "2026-03-02T09:00:00-06:00",
            "end": "2026-03-02T09:30:00-06:00",
            "participant": [
                {"actor": {"reference": "Patient/p1"}, "status": "accepted"},
                {"actor": {"reference": "Location/loc1"}, "status": "accepted"},
            ],
        },
        {"resourceType": "Basic", "id": "b1", "code": {"text": "x"}},
        {"resourceType": "Patient", "id": "bad", "birthDate": "last spring"},
    ]
    path = tmp_path / "export.ndjson"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = ingest_fhir(engine, path, now=NOW)
    resources = result.details["resources"]
    assert resources["Basic"]["skip_reasons"] == {"resource type not imported": 1}
    assert resources["Patient"]["imported"] == 1 and resources["Patient"]["skipped"] == 1
    assert resources["Appointment"]["imported"] == 1
    with engine.connect() as conn:
        status, local_date = conn.execute(
            select(t.appointment.c.status, t.appointment.c.local_date)
        ).one()
    assert status == "no_show"
    assert str(local_date) == "2026-03-02"


def test_reference_forms() -> None:
    assert ref_id("Patient/123") == "123"
    assert ref_id("urn:uuid:abc") == "abc"
    assert ref_id("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999") == "999"
