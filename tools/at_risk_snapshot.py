"""Stored at-risk scores (`AtRiskSnapshot`): the return model is fitted once per organization,
day, horizon and data version and its scores read back by every later briefing of that day —
also in a fresh process, where the in-memory cache of `tools.at_risk` is empty.

Stored per patient: (patient id, p_return, expected visits) as little-endian float64 (patient
ids are exact as float64 below 2^53). A snapshot whose patients differ from the visits loaded
now is ignored (the data changed in a way the version stamp missed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import Engine, select

from store import tables as t
from store.upsert import insert_for

MODEL_VERSION = "1"  # bump when the return model changes, so old snapshots are not read


@dataclass(frozen=True)
class SnapshotKey:
    """What a stored scoring is for: organization, day, horizon and `version_key(...)`."""

    organization_id: int
    as_of: date
    horizon_days: int
    data_version: str


def version_key(data_version: tuple[int, ...]) -> str:
    """The stored `data_version`: the model version and the store's stamp."""
    return f"m{MODEL_VERSION}:" + ":".join(str(part) for part in data_version)


def load(
    engine: Engine, key: SnapshotKey, patients: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(p_return, expected) in the order of `patients`, or None when there is no usable one."""
    s = t.at_risk_snapshot
    with engine.connect() as conn:
        blob = conn.execute(
            select(s.c.scores).where(
                s.c.organization_id == key.organization_id,
                s.c.as_of == key.as_of,
                s.c.horizon_days == key.horizon_days,
                s.c.data_version == key.data_version,
            )
        ).scalar()
    if blob is None:
        return None
    rows = np.frombuffer(bytes(blob), dtype="<f8").reshape(-1, 3)
    if len(rows) != len(patients) or not np.array_equal(rows[:, 0].astype(np.int64), patients):
        return None
    return rows[:, 1].copy(), rows[:, 2].copy()


def save(
    engine: Engine,
    key: SnapshotKey,
    *,
    patients: np.ndarray,
    p_return: np.ndarray,
    expected: np.ndarray,
) -> None:
    """Store the scores (a concurrent run that stored them first wins; same values)."""
    rows = np.column_stack([patients.astype("<f8"), p_return, expected]).astype("<f8")
    statement = (
        insert_for(engine, t.at_risk_snapshot)
        .values(
            **asdict(key),
            patients=len(patients),
            scores=rows.tobytes(),
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing()
    )
    with engine.begin() as conn:
        conn.execute(statement)
