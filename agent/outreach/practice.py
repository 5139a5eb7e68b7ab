"""What the outreach flow reads about a practice and a patient from the store: the policy
config (name, booking URL, catalog terms), the location's time zone, the patient's contact
facts and outreach history, and the values that fill a draft's placeholders. Only
`identity_values` returns PHI (a first name); it is called after the writer is done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from agent.outreach.eligibility import OPEN_STATES, SENT_STATES, ContactFacts, History
from agent.outreach.policy import PolicyConfig, catalog_terms
from store import tables as t


def booking_url(base_url: str, location_id: int) -> str:
    """The practice's booking link: `<app base URL>/book/<location id>`."""
    return f"{base_url.rstrip('/')}/book/{location_id}"


def location_info(engine: Engine, location_id: int) -> tuple[str, str, int]:
    """(practice name, IANA time zone, organization id) of a location."""
    loc, org = t.location, t.organization
    with engine.connect() as conn:
        row = conn.execute(
            select(org.c.name, loc.c.timezone, loc.c.organization_id)
            .join(org, org.c.id == loc.c.organization_id)
            .where(loc.c.id == location_id)
        ).first()
    if row is None:
        raise ValueError(f"no location with id {location_id}")
    return str(row.name), str(row.timezone), int(row.organization_id)


def policy_config(engine: Engine, location_id: int, base_url: str, **options: Any) -> PolicyConfig:
    """The rules a draft of the location is checked against: its name, booking link and
    catalog terms, and the SMS segment limit and service-in-e-mail flag of the location's
    policy (`location_policy.policy_for`; `options` override them)."""
    from agent.outreach.location_policy import policy_for

    name, _tz, org_id = location_info(engine, location_id)
    stored = policy_for(engine, location_id)
    options = {
        "max_segments": stored.max_segments,
        "allow_service_in_email": stored.allow_service_in_email,
        **options,
    }
    s = t.service
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.c.name, s.c.category).where(s.c.organization_id == org_id)
        ).all()
    terms = catalog_terms([r.name for r in rows], [r.category for r in rows])
    return PolicyConfig(
        practice_name=name,
        booking_url=booking_url(base_url, location_id),
        catalog_terms=terms,
        **options,
    )


def last_service(engine: Engine, patient_id: int) -> str | None:
    """The service name of the patient's latest completed appointment (None without one):
    what an e-mail may name when the location allows it (`allow_service_in_email`)."""
    a, s = t.appointment, t.service
    with engine.connect() as conn:
        name = conn.execute(
            select(s.c.name)
            .join(a, a.c.service_id == s.c.id)
            .where(a.c.patient_id == patient_id, a.c.status == "completed")
            .order_by(a.c.start_at.desc(), a.c.id.desc())
            .limit(1)
        ).scalar()
    return str(name) if name is not None else None


def contact_facts(engine: Engine, patient_id: int) -> ContactFacts | None:
    p = t.patient
    with engine.connect() as conn:
        row = conn.execute(select(p).where(p.c.id == patient_id)).mappings().first()
    if row is None:
        return None
    return ContactFacts(
        patient_id=patient_id,
        has_phone=bool(row["phone_e164"]),
        has_email=bool(row["email"]),
        consent_sms_transactional=bool(row["consent_sms_transactional"]),
        consent_sms_marketing=bool(row["consent_sms_marketing"]),
        consent_email_transactional=bool(row["consent_email_transactional"]),
        consent_email_marketing=bool(row["consent_email_marketing"]),
        sms_opted_out=row["sms_opted_out_at"] is not None,
        email_opted_out=row["email_opted_out_at"] is not None,
    )


def history(engine: Engine, patient_id: int, *, exclude_key: str | None = None) -> History:
    """Open messages (other than the one being drafted under `exclude_key`) and send times."""
    m = t.outreach_message
    with engine.connect() as conn:
        open_query = select(func.count()).where(
            m.c.patient_id == patient_id, m.c.state.in_(OPEN_STATES)
        )
        if exclude_key is not None:
            open_query = open_query.where(m.c.idempotency_key != exclude_key)
        open_count = int(conn.execute(open_query).scalar_one())
        sent = conn.execute(
            select(m.c.sent_at).where(
                m.c.patient_id == patient_id,
                m.c.state.in_(SENT_STATES),
                m.c.sent_at.is_not(None),
            )
        ).scalars()
        sent_at = tuple(s if s.tzinfo else s.replace(tzinfo=UTC) for s in sent)
    return History(open_messages=open_count, sent_at=sent_at)


def identity_values(
    engine: Engine, *, patient_id: int, provider_id: int | None, practice_name: str, link: str
) -> dict[str, str]:
    """The placeholder values: `{first_name}`, `{provider_name}`, `{practice_name}`,
    `{booking_link}`. A missing provider reads "our team"."""
    p, pr = t.patient, t.provider
    with engine.connect() as conn:
        first = conn.execute(select(p.c.first_name).where(p.c.id == patient_id)).scalar()
        provider = (
            conn.execute(select(pr.c.first_name).where(pr.c.id == provider_id)).scalar()
            if provider_id is not None
            else None
        )
    return {
        "first_name": str(first or "there"),
        "provider_name": str(provider or "our team"),
        "practice_name": practice_name,
        "booking_link": link,
    }


def now_utc() -> datetime:
    return datetime.now(UTC)
