"""Stored at-risk scores (`tools.at_risk_snapshot`): round trip, keys, and the guard against a
snapshot whose patients differ from today's visits."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import Engine, func, select

from store import tables as t
from tests.agent.briefing.sample import seed_store
from tools.at_risk_snapshot import SnapshotKey, load, save, version_key

DAY = date(2026, 11, 24)


def test_version_key_names_the_model_and_the_data() -> None:
    assert version_key((10, 12, 30, 31)) == "m1:10:12:30:31"


def test_round_trip_and_keys(engine: Engine) -> None:
    seed_store(engine)  # organization 1
    key = SnapshotKey(1, DAY, 90, "m1:1:2:3:4")
    patients = np.array([101, 102, 7], dtype=np.int64)
    p_return = np.array([0.25, 0.5, 0.125])
    expected = np.array([0.3, 1.0, 2.5])
    assert load(engine, key, patients) is None
    save(engine, key, patients=patients, p_return=p_return, expected=expected)
    save(engine, key, patients=patients, p_return=p_return, expected=expected)  # no duplicate
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.at_risk_snapshot)).scalar() == 1
    stored = load(engine, key, patients)
    assert stored is not None
    assert stored[0].tolist() == [0.25, 0.5, 0.125]
    assert stored[1].tolist() == [0.3, 1.0, 2.5]
    # Another day, horizon or data version is another snapshot.
    assert load(engine, SnapshotKey(1, date(2026, 11, 23), 90, key.data_version), patients) is None
    assert load(engine, SnapshotKey(1, DAY, 30, key.data_version), patients) is None
    assert load(engine, SnapshotKey(1, DAY, 90, "m1:1:2:3:5"), patients) is None
    # Patients that differ from the stored ones: not usable.
    assert load(engine, key, np.array([101, 102, 8], dtype=np.int64)) is None
    assert load(engine, key, np.array([101, 102], dtype=np.int64)) is None
