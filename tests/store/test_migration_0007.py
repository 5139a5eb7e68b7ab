"""Migration 0007_webapp_admin: audit events get their organization and location; the
outreach ones written before are back-filled from their message's location, others stay
NULL; downgrade drops the columns again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert, inspect, select

from store import tables as t
from store.migrate import current_revision, upgrade

AT = datetime(2026, 11, 24, 12, tzinfo=UTC)


def _audit(id: int, entity_type: str, entity_id: str) -> dict[str, object]:
    return {
        "id": id,
        "occurred_at": AT,
        "actor": "a@example.com",
        "action": "outreach.approve" if entity_type == "outreach_message" else "other",
        "entity_type": entity_type,
        "entity_id": entity_id,
        "details": {},
    }


def test_upgrade_backfills_outreach_audit_rows(bare_engine: Engine) -> None:
    assert upgrade(bare_engine, "0006_schedules") == "0006_schedules"
    with bare_engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=1, name="Org", slug="org"))
        conn.execute(insert(t.organization).values(id=2, name="Other", slug="other"))
        conn.execute(insert(t.location).values(id=10, organization_id=1, name="A"))
        conn.execute(insert(t.location).values(id=20, organization_id=2, name="B"))
        for pid, loc in ((1, 10), (2, 20)):
            conn.execute(
                insert(t.patient).values(
                    id=pid, home_location_id=loc, first_name="X", last_name="Y"
                )
            )
            conn.execute(
                insert(t.outreach_message).values(
                    id=pid * 100,
                    patient_id=pid,
                    location_id=loc,
                    channel="sms",
                    purpose="win_back",
                    body="b",
                    state="approved",
                    reasons={},
                    idempotency_key=f"k{pid}",
                    writer="template",
                    drafted_at=AT,
                )
            )
        conn.execute(
            insert(t.audit_event),
            [
                _audit(1, "outreach_message", "100"),
                _audit(2, "outreach_message", "200"),
                _audit(3, "user", "5"),  # cannot be attributed: stays NULL
            ],
        )

    assert upgrade(bare_engine, "0007_webapp_admin") == current_revision(bare_engine)

    a = t.audit_event
    with bare_engine.connect() as conn:
        rows = conn.execute(
            select(a.c.id, a.c.organization_id, a.c.location_id).order_by(a.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [(1, 1, 10), (2, 2, 20), (3, None, None)]


def test_downgrade_drops_the_columns(bare_engine: Engine) -> None:
    from alembic import command

    from store.migrate import alembic_config

    upgrade(bare_engine, "0007_webapp_admin")
    command.downgrade(alembic_config(bare_engine), "0006_schedules")
    assert current_revision(bare_engine) == "0006_schedules"
    columns = {c["name"] for c in inspect(bare_engine).get_columns("auditevent")}
    assert "organization_id" not in columns and "location_id" not in columns
