"""The briefing on the demo practice's last day names the planted problems with the tools'
dollar amounts (expected values read from the manifest and computed by the tools themselves)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from agent.briefing.at_risk_source import at_risk
from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import run_briefing
from store import tables as t
from tools.anomalies import detect_anomalies
from tools.findings import compute_findings


def pattern(manifest: dict, kind: str) -> dict:
    return next(p for p in manifest["patterns"] if p["kind"] == kind)


def usd(value: float) -> str:
    return f"${value:,.0f}"  # how Fact.display() shows USD


def test_demo_briefing_names_the_planted_problems(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    org = manifest["organization_id"]
    result = run_briefing(
        engine,
        organization_id=org,
        location_id=None,
        for_date=as_of,
        gatherer=ToolsGatherer(persist=False),
    )
    written = result.written
    assert result.verification["passed"], result.verification["reasons"]
    text = "\n".join(part for _, part in written.checked_texts())

    # 1. The provider whose rebooking dropped, with the rebooking finding's dollars.
    drop = pattern(manifest, "rebooking_drop")
    with engine.connect() as conn:
        first, last = conn.execute(
            select(t.provider.c.first_name, t.provider.c.last_name).where(
                t.provider.c.id == drop["provider_id"]
            )
        ).one()
    findings = compute_findings(engine, organization_id=org, as_of=as_of)
    rebooking = next(
        f for f in findings if f.kind == "rebooking_gap" and f.provider_id == drop["provider_id"]
    )
    rebooking_point = next(p for p in written.points if "rebooking" in p.title.lower())
    assert f"{first} {last}" in rebooking_point.text
    assert usd(rebooking.dollars) in rebooking_point.text

    # 2. The no-show weekday at its location, with the anomaly's dollars.
    spike = pattern(manifest, "no_show_weekday_spike")
    anomaly = next(
        a
        for a in detect_anomalies(engine, organization_id=org, as_of=as_of)
        if a.evidence.get("weekday") == spike["weekday"] and a.location_id == spike["location_id"]
    )
    no_show_point = next(p for p in written.points if "no-show" in p.text.lower())
    assert spike["weekday_name"] + "s" in no_show_point.text  # "on Tuesdays"
    assert usd(anomaly.dollars) in no_show_point.text

    # 3. Lapsed VIPs: a point with the at-risk dollars, and a call list made of them.
    lapsed = set(pattern(manifest, "lapsed_vip_neurotoxin")["patient_ids"])
    risky = at_risk(engine, organization_id=org, location_id=None, as_of=as_of)
    top = round(sum(p.dollars_at_stake for p in risky.patients), 2)  # the 25 most at stake
    assert usd(top) in written.points[0].text
    vip = next(f for f in findings if f.kind == "vip_concentration")
    assert usd(vip.dollars) in written.points[0].text
    called = [line.patient_id for line in written.call_list]
    assert written.call_list_intro.startswith(f"Call these {len(called)} patients")
    assert len(called) == 8
    # The at-risk tool ranks every overdue patient by dollars at stake; the planted lapsed VIPs
    # are among the most valuable (measured: 5 of the 8 called).
    assert sum(pid in lapsed for pid in called) >= 4
    assert "At stake" in text and result.rendered.charts
