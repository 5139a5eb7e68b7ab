from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import Location, Organization, Patient, pseudonym


def _org_and_location(session: Session) -> Location:
    org = Organization(name="Test Spa", slug="test")
    session.add(org)
    session.flush()
    assert org.id is not None
    loc = Location(organization_id=org.id, name="Main", timezone="America/Chicago")
    session.add(loc)
    session.flush()
    return loc


def test_patient_round_trip_keeps_utc_timestamps(engine: Engine) -> None:
    with Session(engine) as session:
        loc = _org_and_location(session)
        created = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # the morning DST starts in the US
        session.add(
            Patient(
                home_location_id=loc.id,
                first_name="Ada",
                last_name="Lovelace",
                phone_e164="+16175550101",
                email="ada@example.com",
                birth_date=date(1985, 12, 10),
                created_at=created,
                source="emr",
                external_id="42",
            )
        )
        session.commit()
    with Session(engine) as session:
        patient = session.exec(select(Patient)).one()
        assert patient.created_at == created
        assert patient.created_at.tzinfo is not None
        assert patient.birth_date == date(1985, 12, 10)
        assert patient.id is not None
        assert pseudonym(patient.id) == f"P-{patient.id}"


def test_source_and_external_id_are_unique(engine: Engine) -> None:
    with Session(engine) as session:
        loc = _org_and_location(session)
        for _ in range(2):
            session.add(
                Patient(
                    home_location_id=loc.id,
                    first_name="A",
                    last_name="B",
                    source="emr",
                    external_id="dup",
                )
            )
        with pytest.raises(IntegrityError):
            session.commit()


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with Session(engine) as session:
        loc = _org_and_location(session)
        session.add(
            Patient(
                home_location_id=loc.id,
                first_name="A",
                last_name="B",
                created_at=datetime(2026, 1, 1, 12, 0),
            )
        )
        with pytest.raises(Exception, match="timezone"):
            session.commit()
