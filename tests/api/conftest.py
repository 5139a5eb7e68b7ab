"""A hand-built world for the web app, on SQLite and PostgreSQL.

Organization 1 "Glow Medspa" has Greenwich (A1) and Westport (A2); organization 2 "Harbor
Skin" has Boston (B1). Each location and each organization has a briefing for 2026-11-24 (A1
also an older one for 2026-11-23), each naming one patient of its own on the call list.
Users: an owner of each organization, and a manager, a front-desk user and an evaluator of
Greenwich only. Every user's password is PASSWORD; every user has one API token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.security import hash_password, new_api_token, token_digest
from clarity.settings import Settings, load_settings
from store.models import (
    ApiToken,
    Briefing,
    Location,
    Organization,
    OutreachMessage,
    Patient,
    Sale,
    User,
    UserLocation,
)

PASSWORD = "correct horse battery"
DAY = date(2026, 11, 24)
SECRET = "s" * 48
ROLES = ("owner", "manager", "front_desk", "evaluator")


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash shared by every test user (hashing costs ~0.2 s each)."""
    return hash_password(PASSWORD)


@dataclass
class World:
    engine: Engine
    org: dict[str, int] = field(default_factory=dict)  # "A" / "B" → organization id
    loc: dict[str, int] = field(default_factory=dict)  # "A1", "A2", "B1" → location id
    patient: dict[str, int] = field(default_factory=dict)  # "A1" → patient id at that location
    briefing: dict[str, int] = field(default_factory=dict)  # "A1", "A1-old", "orgA", ...
    message: dict[str, int] = field(default_factory=dict)  # "A1", "A1-blocked", "A1-second", ...
    user: dict[str, int] = field(default_factory=dict)  # role (org A) or "ownerB" → user id
    token: dict[str, str] = field(default_factory=dict)  # same keys → API token
    email: dict[str, str] = field(default_factory=dict)

    def scope_key(self, name: str) -> str:
        if name.startswith("org"):
            return f"org:{self.org[name[3:]]}"
        return f"location:{self.loc[name[:2]]}"


PATIENTS = {
    "A1": ("Alice", "Adams", "+12035550101"),
    "A2": ("Bella", "Brown", "+12035550102"),
    "B1": ("Carla", "Cruz", "+16175550103"),
}


def briefing_facts(
    scope: str, label: str, patient_id: int, *, point_dollars: float, at_stake: float
) -> dict[str, Any]:
    fact = {
        "id": "revenue.day",
        "label": f"Net revenue yesterday, {label}",
        "value": 12345.4,
        "unit": "USD",
        "scope": scope,
        "period_start": "2026-11-24",
        "period_end": "2026-11-24",
        "source": "tests",
    }
    return {
        "gathered": {
            "scope": scope,
            "scope_label": label,
            "facts": {"facts": {"revenue.day": fact}},
            "kpi_fact_ids": ["revenue.day"],
        },
        "outline": {
            "points": [{"key": "rebook", "dollars": point_dollars}],
            "call_list": [{"patient_id": patient_id, "dollars_at_stake": at_stake}],
        },
        "written": {
            "headline": f"Headline for {label}",
            "points": [
                {
                    "key": "rebook",
                    "title": f"Rebooking gap at {label}",
                    "text": "Rebooking is below target.",
                    "action": "Offer rebooking at checkout.",
                }
            ],
            "call_list_intro": "Call these patients today.",
            "call_list": [
                {
                    "patient_id": patient_id,
                    "pseudonym": f"P-{patient_id}",
                    "why": "61 days overdue for a neurotoxin visit",
                    "dollars_fact_id": "x",
                }
            ],
            "footer": "Figures from Clarity tools.",
            "writer": "template",
        },
    }


def build_world(engine: Engine) -> World:
    world = World(engine)
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    with Session(engine) as s:
        for key, name in (("A", "Glow Medspa"), ("B", "Harbor Skin")):
            org = Organization(name=name, slug=name.lower().replace(" ", "-"))
            s.add(org)
            s.flush()
            assert org.id is not None
            world.org[key] = org.id
        for key, name in (("A1", "Greenwich"), ("A2", "Westport"), ("B1", "Boston")):
            location = Location(organization_id=world.org[key[0]], name=name)
            s.add(location)
            s.flush()
            assert location.id is not None
            world.loc[key] = location.id
        for key, (first, last, phone) in PATIENTS.items():
            patient = Patient(
                home_location_id=world.loc[key], first_name=first, last_name=last, phone_e164=phone
            )
            s.add(patient)
            s.flush()
            assert patient.id is not None
            world.patient[key] = patient.id
        # Greenwich October sales: 100.00 + 250.00 = 350.00 net; one sale on 2026-11-24 makes
        # that the last day with sales, so the default period is October 2026.
        for index, (day, cents) in enumerate(
            ((date(2026, 10, 5), 10_000), (date(2026, 10, 20), 25_000), (DAY, 5_000))
        ):
            s.add(
                Sale(
                    location_id=world.loc["A1"],
                    item="Neurotoxin",
                    gross_cents=cents,
                    net_cents=cents,
                    paid_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
                    local_date=day,
                    external_id=f"s{index}",
                )
            )
        # Westport: one October sale of 999.00 (never visible to Greenwich-only users).
        s.add(
            Sale(
                location_id=world.loc["A2"],
                item="Filler",
                gross_cents=99_900,
                net_cents=99_900,
                paid_at=datetime(2026, 10, 7, 15, tzinfo=UTC),
                local_date=date(2026, 10, 7),
                external_id="w0",
            )
        )
        # (key, location key or None for the organization, organization, label, patient, day)
        specs: list[tuple[str, str | None, str, str, str, date]] = [
            ("A1", "A1", "A", "Greenwich", "A1", DAY),
            ("A2", "A2", "A", "Westport", "A2", DAY),
            ("B1", "B1", "B", "Boston", "B1", DAY),
            ("orgA", None, "A", "Glow Medspa", "A2", DAY),
            ("orgB", None, "B", "Harbor Skin", "B1", DAY),
            ("A1-old", "A1", "A", "Greenwich (older)", "A1", date(2026, 11, 23)),
        ]
        for key, loc_key, org_key, label, patient_key, day in specs:
            scope = f"location:{world.loc[loc_key]}" if loc_key else f"org:{world.org[org_key]}"
            first, last, _ = PATIENTS[patient_key]
            briefing = Briefing(
                organization_id=world.org[org_key],
                location_id=world.loc[loc_key] if loc_key else None,
                scope=scope,
                for_date=day,
                headline=f"Headline for {label}",
                text_md=f"Stored e-mail text with names resolved: call {first} {last}.",
                writer="template",
                verified=key != "A2",
                verification=(
                    {"passed": True, "checked": 7, "writer": "template"}
                    if key != "A2"
                    else {"passed": False, "reasons": ["x", "y"], "checked": 3}
                ),
                facts=briefing_facts(
                    scope,
                    label,
                    world.patient[patient_key],
                    point_dollars=18750.0,
                    at_stake=4100.0,
                ),
                created_at=now,
            )
            s.add(briefing)
            s.flush()
            assert briefing.id is not None
            world.briefing[key] = briefing.id
        add_messages(s, world, now)
        users = [(role, "A", role) for role in ROLES] + [("ownerB", "B", "owner")]
        for key, org_key, role in users:
            email = f"{key.lower()}@{org_key.lower()}.example.com"
            user = User(
                organization_id=world.org[org_key],
                email=email,
                name=f"{key.title()} User",
                role=role,
                password_hash=password_hash(),
            )
            s.add(user)
            s.flush()
            assert user.id is not None
            world.user[key] = user.id
            world.email[key] = email
            if role != "owner":
                s.add(UserLocation(user_id=user.id, location_id=world.loc["A1"]))
            token = new_api_token()
            world.token[key] = token
            s.add(
                ApiToken(
                    user_id=user.id, name="test", token_hash=token_digest(token), created_at=now
                )
            )
        s.commit()
    return world


#: A passing marketing SMS (the practice named, the booking link, the STOP line).
def sms_text(first: str, practice: str, location_id: int) -> str:
    return (
        f"Hi {first}, it's {practice}. It has been a while; book at "
        f"http://testserver/book/{location_id} Reply STOP to opt out"
    )


def add_messages(s: Session, world: World, now: datetime) -> None:
    """Pending win-back SMS: one per location (passing the policy), and at Greenwich a second
    passing one and one blocked by the `health_detail` rule (names a treatment)."""
    practice = {"A": "Glow Medspa", "B": "Harbor Skin"}
    specs = [
        ("A1", "A1", True),
        ("A1-second", "A1", True),
        ("A1-blocked", "A1", False),
        ("A2", "A2", True),
        ("B1", "B1", True),
    ]
    for key, loc_key, passed in specs:
        first = PATIENTS[loc_key][0]
        body = sms_text(first, practice[loc_key[0]], world.loc[loc_key])
        template = sms_text("{first_name}", "{practice_name}", world.loc[loc_key])
        policy: dict[str, Any] = {"passed": True, "violations": [], "segments": 1}
        if not passed:
            body = body.replace("It has been a while", "Your filler is due")
            template = template.replace("It has been a while", "Your filler is due")
            policy = {
                "passed": False,
                "violations": [
                    {
                        "rule": "health_detail",
                        "detail": "no treatment or health detail in SMS: filler",
                    }
                ],
                "segments": 1,
            }
        message = OutreachMessage(
            patient_id=world.patient[loc_key],
            location_id=world.loc[loc_key],
            channel="sms",
            purpose="win_back",
            body=body,
            template=template,
            state="pending_approval",
            reasons={
                "reason": "usually every 13 weeks, now 20",
                "details": {"dollars_at_stake": 4100.0, "p_return": 0.25, "annual_value": 5466.67},
                "writer_notes": [],
            },
            idempotency_key=f"test:{key}",
            drafted_at=now,
            policy=policy,
            segments=1,
        )
        s.add(message)
        s.flush()
        assert message.id is not None
        world.message[key] = message.id


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def app_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "session_secret": SECRET,
        "var_dir": tmp_path / "var",
        "app_base_url": "http://testserver",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def app(world: World, tmp_path: Path) -> FastAPI:
    return create_app(app_settings(tmp_path), engine=world.engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def csrf_header(client: TestClient) -> dict[str, str]:
    """The double-submit header htmx sends (a GET first makes the app set the cookie)."""
    if "csrftoken" not in client.cookies:
        client.get("/login")
    return {"x-csrftoken": client.cookies["csrftoken"]}


def login(client: TestClient, email: str, password: str = PASSWORD, **form: str) -> Any:
    headers = csrf_header(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, **form},
        headers=headers,
        follow_redirects=False,
    )


def signed_in(app: FastAPI, world: World, key: str) -> TestClient:
    """A client (entered: lifespan running) with a session for user `key`."""
    client = TestClient(app)
    client.__enter__()
    response = login(client, world.email[key])
    assert response.status_code == 303, response.text
    return client


def bearer(world: World, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token[key]}"}
