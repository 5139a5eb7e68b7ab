"""A tiny practice for the scheduler tests: organization 1 with Los Angeles (location 1) and
New York (location 2), one patient, a $300 sale on 2027-03-12 and a $450 one on 2027-03-13 at
Los Angeles, and the owner subscribed to location 1 on the file outbox at 07:00."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from clarity.settings import Settings, load_settings
from store.models import Location, Organization, Patient, Sale, Subscription, User

OWNER = "owner@sched.example"


def seed(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Organization(id=1, name="Sched Aesthetics", slug="sched"))
        session.flush()
        session.add(
            Location(id=1, organization_id=1, name="Venice", timezone="America/Los_Angeles")
        )
        session.add(Location(id=2, organization_id=1, name="SoHo", timezone="America/New_York"))
        session.add(User(id=1, organization_id=1, email=OWNER, name="Owner", role="owner"))
        session.flush()
        session.add(Patient(id=1, home_location_id=1, first_name="A", last_name="B"))
        session.flush()
        for n, (day, cents) in enumerate(
            [(date(2027, 3, 12), 30_000), (date(2027, 3, 13), 45_000)]
        ):
            session.add(
                Sale(
                    patient_id=1,
                    location_id=1,
                    item="Botox",
                    gross_cents=cents,
                    net_cents=cents,
                    paid_at=datetime(day.year, day.month, day.day, 20, tzinfo=UTC),
                    local_date=day,
                    external_id=f"s{n}",
                )
            )
        session.add(Subscription(user_id=1, channel="outbox", scope="location:1"))
        session.commit()


def settings_for(tmp_path: Path) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        var_dir=tmp_path / "var",
        delivery_channels=["outbox"],
        briefing_grace_hours=4,
    )


def outbox_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "var" / "outbox").glob("*.eml"))
