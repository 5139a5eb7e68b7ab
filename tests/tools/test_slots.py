"""Weekday × hour utilization and revenue, and rebooking by treatment type, by hand on the
hand-built practice (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.tools import handmade
from tools.scope import Period, Scope
from tools.slots import rebooking_by_treatment, slot_grid

OCT = Period.month(2026, 10)
BACK_BAY = Scope(1, 1)


@pytest.fixture
def store(engine: Engine) -> Engine:
    handmade.build(engine)
    return engine


def test_slot_grid(store: Engine) -> None:
    # Completed in October at Back Bay: V1 Mon Oct 5 10:00 30 min $500; V2 Tue Oct 6 10:00
    # 30 min $450; V3 Tue Oct 6 11:00 30 min $500; V4 Thu Oct 8 10:00 60 min $800; V5 Fri
    # Oct 9 10:00 30 min $0; V7 Sat Oct 31 23:30 30 min $500.
    grid = slot_grid(store, BACK_BAY, OCT)
    cells = {(c.weekday_name, c.hour): c for c in grid.cells}
    assert set(cells) == {
        ("Mon", 10),
        ("Tue", 10),
        ("Tue", 11),
        ("Thu", 10),
        ("Fri", 10),
        ("Sat", 23),
    }
    # Revenue per booked hour: $500 / 0.5 h = $1,000; $450 / 0.5 h = $900; $800 / 1 h = $800.
    assert cells[("Mon", 10)].revenue_per_booked_hour == pytest.approx(1000.0)
    assert cells[("Tue", 10)].revenue_per_booked_hour == pytest.approx(900.0)
    assert cells[("Thu", 10)].revenue_per_booked_hour == pytest.approx(800.0)
    assert cells[("Fri", 10)].revenue_per_booked_hour == 0.0
    # Shifts: Mon Oct 5 480 min, Tue Oct 6 480 min (Ana), Thu Oct 8 240 min (Ben).
    # Tuesday hours with any appointment: 10 (V2, and V6's no-show on Oct 20) and 11 (V3) →
    # 480 / 2 = 240 available minutes per hour → 30 / 240 = 12.5% in each cell.
    assert cells[("Tue", 10)].utilization_estimate == pytest.approx(0.125)
    assert cells[("Tue", 11)].utilization_estimate == pytest.approx(0.125)
    # Monday: hour 10 only → 30 / 480 = 6.25%. Thursday: hour 10 only (V4, V9) → 60 / 240.
    assert cells[("Mon", 10)].utilization_estimate == pytest.approx(0.0625)
    assert cells[("Thu", 10)].utilization_estimate == pytest.approx(0.25)
    # Friday and Saturday have no shift minutes: no utilization.
    assert cells[("Sat", 23)].utilization_estimate is None
    days = {d.weekday_name: d for d in grid.weekdays}
    # Weekday utilization is exact: Tue 60 / 480 = 12.5%, Mon 30 / 480, Thu 60 / 240.
    assert days["Tue"].utilization == pytest.approx(0.125)
    assert days["Mon"].utilization == pytest.approx(0.0625)
    assert days["Thu"].utilization == pytest.approx(0.25)
    assert days["Fri"].utilization is None and days["Fri"].booked_minutes == 30


def test_rebooking_by_treatment(store: Engine) -> None:
    # Rebookable completed visits in October at Back Bay: neurotoxin V1 V2 V3 V7 (rebooked
    # V1 V2 V7 → 3 of 4 = 75%), filler V4 (not rebooked → 0 of 1). The consultation V5 is not
    # rebookable.
    rows = rebooking_by_treatment(store, BACK_BAY, OCT)
    assert [(r.category, r.eligible, r.rebooked) for r in rows] == [
        ("neurotoxin", 4, 3),
        ("filler", 1, 0),
    ]
    assert rows[0].rate == pytest.approx(0.75) and rows[1].rate == 0.0
