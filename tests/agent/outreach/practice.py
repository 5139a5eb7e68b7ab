"""A hand-made practice for outreach tests: one organization ("Glow Studio"), one location in
New York, one provider, a small catalog and patients with chosen consents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from agent.outreach.candidates import Candidate, fact
from store import tables as t

PRACTICE = "Glow Studio"
BASE_URL = "https://glow.example.com"
BOOKING = "https://glow.example.com/book/1"
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 EST: inside the 9–20 window
AS_OF = date(2026, 11, 30)
ANA_PHONE = "+15555550101"
ANA_EMAIL = "ana.canary@example.com"


def build(engine: Engine, **patient_overrides: Any) -> dict[str, int]:
    """Rows: location 1, provider 1 (Maya), services 1 (Botox Cosmetic, neurotoxin) and
    2 (Lip Filler, filler), patient 1 (Ana, both consents) plus `patient_overrides`."""
    with engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=1, name=PRACTICE, slug="glow"))
        conn.execute(
            insert(t.location).values(
                id=1, organization_id=1, name="Glow Studio SoHo", timezone="America/New_York"
            )
        )
        conn.execute(
            insert(t.provider).values(
                id=1, location_id=1, first_name="Maya", last_name="Patel", role="nurse_injector"
            )
        )
        conn.execute(
            insert(t.service),
            [
                {
                    "id": 1,
                    "organization_id": 1,
                    "name": "Botox Cosmetic",
                    "category": "neurotoxin",
                    "rebook_min_days": 84,
                    "rebook_max_days": 112,
                },
                {
                    "id": 2,
                    "organization_id": 1,
                    "name": "Lip Filler",
                    "category": "filler",
                    "rebook_min_days": 180,
                    "rebook_max_days": 365,
                },
            ],
        )
        values = {
            "id": 1,
            "home_location_id": 1,
            "first_name": "Ana",
            "last_name": "Canary",
            "phone_e164": ANA_PHONE,
            "email": ANA_EMAIL,
            "consent_sms_marketing": True,
            "consent_email_marketing": True,
            **patient_overrides,
        }
        conn.execute(insert(t.patient).values(**values))
    return {"location": 1, "patient": 1, "provider": 1}


def win_back(patient_id: int = 1) -> Candidate:
    """A win-back candidate: usually every 13 weeks, now 20."""
    return Candidate(
        patient_id=patient_id,
        location_id=1,
        purpose="win_back",
        facts=[
            fact("weeks_since_visit", "weeks since the last visit", 20, "weeks"),
            fact("usual_interval_weeks", "usual weeks between visits", 13, "weeks"),
        ],
        reason="usually every 13 weeks, now 20",
        provider_id=1,
        details={"dollars_at_stake": 1200.0, "p_return": 0.35},
    )
