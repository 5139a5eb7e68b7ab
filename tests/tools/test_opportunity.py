"""Total opportunity on the hand-built practice (`handmade.py`), SQLite and PostgreSQL: each gap
worked out by hand in the comments, as of 2026-10-31, year = 2025-11-01 … 2026-10-31."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from tests.tools import handmade
from tools.opportunity import Opportunity, total_opportunity
from tools.targets import Targets

OCT_31 = date(2026, 10, 31)


@pytest.fixture
def store(engine: Engine) -> Engine:
    handmade.build(engine)
    return engine


def _gaps(result: Opportunity, location_id: int) -> dict[str, float]:
    (row,) = [r for r in result.by_location if r.location_id == location_id]
    return {g.gap: g.dollars_per_year for g in row.gaps}


def test_each_gap_at_the_seed_targets(store: Engine) -> None:
    result = total_opportunity(store, organization_id=1, as_of=OCT_31)
    assert (result.period_start, result.period_end) == (date(2025, 11, 1), OCT_31)
    back_bay = _gaps(result, 1)
    # Rebooking: eligible V1 V2 V3 V4 V7 = 5, rebooked V1 V2 V7 = 3; 60% × 5 − 3 = 0 → $0.
    assert back_bay["rebooking"] == 0.0
    # Capacity, per provider (the utilization finding's formula over the year):
    # Ana 150 of 960 min = 15.625%, production 500+450+500+500−450 = $1,500 / 2.5 h = $600/h →
    # (0.65 − 0.15625) × 16 h × 600 = $4,740; Ben 60 of 240 = 25%, $800/h →
    # (0.65 − 0.25) × 4 × 800 = $1,280. Sum $6,020.
    assert back_bay["capacity"] == pytest.approx(6_020.0)
    # Compensation: Ana's payroll covers Sep 16–Oct 31 = 46 days, pay 1,500 + 1,600 + 1,600 =
    # $4,700 against $1,500 production → ratio 313% > 50%: (4,700/1,500 − 0.40) × 1,500 =
    # $4,100 over 46 days × 365/46 = $32,532.61. Ben has no payroll: $0.
    assert back_bay["compensation"] == pytest.approx(32_532.61, abs=0.01)
    # Retention: cohort seen Nov 2024–Oct 2025 at Back Bay P1 P7 P8 P9 = 4; back within the
    # year P1 (Oct 5) and P8 (Austin, Feb 1) → 50% ≥ 35% target → $0.
    assert back_bay["retention"] == 0.0
    # No-shows: completed V1 V2 V3 V4 V5 V7 = 6, no-shows V6 V8 and P9's Apr 1 = 3 → 1/3;
    # (1/3 − 0.175) × 9 = 1.425 excess × ticket (500+450+500+800+0+500)/6 = $458.33 = $653.13.
    assert back_bay["no_show"] == pytest.approx(653.125, abs=0.01)
    (bb,) = [r for r in result.by_location if r.location_id == 1]
    # Back Bay revenue: 500 + 450 + 500 + 800 + 500 − 450 + 99 = $2,399.
    assert bb.revenue_year == pytest.approx(2_399.0)
    assert bb.total_per_year == pytest.approx(6_020 + 32_532.61 + 653.13, abs=0.02)
    assert bb.share_of_revenue == pytest.approx((6_020 + 32_532.61 + 653.13) / 2_399, abs=1e-5)

    austin = _gaps(result, 2)
    # Austin: P8's Feb 1 Botox is eligible, not rebooked, but has no sale: value $0 → $0.
    # No shifts → capacity $0. No no-shows. No cohort a year earlier → retention $0.
    # Cy's payroll covers Sep 26–Oct 31 = 36 days, pay 1,000 + 2,600 = $3,600 against the $300
    # retail sale → ratio 12: (12 − 0.40) × 300 = $3,480 × 365/36 = $35,283.33.
    assert austin == {
        "rebooking": 0.0,
        "capacity": 0.0,
        "compensation": pytest.approx(35_283.33, abs=0.01),
        "retention": 0.0,
        "no_show": 0.0,
    }
    # The organization sums its locations; revenue 2,399 + 300 = 2,699.
    assert result.gaps["compensation"] == pytest.approx(32_532.61 + 35_283.33, abs=0.01)
    assert result.revenue_year == pytest.approx(2_699.0)
    total = 6_020 + 32_532.61 + 653.13 + 35_283.33
    assert result.total_per_year == pytest.approx(total, abs=0.03)
    assert result.share_of_revenue == pytest.approx(total / 2_699, abs=1e-5)
    facts = {f.id: f.value for f in result.facts}
    assert facts["opportunity.org-1.2026-10-31.total"] == pytest.approx(total, abs=0.03)


def test_higher_targets_open_the_rebooking_and_retention_gaps(store: Engine) -> None:
    higher = replace(Targets.default(), rebooking_rate=0.80, retention_12m=0.75)
    result = total_opportunity(store, organization_id=1, as_of=OCT_31, targets=higher)
    back_bay = _gaps(result, 1)
    # Rebooking 80% × 5 − 3 = 1 visit × $550 ((500+450+500+800+500)/5) = $550.
    assert back_bay["rebooking"] == pytest.approx(550.0)
    # Retention (0.75 − 0.50) × 4 = 1 patient × revenue per patient $2,399 / 6 seen
    # (P1–P6 completed a visit) = $399.83.
    assert back_bay["retention"] == pytest.approx(399.83, abs=0.01)


def test_one_location(store: Engine) -> None:
    result = total_opportunity(store, organization_id=1, as_of=OCT_31, location_id=2)
    assert [r.location_id for r in result.by_location] == [2]
    assert result.total_per_year == pytest.approx(35_283.33, abs=0.01)
