"""A hand-built `Gathered` for one location: three findings, two at-risk patients, a series."""

from __future__ import annotations

from datetime import date

from agent.briefing.state import CallCandidate, Candidate, Gathered, Series
from tools.facts import Fact, FactSet

DAY = date(2026, 11, 24)
MONTH = (date(2026, 10, 26), date(2026, 11, 24))


def fact(
    fid: str, label: str, value: float | int | str, unit: str, scope: str = "location:2"
) -> Fact:
    return Fact(
        id=fid,
        label=label,
        value=value,
        unit=unit,
        scope=scope,
        period_start=MONTH[0],
        period_end=MONTH[1],
        source="tests",
    )


def sample_gathered(patient_ids: tuple[int, int] = (101, 102)) -> Gathered:
    a, b = patient_ids
    facts = FactSet()
    facts.extend(
        [
            fact("revenue.day", "Net revenue yesterday", 12345.4, "USD"),
            fact("revenue.30d", "Net revenue, last 30 days", 301234.0, "USD"),
            fact("rebook.rate", "Rebooking rate, Maya Patel", 0.412, "percent", "provider:5"),
            fact("rebook.target", "Rebooking target", 0.75, "percent"),
            fact(
                "rebook.dollars", "Rebooking revenue lost, Maya Patel", 18750.0, "USD", "provider:5"
            ),
            fact("noshow.rate", "Tuesday no-show rate", 0.31, "percent"),
            fact("noshow.dollars", "Cost of Tuesday no-shows", 9420.0, "USD"),
            fact("noshow.ratio", "Tuesday no-shows vs other days", 2.1, "ratio"),
            fact("atrisk.count", "Lapsed VIP patients", 2, "count"),
            fact("atrisk.dollars", "Yearly spend of lapsed VIPs", 7300.0, "USD"),
            fact(f"patient.{a}.value", "Trailing 12-month spend", 4100.0, "USD", f"patient:P-{a}"),
            fact(f"patient.{a}.overdue", "Days overdue", 61, "days", f"patient:P-{a}"),
            fact(f"patient.{b}.value", "Trailing 12-month spend", 3200.0, "USD", f"patient:P-{b}"),
            fact(f"patient.{b}.overdue", "Days overdue", 45, "days", f"patient:P-{b}"),
        ]
    )
    return Gathered(
        scope="location:2",
        scope_label="Greenwich",
        organization_id=1,
        location_id=2,
        for_date=DAY,
        facts=facts,
        kpi_fact_ids=["revenue.day", "revenue.30d"],
        candidates=[
            Candidate(
                key="fp-rebook",
                kind="rebooking_drop",
                title="Maya Patel's rebooking rate fell",
                dollars=18750.0,
                dollars_fact_id="rebook.dollars",
                action="Coach Maya Patel to book the next visit at checkout.",
                formula="(target − actual) × eligible visits × average visit value",
                fact_ids=["rebook.rate", "rebook.target"],
                provider_id=5,
                location_id=2,
                series_key="rebook.weekly",
                source="tools.findings",
            ),
            Candidate(
                key="fp-noshow",
                kind="no_show_weekday",
                title="Tuesday no-shows are up",
                dollars=9420.0,
                dollars_fact_id="noshow.dollars",
                action="Call Tuesday patients the day before and take deposits.",
                fact_ids=["noshow.rate", "noshow.ratio"],
                location_id=2,
                source="tools.anomalies",
            ),
            Candidate(
                key="fp-atrisk",
                kind="at_risk_patients",
                title="Lapsed VIP patients",
                dollars=7300.0,
                dollars_fact_id="atrisk.dollars",
                action="Work through the call list below today.",
                fact_ids=["atrisk.count"],
                location_id=2,
                source="tools.at_risk",
            ),
        ],
        at_risk=[
            CallCandidate(
                patient_id=a,
                pseudonym=f"P-{a}",
                location_id=2,
                reasons=["overdue for neurotoxin"],
                last_treatment="Neurotoxin",
                days_overdue=61,
                dollars_at_stake=4100.0,
                dollars_fact_id=f"patient.{a}.value",
                fact_ids=[f"patient.{a}.overdue"],
            ),
            CallCandidate(
                patient_id=b,
                pseudonym=f"P-{b}",
                location_id=2,
                reasons=["overdue for filler"],
                last_treatment="Filler",
                days_overdue=45,
                dollars_at_stake=3200.0,
                dollars_fact_id=f"patient.{b}.value",
                fact_ids=[f"patient.{b}.overdue"],
            ),
        ],
        series={
            "revenue": Series(
                key="revenue",
                label="Net revenue by day",
                unit="USD",
                points=[(f"2026-11-{d:02d}", 9000.0 + 150 * d) for d in range(1, 25)],
            ),
            "rebook.weekly": Series(
                key="rebook.weekly",
                label="Maya Patel's weekly rebooking rate",
                unit="percent",
                points=[("2026-11-03", 0.7), ("2026-11-10", 0.55), ("2026-11-17", 0.41)],
            ),
        },
        names=["Greenwich", "Maya Patel"],
        directory=["Greenwich", "Back Bay", "Maya Patel", "Jordan Kim"],
        sources=["tools.kpis", "tools.findings"],
    )


CANARY_PATIENTS = {
    101: ("Zebulon", "Quackenbush", "+12035550147", "zebulon.quackenbush@canary.example"),
    102: ("Ottoline", "Featherstonehaugh", "+12035550188", "ottoline.f@canary.example"),
}


def seed_store(engine) -> None:
    """Organization 1, locations 1–2 and the two (canary-named) patients of `sample_gathered`."""
    from sqlmodel import Session

    from store.models import Location, Organization, Patient

    with Session(engine) as session:
        session.add(Organization(id=1, name="Canary Aesthetics", slug="canary"))
        session.flush()
        session.add(Location(id=1, organization_id=1, name="Back Bay"))
        session.add(Location(id=2, organization_id=1, name="Greenwich"))
        session.flush()
        for pid, (first, last, phone, email) in CANARY_PATIENTS.items():
            session.add(
                Patient(
                    id=pid,
                    home_location_id=2,
                    first_name=first,
                    last_name=last,
                    phone_e164=phone,
                    email=email,
                )
            )
        session.commit()
