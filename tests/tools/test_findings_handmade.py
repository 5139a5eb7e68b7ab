"""One hand-computed test per finding kind, on the hand-built practice (`handmade.py`), on
SQLite and PostgreSQL. The practice is tiny, so `min_sample` is lowered; every expectation is
worked out in the comments from the rows in `handmade.py`, never by the code under test.

Dollars are per month: the amount over the window × 30.4375 / the window's days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert

from store import tables as t
from tests.tools import handmade
from tools.at_risk import annual_value, dollars_at_stake
from tools.facts import FindingDraft
from tools.findings import compute_findings
from tools.operations import rebooking_rate
from tools.scope import Period, Scope
from tools.targets import MONTH_DAYS, Targets, per_month

OCT_31 = date(2026, 10, 31)


@pytest.fixture
def store(engine: Engine) -> Engine:
    handmade.build(engine)
    return engine


def _only(drafts: list[FindingDraft], kind: str) -> list[FindingDraft]:
    return [d for d in drafts if d.kind == kind]


def test_per_month_normalization() -> None:
    # 30.4375 = 365.25 / 12; $3,000 over 30 days → 3,000 × 30.4375 / 30 = $3,043.75.
    assert MONTH_DAYS == 30.4375
    assert per_month(3_000.0, 30) == pytest.approx(3_043.75)
    assert per_month(1_200.0, 365) == pytest.approx(100.0 * 365.25 / 365)


def test_no_show_cost_counts_only_the_excess_over_the_target(store: Engine) -> None:
    # Window Oct 2–31 at Back Bay: completed V1 V2 V3 V4 V5 V7 = 6, no-shows V6 V8 = 2 →
    # seen 8, rate 2/8 = 25%. Target 17.5% → excess (0.25 − 0.175) × 8 = 0.6 no-shows.
    # Average ticket = sales of the completed visits / completed visits
    #   = (500 + 450 + 500 + 800 + 0 (V5, consultation) + 500) / 6 = 2,750 / 6 = $458.33.
    # Over the window 0.6 × 458.333 = $275.00 → per month 275 × 30.4375 / 30 = $279.01.
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=8)
    (cost,) = _only(drafts, "no_show_cost")
    assert cost.scope == "location:1"
    assert cost.dollars == pytest.approx(279.01, abs=0.01)
    assert cost.evidence["window_dollars_usd"] == pytest.approx(275.0)
    assert cost.evidence["average_ticket_usd"] == pytest.approx(458.33)
    assert cost.evidence["excess_no_shows"] == pytest.approx(0.6)
    assert "target 17.5%" in cost.formula and "per month" in cost.formula
    assert "target_no_show_rate" in cost.evidence["target_used"]
    # At or better than the target costs nothing: with a 25% target there is no finding.
    at_target = replace(Targets.default(), no_show_rate=0.25)
    drafts = compute_findings(
        store, organization_id=1, as_of=OCT_31, min_sample=8, targets=at_target
    )
    assert _only(drafts, "no_show_cost") == []


def test_rebooking_gap(store: Engine) -> None:
    # as_of Nov 1 → window Oct 3–Nov 1 (the 30 days ending as_of, the KPI table's).
    # Ana: V1 V2 V3 V7 eligible, V1 V2 V7 rebooked → 75%, above the 60% target.
    # Ben: V4 (Filler, $800) not rebooked → 0%; no visits in his 182-day baseline → target 60%.
    # (0.60 − 0) × 1 visit × $800 = $480 over 30 days → 480 × 30.4375 / 30 = $487.00.
    # Back Bay as a whole: 3 of 5 = 60% → no gap.
    drafts = compute_findings(store, organization_id=1, as_of=date(2026, 11, 1), min_sample=1)
    (gap,) = _only(drafts, "rebooking_gap")
    assert (gap.scope, gap.provider_id) == ("provider:2", 2)
    assert gap.dollars == pytest.approx(487.0)
    assert gap.evidence["window_dollars_usd"] == pytest.approx(480.0)
    assert gap.evidence["target_rate"] == pytest.approx(0.60)
    assert "target_rebooking_rate" in gap.evidence["target_used"]
    # A higher target setting raises the gap: 0.80 × 1 × 800 = 640 → × 30.4375/30 = $649.33.
    # Ana (75%) now has a gap too: (0.80 − 0.75) × 4 × $487.50 ((500+450+500+500)/4) = 97.50
    # → $98.92 per month.
    higher = replace(Targets.default(), rebooking_rate=0.80)
    drafts = compute_findings(
        store, organization_id=1, as_of=date(2026, 11, 1), min_sample=1, targets=higher
    )
    by_scope = {d.scope: d for d in _only(drafts, "rebooking_gap")}
    assert by_scope["provider:2"].dollars == pytest.approx(649.33, abs=0.01)
    assert by_scope["provider:1"].dollars == pytest.approx(98.92, abs=0.01)


def test_rebooking_gap_rate_is_the_kpi_tables_rate(store: Engine) -> None:
    # One metric, scope and period → one value: the finding's window is the briefing table's
    # (the 30 days ending as_of). As of Oct 31 the window is Oct 2–31: Ben's V4 (Oct 8) is his
    # only eligible visit, not rebooked → 0%; Ana: V1 V2 V3 V7, rebooked V1 V2 V7 → 75%.
    # With an 80% target Ana's finding states 75.0%, exactly the KPI for Oct 2–31.
    higher = replace(Targets.default(), rebooking_rate=0.80)
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=1, targets=higher)
    by_scope = {d.scope: d for d in _only(drafts, "rebooking_gap")}
    window = Period.trailing(30, OCT_31)
    for scope, provider, expected in (("provider:1", 1, 0.75), ("provider:2", 2, 0.0)):
        finding = by_scope[scope]
        assert (finding.period_start, finding.period_end) == (window.start, window.end)
        assert finding.evidence["actual_rate"] == pytest.approx(expected)
        kpi = rebooking_rate(store, Scope(1, provider_id=provider), window)
        assert kpi.value == pytest.approx(expected)


def test_retention_gap(store: Engine) -> None:
    # As of Oct 31: Back Bay's cohort (completed visits Nov 2024–Oct 2025) P1 P7 P8 P9 = 4;
    # back within the year P1 and P8 → 50%, above the 35% default target: no finding.
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=1)
    assert _only(drafts, "retention_gap") == []
    # With a 75% target: (0.75 − 0.50) × 4 = 1 patient × revenue per patient over the year
    # (Nov 1 2025–Oct 31 2026: $2,399 / 6 patients seen = $399.83) = $399.83 over 365 days
    # → × 30.4375 / 365 = $33.34 per month. Austin has no cohort: no finding.
    higher = replace(Targets.default(), retention_12m=0.75)
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=1, targets=higher)
    (gap,) = _only(drafts, "retention_gap")
    assert gap.scope == "location:1"
    assert gap.evidence["window_dollars_usd"] == pytest.approx(399.83, abs=0.01)
    assert gap.dollars == pytest.approx(33.34, abs=0.01)
    assert gap.evidence["cohort_patients"] == 4 and gap.evidence["retention"] == 0.5
    assert "retention target 75%" in gap.evidence["target_used"]


def test_utilization_gap(store: Engine) -> None:
    # Window Oct 2–31. Ana: completed minutes V1 V2 V3 V5 V7 = 5 × 30 = 150 of 960 shift
    # minutes → 15.625%; production 500 + 450 + 500 + 500 − 450 (refund) = $1,500 over 2.5
    # booked hours = $600 per booked hour; (0.65 − 0.15625) × 16 h × $600 = $4,740 →
    # 4,740 × 30.4375 / 30 = $4,809.125 per month.
    # Ben: 60 of 240 minutes = 25%; $800 over 1 h; (0.65 − 0.25) × 4 h × $800 = $1,280 →
    # $1,298.67 per month.
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=1)
    by_scope = {d.scope: d for d in _only(drafts, "utilization_gap")}
    assert set(by_scope) == {"provider:1", "provider:2"}
    assert by_scope["provider:1"].dollars == pytest.approx(4809.125, abs=0.01)
    assert by_scope["provider:1"].evidence["window_dollars_usd"] == pytest.approx(4740.0)
    assert by_scope["provider:2"].dollars == pytest.approx(1298.67, abs=0.01)
    assert "target_utilization" in by_scope["provider:1"].evidence["target_used"]
    # Ranked by dollars per month.
    assert [d.dollars for d in drafts] == sorted((d.dollars for d in drafts), reverse=True)


def test_comp_uses_the_months_payroll_covers(store: Engine) -> None:
    # as_of Nov 20: the last complete month is October; Ana's payroll ends Oct 31 → window
    # Aug 1–Oct 31. Payroll covers Sep 16–Oct 31 = 15 + 31 = 46 days:
    # Sep 16–30 $1,500 + Oct 1–15 $1,600 + Oct 16–31 $1,600 = $4,700.
    # Production on those days: 500 + 450 + 500 + 500 − 450 = $1,500 → ratio 313.3%, above 50%.
    # (3.1333 − 0.40) × 1,500 = $4,100 over 46 covered days → 4,100 × 30.4375 / 46 = $2,712.91.
    # Cy (payroll to Nov 15, same window) has no completed visit → no finding.
    drafts = compute_findings(store, organization_id=1, as_of=date(2026, 11, 20), min_sample=1)
    (over,) = [d for d in drafts if d.kind.startswith("comp_")]
    assert (over.kind, over.scope) == ("comp_above_range", "provider:1")
    assert (over.period_start, over.period_end) == (date(2026, 8, 1), OCT_31)
    assert over.dollars == pytest.approx(2712.91, abs=0.01)
    assert over.evidence["window_dollars_usd"] == pytest.approx(4100.0)
    assert over.evidence["payroll_days_covered"] == 46
    # On Dec 20 November is complete, but Ana's payroll stops at Oct 31: the finding still
    # looks at Aug–Oct instead of counting November as a month of $0 pay.
    later = compute_findings(store, organization_id=1, as_of=date(2026, 12, 20), min_sample=1)
    (same,) = [d for d in later if d.kind.startswith("comp_")]
    assert same.period_end == OCT_31 and same.dollars == pytest.approx(2712.91, abs=0.01)


def test_comp_below_range(store: Engine) -> None:
    # Give Ana more production so her ratio drops under 30%: a $20,000 service sale on Oct 20
    # (covered by the Oct 16–31 payroll). Production 1,500 + 20,000 = $21,500; pay $4,700 →
    # 21.86%. (0.35 − 4,700/21,500) × 21,500 = 7,525 − 4,700 = $2,825 over 46 days →
    # 2,825 × 30.4375 / 46 = $1,869.25 per month.
    with store.begin() as conn:
        conn.execute(
            insert(t.sale),
            [
                {
                    "id": 100,
                    "patient_id": 1,
                    "provider_id": 1,
                    "location_id": 1,
                    "kind": "service",
                    "item": "Botox",
                    "category": "neurotoxin",
                    "gross_cents": 2_000_000,
                    "discount_cents": 0,
                    "refund_cents": 0,
                    "net_cents": 2_000_000,
                    "cogs_cents": 0,
                    "paid_at": handmade.local(1, date(2026, 10, 20), 12),
                    "local_date": date(2026, 10, 20),
                }
            ],
        )
    drafts = compute_findings(store, organization_id=1, as_of=date(2026, 11, 20), min_sample=1)
    (under,) = [d for d in drafts if d.kind.startswith("comp_")]
    assert under.kind == "comp_below_range"
    assert under.dollars == pytest.approx(1869.25, abs=0.01)


def _new_patient(conn: object, pid: int, channel: str, day: date) -> None:
    start = handmade.local(1, day, 10)
    conn.execute(  # type: ignore[attr-defined]
        insert(t.patient),
        [
            {
                "id": pid,
                "home_location_id": 1,
                "first_name": f"Pat{pid}",
                "last_name": "Test",
                "acquisition_channel": channel,
            }
        ],
    )
    conn.execute(  # type: ignore[attr-defined]
        insert(t.appointment),
        [
            {
                "id": 100 + pid,
                "patient_id": pid,
                "provider_id": 1,
                "location_id": 1,
                "service_id": 2,
                "start_at": start,
                "end_at": start + timedelta(minutes=30),
                "local_date": day,
                "local_hour": 10,
                "duration_minutes": 30,
                "status": "completed",
                "booked_at": start - timedelta(days=7),
            }
        ],
    )


def test_cac_jump(store: Engine) -> None:
    # Baseline (added here): $100 of Google Ads in January 2026 and one new Google patient
    # (P10, first visit Mar 10) → baseline CAC $100.
    # Recent window for as_of Oct 31: Jul 1–Oct 31 (123 days): $600 of Google Ads in October,
    # new Google patients P2 (Oct 6) and P3 (Oct 6) → CAC $300 = 3× the baseline.
    # Extra spend (300 − 100) × 2 = $400 over 123 days → 400 × 30.4375 / 123 = $98.98/month.
    # Meta Ads has no baseline spend → no finding.
    with store.begin() as conn:
        conn.execute(
            insert(t.marketing_spend),
            [
                {
                    "id": 100,
                    "location_id": 1,
                    "channel": "google_ads",
                    "month": date(2026, 1, 1),
                    "amount_cents": 10_000,
                }
            ],
        )
        _new_patient(conn, 10, "google_ads", date(2026, 3, 10))
    drafts = compute_findings(store, organization_id=1, as_of=OCT_31, min_sample=1)
    (jump,) = _only(drafts, "cac_jump")
    assert (jump.scope, jump.evidence["channel"]) == ("location:1", "google_ads")
    assert jump.evidence["recent_cac_usd"] == pytest.approx(300.0)
    assert jump.evidence["baseline_cac_usd"] == pytest.approx(100.0)
    assert jump.dollars == pytest.approx(98.98, abs=0.01)


def test_one_at_stake_definition() -> None:
    # Annual value = max(last year, mean of the last two): max(1,800, (1,800 + 0) / 2) = 1,800;
    # a drifted patient: max(300, (300 + 2,100) / 2) = 1,200.
    assert annual_value(1_800.0, 0.0) == 1_800.0
    assert annual_value(300.0, 2_100.0) == 1_200.0
    # At stake = value × (1 − p): 1,200 × (1 − 0.25) = 900; never above a year of spend.
    assert dollars_at_stake(1_200.0, 0.25) == pytest.approx(900.0)
    assert dollars_at_stake(1_200.0, -0.5) == 1_200.0
    assert dollars_at_stake(1_200.0, 1.5) == 0.0
    assert dollars_at_stake(-50.0, 0.1) == 0.0


def test_quiet_vip_weighted_by_the_chance_of_return(store: Engine) -> None:
    # Add a $1,000 product sale for P4 on Nov 10 2026. As of Mar 31 2027 the trailing year
    # (Apr 1 2026–Mar 31 2027) revenue is P1 599 + 40 = 639, P3 500, P4 800 + 1,000 = 1,800,
    # P6 500, P8 300 (P2 nets 0: left out) → 5 paying, top ⌈0.5⌉ = 1 VIP: P4, share
    # 1,800 / 3,739 = 48.1% ≥ 35%. P4's last visit Oct 8 2026 is 174 days back, nothing booked
    # → quiet. With 9 patients the return model cannot be fitted (it needs 20), which the
    # finding says; her chance of return is then taken as 0: at stake = annual value
    # max(1,800, (1,800 + 0) / 2) = 1,800 × (1 − 0) = 1,800 a year → 1,800 / 12 = $150/month.
    with store.begin() as conn:
        conn.execute(
            insert(t.sale),
            [
                {
                    "id": 100,
                    "patient_id": 4,
                    "provider_id": 2,
                    "location_id": 1,
                    "kind": "product",
                    "item": "product",
                    "category": "retail",
                    "gross_cents": 100_000,
                    "discount_cents": 0,
                    "refund_cents": 0,
                    "net_cents": 100_000,
                    "cogs_cents": 0,
                    "paid_at": handmade.local(1, date(2026, 11, 10), 12),
                    "local_date": date(2026, 11, 10),
                }
            ],
        )
    as_of = date(2027, 3, 31)
    drafts = compute_findings(store, organization_id=1, as_of=as_of, min_sample=1)
    (vip,) = _only(drafts, "vip_concentration")
    assert vip.evidence["vip_share"] == pytest.approx(1800 / 3739, abs=1e-4)
    assert vip.evidence["lapsing_vips"] == ["P-4"]
    assert "20 customers" in vip.evidence["return_model_note"]
    assert vip.evidence["at_stake_12m_usd"] == pytest.approx(1800.0)
    assert vip.dollars == pytest.approx(150.0)
    assert "÷ 12" in vip.formula


def test_settings_defaults_are_the_seed_targets() -> None:
    from clarity.cli_kpis import targets_from
    from clarity.settings import load_settings

    # The seed: rebooking 55–65% → 60%, no-show 15–20% → 17.5%, utilization 60–70% → 65%,
    # comp healthy 35–50%, midpoint 40%, retention risk below 30%.
    assert targets_from(load_settings()) == Targets.default()
    assert Targets.default() == Targets(0.60, 0.175, 0.65, 0.35, 0.50, 0.40, 0.30)
    assert targets_from(load_settings(target_no_show_rate=0.12)).no_show_rate == 0.12
    # Retention 30–40% → 35%.
    assert Targets.default().retention_12m == 0.35
    assert targets_from(load_settings(target_retention_12m=0.5)).retention_12m == 0.5
