"""Stored revenue forecasts (`ForecastSnapshot`): an organization's forecast — every location, every
horizon — is computed once per day, horizons and data version, then read back by every later
caller of that day (each location's briefing, the CLI, the dashboard, chat), also in a fresh
process. Computing it loads two years of the whole organization's appointments (0.7 s on the
demo); reading it is one indexed row.

Data version of a forecast = the model version and the largest id of the tables it reads
(appointments, sales, services, locations) with the number of finished ingest runs and the
rows they inserted or updated: an import — also one that only updates rows — changes it.
Writes outside imports (an ad-hoc SQL `UPDATE`) are not seen, as for `store.data_version`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from store import tables as t
from store.data_version import stamps
from store.upsert import insert_for

MODEL_VERSION = "1"  # bump when the forecast model changes, so old snapshots are not read

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotKey:
    """What a stored forecast is for: organization, day, horizons ("30,60,90"), data version."""

    organization_id: int
    as_of: date
    horizons: str
    data_version: str


def data_version(engine: Engine) -> str:
    """The stored `data_version` of a forecast made now (module docstring)."""
    with engine.connect() as conn:
        row = conn.execute(stamps((t.appointment, t.sale, t.service, t.location))).one()
    return f"m{MODEL_VERSION}:" + ":".join(str(value or 0) for value in row)


def key_for(
    engine: Engine, organization_id: int, as_of: date, horizons: tuple[int, ...]
) -> SnapshotKey:
    """The key of the organization's forecast as of `as_of` for `horizons`, with today's data."""
    return SnapshotKey(
        organization_id, as_of, ",".join(str(h) for h in horizons), data_version(engine)
    )


def load(engine: Engine, key: SnapshotKey) -> dict[str, Any] | None:
    """The stored forecast (`RevenueForecast` as JSON), or None when there is none."""
    s = t.forecast_snapshot
    with engine.connect() as conn:
        result = conn.execute(
            select(s.c.result).where(
                s.c.organization_id == key.organization_id,
                s.c.as_of == key.as_of,
                s.c.horizons == key.horizons,
                s.c.data_version == key.data_version,
            )
        ).scalar()
    return dict(result) if result is not None else None


def save(engine: Engine, key: SnapshotKey, result: dict[str, Any]) -> None:
    """Store the forecast (a concurrent run that stored it first wins; same values). A store
    that cannot take the write now (SQLite busy past its timeout) costs only the reuse: the
    forecast in hand is still returned, so the failure is logged, not raised."""
    statement = (
        insert_for(engine, t.forecast_snapshot)
        .values(
            organization_id=key.organization_id,
            as_of=key.as_of,
            horizons=key.horizons,
            data_version=key.data_version,
            result=result,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    )
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    except OperationalError as error:
        log.warning("forecast snapshot not stored: %s", error.orig.__class__.__name__)
