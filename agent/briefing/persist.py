"""Storing a briefing: one `Briefing` row per scope and day, enforced by the database.

`INSERT … ON CONFLICT (scope, for_date) DO UPDATE … RETURNING id`: the first run inserts the
row, a later run (or a concurrent one) updates the same row and gets the same id, so its
deliveries — keyed by briefing id — are never repeated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from store import tables as t
from store.upsert import insert_for

KEY = ("scope", "for_date")


def upsert_briefing(engine: Engine, values: dict[str, Any]) -> int:
    """Insert the briefing for `values["scope"]` and `values["for_date"]`, or update the one
    already stored; its id either way."""
    insert = insert_for(engine, t.briefing).values(**values)
    statement = insert.on_conflict_do_update(
        index_elements=list(KEY),
        set_={name: insert.excluded[name] for name in values if name not in KEY},
    ).returning(t.briefing.c.id)
    with engine.begin() as connection:
        briefing_id = connection.execute(statement).scalar_one()
    return int(briefing_id)
