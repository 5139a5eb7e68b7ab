"""Anomalies on the demo practice: the planted patterns are found where the manifest says."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from tools.anomalies import detect_anomalies, us_holidays


def pattern(manifest: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [p for p in manifest["patterns"] if p["kind"] == kind]
    return found


def test_planted_weekday_no_show_spike_and_refund_day(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    findings = detect_anomalies(engine, organization_id=manifest["organization_id"], as_of=as_of)

    spike = pattern(manifest, "no_show_weekday_spike")
    spike_start = date.fromisoformat(spike["period_start"])
    no_show = [
        f
        for f in findings
        if f.kind == "anomaly.no_show_rate"
        and f.location_id == spike["location_id"]
        and f.evidence["direction"] == "up"
    ]
    assert len(no_show) == 1
    (found,) = no_show
    assert found.evidence["weekday"] == spike["weekday"]  # merged into a Tuesday pattern
    assert len(found.evidence["days"]) >= 3  # of the 4 spiked Tuesdays
    assert all(date.fromisoformat(d) >= spike_start for d in found.evidence["days"])
    assert found.evidence["value"] >= 2 * found.evidence["baseline"]
    assert found.dollars > 0 and found.facts

    refund = pattern(manifest, "refund_anomaly")
    refunds = [f for f in findings if f.kind == "anomaly.refunds" and f.provider_id is None]
    assert [(f.location_id, f.period_start, f.evidence["frequency"]) for f in refunds] == [
        (refund["location_id"], date.fromisoformat(refund["date"]), "daily")
    ]
    # The planted day holds only the planted refunds; the usual day has none (baseline $0), so
    # the dollars are exactly the planted total.
    assert refunds[0].evidence["value"] == refund["details"]["refund_cents"] / 100
    assert refunds[0].dollars == refund["details"]["refund_cents"] / 100
    assert "same weekday" in refunds[0].evidence["baseline_method"]

    # Nothing else fires at those locations for those metrics; findings are ordered by dollars.
    assert [f.dollars for f in findings] == sorted((f.dollars for f in findings), reverse=True)
    assert len(findings) <= 8


def test_a_quiet_look_back_finds_nothing(demo_engine: tuple[Engine, dict]) -> None:
    """Before any pattern was planted (a month before the spike), no-show and refund series stay
    quiet."""
    engine, manifest = demo_engine
    as_of = date.fromisoformat(pattern(manifest, "no_show_weekday_spike")["period_start"])
    findings = detect_anomalies(
        engine, organization_id=manifest["organization_id"], as_of=as_of - timedelta(days=30)
    )
    assert [
        f.title for f in findings if f.kind in ("anomaly.no_show_rate", "anomaly.refunds")
    ] == []


def test_location_filter_and_holidays() -> None:
    assert date(2026, 11, 26) in us_holidays([2026])  # Thanksgiving: 4th Thursday of November
    assert date(2026, 5, 25) in us_holidays([2026])  # Memorial Day: last Monday of May
    assert date(2026, 9, 7) in us_holidays([2026])  # Labor Day: first Monday of September
