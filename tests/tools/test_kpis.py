"""Every KPI against the hand-built practice of `handmade.py` (read its docstring first).

Expected values are computed by hand in the comments; every test runs on SQLite and PostgreSQL
through the `engine` fixture.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from tests.tools import handmade
from tools import kpis
from tools.kpi_base import ScopeError
from tools.scope import Period, Scope
from tools.vip import lapsing_vips

OCT = Period.month(2026, 10)
ORG = Scope(1)
BACK_BAY = Scope(1, 1)
AUSTIN = Scope(1, 2)
ANA, BEN, CY = Scope(1, provider_id=1), Scope(1, provider_id=2), Scope(1, provider_id=3)


@pytest.fixture
def store(engine: Engine) -> Engine:
    handmade.build(engine)
    return engine


def test_rebooking_rate(store: Engine) -> None:
    # Eligible (completed, rebookable) in October at Back Bay: V1 V2 V3 V4 V7 = 5 (V5 is a
    # consultation). Rebooked within end + 1 day: V1 (checkout), V2 (+23.5 h), V7 (checkout);
    # V3 was booked 1 day and 1 minute after the visit ended; V4 has no next appointment.
    value = kpis.rebooking_rate(store, BACK_BAY, OCT)
    assert (value.numerator, value.denominator) == (3, 5)
    assert value.value == pytest.approx(3 / 5)
    # Net sales of the eligible visits: 500 + 450 + 500 + 800 + 500 = 2,750 → 550 per visit.
    assert value.details["average_visit_value_usd"] == pytest.approx(550.0)
    assert value.fact.id == "rebooking_rate.location-1.2026-10"
    # Ana: V1 V2 V3 V7 → 3/4; Ben: V4 → 0/1.
    assert kpis.rebooking_rate(store, ANA, OCT).value == pytest.approx(0.75)
    assert kpis.rebooking_rate(store, BEN, OCT).value == 0
    # Category filter: fillers only → V4 → 0/1.
    assert kpis.rebooking_rate(store, BACK_BAY, OCT, category="filler").denominator == 1


def test_visit_at_2330_local_belongs_to_that_local_day(store: Engine) -> None:
    # V7 starts Oct 31 23:30 New York = Nov 1 03:30 UTC; its sale is paid 23:35 local.
    november = Period.month(2026, 11)
    assert kpis.rebooking_rate(store, BACK_BAY, november).denominator == 0
    # November revenue at Back Bay is only the Nov 2 product sale ($40), not V7's $500.
    assert kpis.net_revenue(store, BACK_BAY, november).value == pytest.approx(40.0)
    assert kpis.revenue_series(store, BACK_BAY, date(2026, 10, 30), date(2026, 11, 2), "day") == [
        (date(2026, 10, 30), 0.0),
        (date(2026, 10, 31), 500.0),
        (date(2026, 11, 1), 0.0),
        (date(2026, 11, 2), 40.0),
    ]


def test_zero_denominators_are_none(store: Engine) -> None:
    # Austin has no appointments, shifts or members in October.
    for function in (
        kpis.rebooking_rate,
        kpis.no_show_rate,
        kpis.late_cancel_rate,
        kpis.utilization,
        kpis.revenue_per_provider_hour,
        kpis.retention_12m,
        kpis.membership_churn,
        kpis.membership_conversion,
    ):
        value = function(store, AUSTIN, OCT)
        assert value.value is None, function.__name__
        assert value.fact.display() == "n/a"


def test_no_show_and_late_cancel_rates(store: Engine) -> None:
    # Back Bay, October: completed V1 V2 V3 V4 V5 V7 = 6; no-shows V6, V8 = 2; late cancel V9;
    # cancelled V10 and the Oct 19 booking count nowhere.
    no_show = kpis.no_show_rate(store, BACK_BAY, OCT)
    assert (no_show.numerator, no_show.denominator) == (2, 8)  # 2 / (6 + 2) = 25%
    # Value of the missed visits at list price: Botox $500 + Filler $800.
    assert no_show.details["no_show_value_usd"] == pytest.approx(1300.0)
    late = kpis.late_cancel_rate(store, BACK_BAY, OCT)
    assert late.value == pytest.approx(1 / 9)  # 1 / (6 + 2 + 1)


def test_utilization_and_revenue_per_provider_hour(store: Engine) -> None:
    # Completed minutes: V1 30 + V2 30 + V3 30 + V4 60 + V5 30 + V7 30 = 210.
    # Shifts: Ana 480 + 480, Ben 240 = 1,200 → 17.5%.
    value = kpis.utilization(store, BACK_BAY, OCT)
    assert (value.numerator, value.denominator) == (210, 1200)
    assert value.value == pytest.approx(0.175)
    # Ana: 150 / 960; Ben: 60 / 240.
    assert kpis.utilization(store, ANA, OCT).value == pytest.approx(150 / 960)
    assert kpis.utilization(store, BEN, OCT).value == pytest.approx(0.25)
    # Provider production: 500 + 450 + 500 + 800 + 500 − 450 (refund) = $2,300 over 20 h.
    assert kpis.revenue_per_provider_hour(store, BACK_BAY, OCT).value == pytest.approx(115.0)


def test_net_revenue_counts_refunds_and_memberships(store: Engine) -> None:
    # Back Bay: 500 + 450 + 500 + 800 + 500 − 450 (refund) + 99 (membership) = $2,399.
    assert kpis.net_revenue(store, BACK_BAY, OCT).value == pytest.approx(2399.0)
    # Organization adds Austin's $300 product sale.
    assert kpis.net_revenue(store, ORG, OCT).value == pytest.approx(2699.0)
    # Ana's production: 500 + 450 + 500 + 500 − 450 = $1,500.
    assert kpis.net_revenue(store, ANA, OCT).value == pytest.approx(1500.0)
    assert kpis.revenue_series(store, BACK_BAY, date(2026, 10, 1), date(2026, 11, 30), "month") == [
        (date(2026, 10, 1), 2399.0),
        (date(2026, 11, 1), 40.0),
    ]
    weeks = kpis.revenue_series(store, BACK_BAY, date(2026, 10, 5), date(2026, 10, 18), "week")
    # Week of Mon Oct 5: 500 + 450 + 500 + 800 + 99 (Oct 10); week of Oct 12: −450 refund.
    assert weeks == [(date(2026, 10, 5), 2349.0), (date(2026, 10, 12), -450.0)]


def test_retention_12m(store: Engine) -> None:
    # Anchored on Oct 31 2026: cohort = completed visits 2024-11-01..2025-10-31 at Back Bay:
    # P1, P7, P8, P9 = 4. Returned 2025-11-01..2026-10-31 anywhere in the organization:
    # P1 (V1), P8 (Austin, Feb 2026); P7 never, P9 only a no-show → 2 / 4.
    value = kpis.retention_12m(store, BACK_BAY, OCT)
    assert (value.numerator, value.denominator) == (2, 4)
    assert value.value == pytest.approx(0.5)


def test_provider_pnl_with_proration_and_unknown_compensation(store: Engine) -> None:
    rows = {row.provider_id: row for row in kpis.provider_pnl(store, ORG, OCT)}
    ana, ben, cy = rows[1], rows[2], rows[3]
    # Ana: payroll Oct 1–15 (1,000 + 400 + 100 + 100) + Oct 16–31 (1,000 + 500 + 100) = 3,200;
    # cost of goods 150 × 4 Botox lines = 600; production 1,500 → profit −2,300.
    assert ana.compensation == pytest.approx(3200.0)
    assert ana.cost_of_goods == pytest.approx(600.0)
    assert ana.profit == pytest.approx(1500.0 - 3200.0 - 600.0)
    assert ana.comp_to_production == pytest.approx(3200 / 1500)
    # Ben has no payroll rows: compensation unknown, not 0, and so is profit.
    assert ben.compensation is None and ben.profit is None and not ben.compensation_known
    assert ben.production == pytest.approx(800.0)
    assert ben.cost_of_goods == pytest.approx(240.0)
    # Cy: Sep 26–Oct 5 pays 1,000 for 10 days, 5 of them in October → 500; Oct 6–31 → 2,600.
    assert cy.compensation == pytest.approx(3100.0)
    assert cy.payroll_days_covered == 5 + 26
    assert cy.profit == pytest.approx(300.0 - 3100.0 - 100.0)
    facts = {fact.id: fact for fact in ben.facts}
    assert facts["provider_pnl.provider-2.2026-10.compensation"].display() == "n/a"


def test_pnl_over_a_period_payroll_covers_partly(store: Engine) -> None:
    # Oct 20–Nov 18 (30 days); Ana's payroll ends Oct 31, Cy's Nov 15.
    period = Period(date(2026, 10, 20), date(2026, 11, 18))
    rows = {row.provider_id: row for row in kpis.provider_pnl(store, ORG, period)}
    ana, cy = rows[1], rows[3]
    # Ana: Oct 16–31 pays 1,000 + 500 + 0 + 100 = 1,600 for 16 days; Oct 20–31 = 12 days of it
    # → 1,600 × 12/16 = 1,200. Sales: V7 Oct 31 $500 (cogs 150) and the Nov 2 product $40
    # (cogs 20); only Oct 20–31 is covered → covered production 500, covered cogs 150.
    assert ana.compensation == pytest.approx(1200.0)
    assert (ana.production, ana.production_covered) == (pytest.approx(540.0), pytest.approx(500.0))
    assert ana.cost_of_goods_covered == pytest.approx(150.0)
    assert ana.profit == pytest.approx(500.0 - 1200.0 - 150.0)  # not 540 − 1,200 − 170
    assert ana.comp_to_production == pytest.approx(1200 / 500)
    assert (ana.payroll_days_covered, ana.period_days, ana.payroll_partial) == (12, 30, True)
    assert ana.payroll_note == "payroll covers 12 of 30 days"
    assert "payroll covers 12 of 30 days" in ana.facts[0].label
    # Cy: Oct 6–31 pays 2,600 for 26 days → 12/26 of it = 1,200, plus Nov 1–15 1,000 = 2,200
    # over 12 + 15 = 27 days; no sales in the window → no ratio.
    assert cy.compensation == pytest.approx(2200.0)
    assert cy.payroll_note == "payroll covers 27 of 30 days"
    assert cy.comp_to_production is None
    # The KPI: (1,200 + 2,200) / (500 + 0) over the covered days, flagged as partial.
    value = kpis.comp_to_production(store, ORG, period)
    assert value.value == pytest.approx(3400 / 500)
    assert value.details["payroll_partial"] is True
    assert value.details["payroll_days_covered"] == {1: 12, 3: 27}
    assert value.label == "Comp-to-production ratio (payroll covers 12–27 of 30 days)"
    # October is fully covered for both: no flag.
    october = {row.provider_id: row for row in kpis.provider_pnl(store, ORG, OCT)}
    assert not october[1].payroll_partial and october[1].payroll_note is None
    assert kpis.comp_to_production(store, ORG, OCT).details["payroll_partial"] is False


def test_comp_to_production_skips_providers_without_payroll(store: Engine) -> None:
    # (Ana 3,200 + Cy 3,100) / (Ana 1,500 + Cy 300) — Ben (no payroll) is left out of both.
    value = kpis.comp_to_production(store, ORG, OCT)
    assert value.value == pytest.approx(6300 / 1800)
    assert value.details["providers_without_payroll"] == [2]
    assert kpis.comp_to_production(store, BEN, OCT).value is None


def test_vip_concentration_and_list(store: Engine) -> None:
    # Trailing 12 months ending Oct 31 2026, revenue per patient: P1 599 (500 + 99), P2 0
    # (refunded: left out), P3 500, P4 800, P6 500, P8 300 → 5 paying patients, top ⌈10%⌉ = 1.
    value = kpis.vip_concentration(store, ORG, OCT)
    assert value.value == pytest.approx(800 / 2699)
    assert value.details == {"vip_patients": 1, "paying_patients": 5}
    (vip,) = kpis.vip_list(store, ORG, OCT)
    assert (vip.patient, vip.revenue_12m, vip.last_visit) == ("P-4", 800.0, date(2026, 10, 8))


def test_new_patients_and_cac_by_channel(store: Engine) -> None:
    # First completed visit ever in October: P2, P3 (google_ads), P4 (meta_ads), P5 (referral),
    # P6 (no channel). P1 had a visit in 2025.
    new = kpis.new_patients(store, BACK_BAY, OCT)
    assert new.value == 5
    assert new.details["by_channel"] == {
        "google_ads": 2,
        "meta_ads": 1,
        "referral": 1,
        "unknown": 1,
    }
    by_channel = {v.details["channel"]: v for v in kpis.cac_by_channel(store, BACK_BAY, OCT)}
    assert by_channel["google_ads"].value == pytest.approx(300.0)  # $600 / 2
    assert by_channel["meta_ads"].value == pytest.approx(300.0)  # $300 / 1
    assert by_channel["referral"].value is None  # no spend: not a paid channel
    assert kpis.cac(store, BACK_BAY, OCT).value == pytest.approx(180.0)  # $900 / 5
    # Oct 16–31 is 16 of October's 31 days: $600 × 16/31 of Google spend, no new Google patient.
    late_oct = Period(date(2026, 10, 16), date(2026, 10, 31))
    google = kpis.cac(store, BACK_BAY, late_oct, channel="google_ads")
    assert google.numerator == pytest.approx(round(600 * 16 / 31, 2))
    assert google.value is None


def test_funnel_and_marketing_ltv(store: Engine) -> None:
    funnel = {row.channel: row for row in kpis.new_patient_funnel(store, BACK_BAY, OCT)}
    # Google leads Oct 1 (P2), Oct 2 (P3), Oct 3 (no patient): 3 leads, 2 booked, 2 completed,
    # 2 followed by a later non-cancelled appointment (their January bookings).
    google = funnel["google_ads"]
    assert (google.leads, google.booked, google.completed, google.rebooked) == (3, 2, 2, 2)
    # Meta lead Oct 4 (P4): completed V4; the only later appointment (Oct 23) was cancelled.
    meta = funnel["meta_ads"]
    assert (meta.leads, meta.booked, meta.completed, meta.rebooked) == (1, 1, 1, 0)
    assert "referral" not in funnel  # its lead is from September
    ltv = {row.channel: row for row in kpis.marketing_ltv(store, BACK_BAY, OCT)}
    # Google cohort P2 (450 − 450 refund) and P3 (500), through the last day of data (Nov 2).
    assert ltv["google_ads"].ltv == pytest.approx(250.0)
    assert ltv["google_ads"].revenue_through == date(2026, 11, 2)
    assert ltv["google_ads"].ltv_to_cac == pytest.approx(250 / 300)


def test_membership_kpis(store: Engine) -> None:
    # Active on Oct 31: P1 Glow 99, P3 Glow 99 (P7 ended Oct 15) → MRR $198.
    mrr = kpis.membership_mrr(store, BACK_BAY, OCT)
    assert mrr.value == pytest.approx(198.0)
    # Active on Sep 30: P1, P7 (P9 ended Sep 30) → 2; ended in October: P7 → 50%.
    churn = kpis.membership_churn(store, BACK_BAY, OCT)
    assert (churn.numerator, churn.denominator) == (1, 2)
    # Members during October: P1, P7, P3 → net sales 599 + 0 + 500 = $1,099 / 3.
    assert kpis.revenue_per_member(store, BACK_BAY, OCT).value == pytest.approx(366.33, abs=0.01)
    # Started in October: P3 = 1; patients with a completed visit: P1..P6 = 6.
    assert kpis.membership_conversion(store, BACK_BAY, OCT).value == pytest.approx(1 / 6)


def test_treatment_mix_and_margin(store: Engine) -> None:
    mix = {row.item: row for row in kpis.treatment_mix(store, BACK_BAY, OCT)}
    # Botox: 500 + 450 + 500 + 500 − 450 (refund) = 1,500, cost 4 × 150 = 600 → margin 60%.
    assert mix["Botox"].revenue == pytest.approx(1500.0)
    assert mix["Botox"].margin == pytest.approx(0.6)
    assert mix["Botox"].share == pytest.approx(1500 / 2399)
    assert mix["Filler"].margin == pytest.approx((800 - 240) / 800)
    assert mix["membership"].revenue == pytest.approx(99.0)


def test_same_store_growth(store: Engine) -> None:
    growth = kpis.same_store_growth(store, 1, OCT)
    # Back Bay (open since 2020) is comparable: $2,399 vs $2,000 in October 2025 → +19.95%.
    # Austin opened 2026-06-01: not comparable, not ranked.
    assert growth.growth == pytest.approx((2399 - 2000) / 2000)
    rows = {row.location_id: row for row in growth.locations}
    assert rows[1].rank == 1 and rows[1].comparable
    assert rows[2].rank is None and not rows[2].comparable and rows[2].growth is None
    assert growth.facts[0].id == "same_store_growth.org-1.2026-10"


def test_snapshot_has_previous_period_benchmark_and_peers(store: Engine) -> None:
    snapshot = kpis.kpi_snapshot(store, BACK_BAY, OCT)
    assert (snapshot.previous_start, snapshot.previous_end) == (date(2026, 9, 1), date(2026, 9, 30))
    entry = snapshot.get("rebooking_rate")
    assert entry.current.value == pytest.approx(0.6)
    assert entry.previous.value is None  # no September visits
    assert entry.change is None
    # 60% sits in the seed's average range (55–65%).
    assert entry.industry is not None and entry.industry.position == "within_range"
    assert entry.industry.words == "within the industry average range (55–65%)"
    # Peers: Back Bay 60%, Austin n/a → rank 1 of 1.
    assert entry.peers is not None and (entry.peers.rank, entry.peers.peers) == (1, 1)
    facts = snapshot.fact_set()
    assert facts["rebooking_rate.location-1.2026-10"].value == pytest.approx(0.6)
    assert facts["net_revenue.location-1.2026-10"].value == pytest.approx(2399.0)
    assert facts["benchmark.rebooking_rate.top_low"].value == 0.75
    revenue = snapshot.get("net_revenue")
    # Revenue peers: Back Bay 2,399, Austin 300 → the highest ranks 1, median 1,349.5.
    assert revenue.peers is not None and revenue.peers.median == pytest.approx(1349.5)
    assert (revenue.peers.rank, revenue.peers.best_id) == (1, 1)
    assert revenue.higher_is_better is True
    austin = kpis.kpi_snapshot(store, Scope(1, 2), OCT).get("net_revenue")
    assert austin.peers is not None and austin.peers.rank == 2
    assert len(facts) == len(snapshot.facts)  # ids are unique


def test_scope_outside_the_organization_is_refused(store: Engine) -> None:
    with pytest.raises(ScopeError, match="location 9 is not in organization 1"):
        kpis.net_revenue(store, Scope(1, 9), OCT)
    with pytest.raises(ScopeError, match="organization 2 does not exist"):
        kpis.net_revenue(store, Scope(2), OCT)
    with pytest.raises(ScopeError, match="per location or organization"):
        kpis.vip_concentration(store, ANA, OCT)


def test_kpi_series_by_week(store: Engine) -> None:
    # Weeks of October 2026 clipped to Oct 1–18: Thu 1–Sun 4, Mon 5–Sun 11, Mon 12–Sun 18.
    series = kpis.kpi_series(
        store, BACK_BAY, kpis.no_show_rate, date(2026, 10, 1), date(2026, 10, 18), "week"
    )
    assert [(p.start.day, p.end.day) for p, _ in series] == [(1, 4), (5, 11), (12, 18)]
    # Week of Oct 5: V1–V5 completed, no no-show → 0%; the first and last weeks have nothing.
    assert [v.value for _, v in series] == [None, 0.0, None]


def test_provider_snapshot_ranks_among_providers(store: Engine) -> None:
    snapshot = kpis.kpi_snapshot(store, ANA, OCT)
    assert "vip_concentration" not in {e.kpi for e in snapshot.entries}  # not per provider
    peers = snapshot.get("rebooking_rate").peers
    # Ana 3/4, Ben 0/1, Cy has no visits → Ana ranks 1 of 2, median (0.75 + 0) / 2.
    assert peers is not None
    assert (peers.level, peers.rank, peers.peers) == ("provider", 1, 2)
    assert peers.median == pytest.approx(0.375)
    assert peers.best_id == 1


def test_lapsing_vips(store: Engine) -> None:
    march = Period.month(2027, 3)
    # Window Apr 2026–Mar 2027: the VIP is still P4 ($800 of 5 paying patients). Last visit
    # Oct 8 2026 → 23 + 30 + 31 + 31 + 28 + 31 = 174 days before Mar 31, nothing booked, one
    # visit only (no usual interval) → quiet for more than 120 days.
    (vip,) = lapsing_vips(store, ORG, march)
    assert (vip.patient, vip.days_since_visit, vip.usual_interval_days) == ("P-4", 174, None)
    assert lapsing_vips(store, ORG, march, quiet_days=180) == []
    assert lapsing_vips(store, ORG, OCT) == []  # 23 days is not quiet


def test_peer_values_shared_until_an_import_runs(store: Engine) -> None:
    """A worker process shares the organization's peer values between briefings
    (`share_peer_values`) until the import log changes."""
    from datetime import UTC, datetime

    from sqlmodel import Session

    from store.models import IngestRun, Sale

    def median() -> float | None:
        peers = kpis.kpi_snapshot(store, BACK_BAY, OCT).get("net_revenue").peers
        assert peers is not None
        return peers.median

    kpis.share_peer_values(600)
    try:
        assert median() == pytest.approx(1349.5)  # Back Bay 2,399, Austin 300
        with Session(store) as session:
            session.add(
                Sale(
                    id=9001,  # the hand-built store sets ids itself (its sequence is behind)
                    patient_id=1,
                    location_id=2,
                    item="Filler",
                    gross_cents=100_000,
                    net_cents=100_000,
                    paid_at=datetime(2026, 10, 20, 18, tzinfo=UTC),
                    local_date=date(2026, 10, 20),
                    external_id="shared-peers",
                )
            )
            session.commit()
        assert median() == pytest.approx(1349.5)  # no import logged: the shared values
        with Session(store) as session:
            session.add(
                IngestRun(kind="sales", path="x.csv", started_at=datetime(2026, 11, 1, tzinfo=UTC))
            )
            session.commit()
        # Austin 300 + 1,000 = 1,300 → median (2,399 + 1,300) / 2 = 1,849.5.
        assert median() == pytest.approx(1849.5)
    finally:
        kpis.share_peer_values(0)
    assert median() == pytest.approx(1849.5)
