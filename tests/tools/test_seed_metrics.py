"""Seed 001's remaining metrics (`tools.seed_metrics`) on the hand-built practice
(`handmade.py`), SQLite and PostgreSQL, October 2026 unless said; worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, insert

from store import tables as t
from tests.tools import handmade
from tools import seed_metrics as m
from tools.scope import Period, Scope

OCT = Period(date(2026, 10, 1), date(2026, 10, 31))
ORG = Scope(1)


@pytest.fixture
def store(engine: Engine) -> Engine:
    handmade.build(engine)
    return engine


def test_cost_per_lead(store: Engine) -> None:
    # Spend Oct: google $600 + meta $300 = $900; leads created in Oct: Oct 1, 2, 3, 4 = 4
    # (the referral lead of Sep 20 is outside) → $225.
    kpi = m.cost_per_lead(store, ORG, OCT)
    assert (kpi.value, kpi.numerator, kpi.denominator) == (225.0, 900.0, 4)


def test_revenue_per_patient(store: Engine) -> None:
    # Oct revenue: Back Bay 500 + 450 + 500 + 800 + 500 − 450 + 99 = 2,399, Austin 300 →
    # 2,699; patients with a completed October visit P1–P6 = 6 → $449.83.
    kpi = m.revenue_per_patient(store, ORG, OCT)
    assert kpi.value == pytest.approx(449.83) and kpi.denominator == 6
    assert m.revenue_per_patient(store, Scope(1, 1), OCT).value == pytest.approx(399.83)
    # Austin saw nobody in October: no value.
    assert m.revenue_per_patient(store, Scope(1, 2), OCT).value is None


def test_cost_per_retained_patient(store: Engine) -> None:
    # New in October (first completed visit ever): P2, P3, P4, P5, P6. None completed another
    # visit (P2's filler was a no-show, the rest are bookings) → no value.
    kpi = m.cost_per_retained_patient(store, ORG, OCT)
    assert kpi.value is None and kpi.details == {"new_patients": 5, "retained": 0}
    # P3 comes back on Nov 20 (within 365 days of Oct 6) → 1 retained: $900 / 1.
    start = handmade.local(1, date(2026, 11, 20), 10)
    with store.begin() as conn:
        conn.execute(
            insert(t.appointment),
            [
                {
                    "id": 500,
                    "patient_id": 3,
                    "provider_id": 1,
                    "location_id": 1,
                    "service_id": 1,
                    "start_at": start,
                    "end_at": start,
                    "local_date": date(2026, 11, 20),
                    "local_hour": 10,
                    "duration_minutes": 30,
                    "status": "completed",
                    "booked_at": start,
                }
            ],
        )
    kpi = m.cost_per_retained_patient(store, ORG, OCT)
    assert kpi.value == 900.0 and kpi.details == {"new_patients": 5, "retained": 1}


def test_cac_by_first_treatment(store: Engine) -> None:
    # Channel CAC in October: google $600 / 2 new (P2, P3) = $300; meta $300 / 1 (P4) = $300;
    # referral (P5) and unknown (P6) have no spend: $0.
    # First visits: P2, P3, P6 Botox (neurotoxin) → (300 + 300 + 0) / 3 = $200;
    # P4 Filler → $300; P5 Consultation → $0.
    rows = {r.category: r for r in m.cac_by_first_treatment(store, ORG, OCT)}
    assert [r.category for r in m.cac_by_first_treatment(store, ORG, OCT)] == [
        "neurotoxin",
        "consult",
        "filler",
    ]
    assert (rows["neurotoxin"].new_patients, rows["neurotoxin"].spend_allocated) == (3, 600.0)
    assert rows["neurotoxin"].cac == 200.0
    assert (rows["filler"].new_patients, rows["filler"].cac) == (1, 300.0)
    assert (rows["consult"].new_patients, rows["consult"].cac) == (1, 0.0)


def test_rebooking_by_cohort(store: Engine) -> None:
    # Eligible October visits: V1 (P1, seen in 2025: returning), V2 (P2), V3 (P3), V4 (P4),
    # V7 (P6) — each the patient's first visit: new. Rebooked V1, V2, V7.
    # New 2 of 4 = 50%; returning 1 of 1 = 100%.
    rows = {r.cohort: r for r in m.rebooking_by_cohort(store, Scope(1, 1), OCT)}
    assert (rows["new"].eligible, rows["new"].rebooked, rows["new"].rate) == (4, 2, 0.5)
    assert (rows["returning"].eligible, rows["returning"].rebooked) == (1, 1)
    assert rows["returning"].rate == 1.0


def test_revenue_per_provider_hour_after_compensation(store: Engine) -> None:
    # Ana: payroll covers all of October: pay 1,600 + 1,600 = $3,200; production 500 + 450 +
    # 500 + 500 − 450 = $1,500, cost of goods 4 × 150 = $600 → −$2,300 over 16 shift hours
    # (Oct 5 and 6, 480 min each) = −$143.75 an hour.
    # Ben: no payroll → unknown. Cy: payroll covers October but he has no shifts → unknown.
    rows = {k.scope: k for k in m.adjusted_revenue_per_provider_hour(store, ORG, OCT)}
    assert rows["provider:1"].value == pytest.approx(-143.75)
    assert rows["provider:1"].numerator == pytest.approx(-2_300.0)
    assert rows["provider:1"].denominator == pytest.approx(16.0)
    assert rows["provider:2"].value is None
    assert rows["provider:3"].value is None


def test_treatment_mix_and_margin_per_location(store: Engine) -> None:
    # Back Bay, October: Botox 500 + 450 + 500 + 500 − 450 (refund) = $1,500, cost of goods
    # 4 × 150 = $600; Filler $800, $240; membership $99, $0 → revenue $2,399, margin
    # (2,399 − 840) / 2,399 = 64.99%. Austin: retail $300, cost $100 → 66.67%.
    rows = {r.name: r for r in m.location_mix(store, ORG, OCT)}
    assert rows["Back Bay"].revenue == pytest.approx(2_399.0)
    assert rows["Back Bay"].margin == pytest.approx(1_559 / 2_399, abs=1e-6)
    assert [line.item for line in rows["Back Bay"].top] == ["Botox", "Filler", "membership"]
    assert rows["Austin"].margin == pytest.approx(200 / 300, abs=1e-6)


def test_more_metrics_bundle(store: Engine) -> None:
    more = m.more_metrics(store, Scope(1, 1), OCT)
    by_kpi = {k.kpi: k.value for k in more.kpis}
    # Back Bay: cost per lead $900 / 4; revenue per patient $2,399 / 6.
    assert by_kpi["cost_per_lead"] == 225.0
    assert by_kpi["revenue_per_patient"] == pytest.approx(399.83)
    assert {"revenue_per_member", "membership_conversion"} <= set(by_kpi)
    assert [r.cohort for r in more.rebooking_by_cohort] == ["new", "returning"]
