"""At-risk patients on the demo practice: the planted lapsed VIPs come out on top."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from store import tables as t
from tools.at_risk import at_risk_patients


def pattern(manifest: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [p for p in manifest["patterns"] if p["kind"] == kind]
    return found


def test_planted_lapsed_vips_lead_the_neurotoxin_list(demo_engine: tuple[Engine, dict]) -> None:
    """ "Top" = the 40 at-risk patients with the most dollars at stake among those whose last
    treatment was a neurotoxin (the planted group is 40 lapsed VIP neurotoxin patients, so a
    perfect list is exactly them). Precision = planted in that top-40 / 40; recall = planted in
    it / 40 planted — equal here by construction, both must be ≥ 0.8."""
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    planted = set(pattern(manifest, "lapsed_vip_neurotoxin")["patient_ids"])
    rows = at_risk_patients(engine, as_of=as_of, organization_id=manifest["organization_id"])
    stakes = [r.dollars_at_stake for r in rows]
    assert stakes == sorted(stakes, reverse=True)
    top = [r for r in rows if r.last_treatment_category == "neurotoxin"][:40]
    hits = sum(r.patient_id in planted for r in top)
    precision, recall = hits / len(top), hits / len(planted)
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)
    # Every planted patient is listed, overdue, with reasons and no name in them.
    listed = {r.patient_id: r for r in rows}
    assert planted <= set(listed)
    for pid in planted:
        row = listed[pid]
        assert row.days_overdue > 0 and row.pseudonym == f"P-{pid}"
        assert row.reasons[0].startswith(f"{row.days_overdue} days overdue")
        assert 0 < row.p_return < 0.5
        assert row.dollars_at_stake > 0 and {f.unit for f in row.facts} >= {"USD", "percent"}


def test_overdue_arithmetic_of_one_patient(demo_engine: tuple[Engine, dict]) -> None:
    """Recompute one planted patient's schedule from her raw appointments."""
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    pid = min(pattern(manifest, "lapsed_vip_neurotoxin")["patient_ids"])
    a, s = t.appointment, t.service
    with engine.connect() as conn:
        visits = conn.execute(
            select(a.c.local_date, s.c.name, s.c.rebook_max_days)
            .join(s, s.c.id == a.c.service_id)
            .where(a.c.patient_id == pid, a.c.status == "completed")
            .order_by(a.c.local_date, a.c.start_at)
        ).all()
    days = sorted({v.local_date for v in visits})
    last_day, last_service, service_due = days[-1], visits[-1].name, visits[-1].rebook_max_days
    mean_gap = (days[-1] - days[0]).days / (len(days) - 1)  # own cadence
    due = max(service_due, 1.25 * mean_gap)
    expected_overdue = int((as_of - last_day).days - due)  # floor of a positive number
    (row,) = [r for r in at_risk_patients(engine, as_of=as_of) if r.patient_id == pid]
    assert row.last_visit == last_day and row.last_treatment == last_service
    assert row.days_overdue == expected_overdue
    assert row.expected_next_visit == last_day + timedelta(days=round(mean_gap))


def test_location_filter_and_limit(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    rows = at_risk_patients(engine, as_of=as_of, location_id=2, limit=15)
    assert len(rows) == 15 and {r.location_id for r in rows} == {2}


def test_at_stake_is_capped_at_a_plausible_year_not_at_the_last_one(
    demo_engine: tuple[Engine, dict],
) -> None:
    """The decision on "never above what the patient would plausibly spend": at stake =
    annual value × (1 − p_return), annual value = max(last 365 days, mean of the last two
    365-day years) — never above her spend in the better of her last two years. A strict cap
    at the last 12 months ranks lapsed patients by how far they have already drifted (their
    last year shrank because they lapsed): measured here, it drops below the 0.8 precision
    the planted lapsed VIPs need (0.775 on the default demo), while the chosen cap keeps it
    (0.875)."""
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    planted = set(pattern(manifest, "lapsed_vip_neurotoxin")["patient_ids"])
    rows = at_risk_patients(engine, as_of=as_of, organization_id=manifest["organization_id"])
    for row in rows:
        assert row.dollars_at_stake <= row.annual_value + 0.01
        assert row.annual_value >= row.trailing_12m_value
    neuro = [r for r in rows if r.last_treatment_category == "neurotoxin"]

    def precision(stake: Any) -> float:
        top = sorted(neuro, key=stake, reverse=True)[:40]
        return sum(r.patient_id in planted for r in top) / 40

    assert precision(lambda r: r.dollars_at_stake) >= 0.8
    assert precision(lambda r: r.trailing_12m_value * (1 - r.p_return)) < 0.8
