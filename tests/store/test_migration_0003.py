"""Migration 0003_seams: duplicate briefings of one scope and day are merged into the newest,
then the database refuses a second briefing for the same scope and day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from store import tables as t
from store.migrate import current_revision, upgrade

DAY = date(2026, 11, 24)


def briefing(id: int, scope: str, created: datetime) -> dict[str, object]:
    return {
        "id": id,
        "organization_id": 1,
        "scope": scope,
        "for_date": DAY,
        "headline": f"briefing {id}",
        "text_md": "",
        "writer": "template",
        "verified": True,
        "verification": {},
        "facts": {},
        "created_at": created,
    }


def delivery(id: int, briefing_id: int, recipient: str) -> dict[str, object]:
    return {
        "id": id,
        "briefing_id": briefing_id,
        "channel": "outbox",
        "recipient": recipient,
        "status": "delivered",
        "attempts": 1,
    }


def test_upgrade_merges_duplicate_briefings_into_the_newest(bare_engine: Engine) -> None:
    assert upgrade(bare_engine, "ingest_0002") == "ingest_0002"
    with bare_engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=1, name="Org", slug="org"))
        conn.execute(
            insert(t.briefing),
            [
                briefing(1, "org:1", datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),
                briefing(2, "org:1", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),  # the newest: kept
                briefing(3, "org:1", datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
                briefing(4, "location:2", datetime(2026, 11, 25, 7, 0, tzinfo=UTC)),  # alone: kept
            ],
        )
        conn.execute(
            insert(t.briefing_delivery),
            [
                delivery(1, 1, "a@example.com"),  # a's delivery exists on 2: dropped
                delivery(2, 2, "a@example.com"),
                delivery(3, 3, "b@example.com"),  # only on 3: moved to 2
                delivery(4, 4, "a@example.com"),
            ],
        )

    assert upgrade(bare_engine, "0003_seams") == current_revision(bare_engine) == "0003_seams"

    with bare_engine.connect() as conn:
        kept = conn.execute(select(t.briefing.c.id).order_by(t.briefing.c.id)).scalars().all()
        deliveries = conn.execute(
            select(t.briefing_delivery.c.briefing_id, t.briefing_delivery.c.recipient).order_by(
                t.briefing_delivery.c.id
            )
        ).all()
    assert kept == [2, 4]
    assert [tuple(row) for row in deliveries] == [
        (2, "a@example.com"),
        (2, "b@example.com"),
        (4, "a@example.com"),
    ]
    indexes = inspect(bare_engine).get_indexes("briefing")
    assert [(i["name"], i["column_names"], i["unique"]) for i in indexes] == [
        ("ux_briefing_scope_date", ["scope", "for_date"], True)
    ]
    with pytest.raises(IntegrityError), bare_engine.begin() as conn:
        conn.execute(
            insert(t.briefing).values(**briefing(5, "org:1", datetime(2026, 11, 26, tzinfo=UTC)))
        )
