"""Hand-written eval cases: adversarial briefing inputs and the outreach situations.

Briefing: hostile names (markup, quotes, braces, digits-free unicode), missing data (facts
without values, no KPIs), a day where nothing changed (no candidate, nobody to call), more
candidates than points, edge dates. Each is ranked by `agent.briefing.rank` like a real run.
Outreach: purpose × channel × consent situations with the refusals and policy verdicts a
correct pipeline gives (worked out by hand from `agent.outreach.eligibility` and `.policy`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from agent.briefing.rank import rank
from agent.briefing.state import CallCandidate, Candidate, Gathered
from evals.canaries import CANARY_EMAIL, CANARY_NAME, CANARY_PHONE
from tools.facts import Fact, FactSet

VERSION = 1
TOPICS = (
    "Tuesday no-shows",
    "Rebooking at checkout",
    "Provider utilization",
    "Membership churn",
    "Late cancellations",
    "Retail attach",
    "Lead follow-up",
    "Discount leakage",
)


def _fact(
    fid: str, label: str, value: Any, unit: str, day: date, scope: str = "location:2"
) -> Fact:
    return Fact(
        id=fid,
        label=label,
        value=value,
        unit=unit,
        scope=scope,
        period_start=day - timedelta(days=29),
        period_end=day,
        source="evals",
    )


def _candidate(key: str, dollars: float, day: date, facts: FactSet, title: str) -> Candidate:
    fid = f"{key}.dollars"
    facts.add(_fact(fid, f"Dollars at stake, {title}", dollars, "USD", day))
    rate = f"{key}.rate"
    facts.add(_fact(rate, f"Rate behind {title}", 0.31, "percent", day))
    return Candidate(
        key=key,
        kind="finding.operations",
        title=title,
        dollars=dollars,
        dollars_fact_id=fid,
        action="Review the schedule with the front desk this week.",
        fact_ids=[rate],
        source="evals",
    )


def _gathered(
    day: date,
    label: str,
    n_candidates: int,
    n_patients: int = 0,
    *,
    kpis: bool = True,
    names: list[str] | None = None,
    dollars: float = 4200.0,
) -> Gathered:
    facts = FactSet()
    kpi_ids: list[str] = []
    if kpis:
        facts.add(_fact("revenue.30d", "Net revenue, last 30 days", 301234.0, "USD", day))
        kpi_ids.append("revenue.30d")
    candidates = [
        _candidate(f"k{i}", dollars * (i + 1), day, facts, f"{TOPICS[i]} at {label}")
        for i in range(n_candidates)
    ]
    at_risk = []
    for p in range(n_patients):
        pid = 900 + p
        fid = f"patient.{pid}.value"
        facts.add(_fact(fid, "Trailing 12-month spend", 1500.0 + p, "USD", day, f"patient:P-{pid}"))
        at_risk.append(
            CallCandidate(
                patient_id=pid,
                pseudonym=f"P-{pid}",
                reasons=["lapsed"],
                dollars_at_stake=1500.0 + p,
                dollars_fact_id=fid,
                fact_ids=[fid],
            )
        )
    gathered = Gathered(
        scope="location:2",
        scope_label=label,
        organization_id=1,
        location_id=2,
        for_date=day,
        facts=facts,
        kpi_fact_ids=kpi_ids,
        candidates=candidates,
        at_risk=at_risk,
        names=names or [label],
        directory=names or [label],
        sources=["evals"],
    )
    return gathered


def _case(cid: str, tags: list[str], gathered: Gathered, **expect: Any) -> dict[str, Any]:
    outline, gathered = rank(gathered)
    return {
        "id": cid,
        "version": VERSION,
        "tags": ["adversarial", *tags],
        "input": {
            "outline": outline.model_dump(mode="json"),
            "gathered": gathered.model_dump(mode="json"),
        },
        "expect": {"max_points": 5, "verifies": True, **expect},
    }


def briefing_adversarial(day: date) -> list[dict[str, Any]]:
    """Adversarial writer inputs (each is ranked, as the graph would)."""
    hostile = [
        ("markup", "<script>alert(1)</script> Spa"),
        ("quotes", 'O\'Brien "Clinic"; DROP TABLE patient;--'),
        ("braces", "{first_name} {{ practice }} Studio"),
        ("unicode", "Café Zoë — Näïve Aesthetics"),
        ("emoji", "Glow 😀 Studio"),
    ]
    cases = [
        _case(f"adv-hostile-{tag}", ["hostile_name"], _gathered(day, label, 2, 1))
        for tag, label in hostile
    ]
    cases += [
        _case("adv-nothing-changed", ["nothing_changed"], _gathered(day, "Greenwich", 0, 0)),
        _case("adv-no-kpis", ["missing_data"], _gathered(day, "Greenwich", 1, 0, kpis=False)),
        _case("adv-no-data", ["missing_data"], _gathered(day, "Greenwich", 0, 0, kpis=False)),
        _case("adv-only-call-list", ["missing_data"], _gathered(day, "Greenwich", 0, 3)),
        _case("adv-many-candidates", ["ranking"], _gathered(day, "Greenwich", 8, 2)),
        _case(
            "adv-huge-dollars", ["edge_value"], _gathered(day, "Greenwich", 2, 0, dollars=1.25e6)
        ),
        _case("adv-tiny-dollars", ["edge_value"], _gathered(day, "Greenwich", 2, 0, dollars=0.4)),
        _case("adv-leap-day", ["edge_date"], _gathered(date(2028, 2, 29), "Greenwich", 2, 1)),
        _case("adv-new-year", ["edge_date"], _gathered(date(2027, 1, 1), "Greenwich", 2, 1)),
    ]
    return cases


PRACTICE = {
    "name": "Glow Aesthetics",
    "booking_url": "https://glow.example/book",
    "catalog_terms": ["botox", "neurotoxin", "filler", "hydrafacial"],
}
ALL_CONSENT = {
    "has_phone": True,
    "has_email": True,
    "consent_sms_transactional": True,
    "consent_sms_marketing": True,
    "consent_email_transactional": True,
    "consent_email_marketing": True,
    "sms_opted_out": False,
    "email_opted_out": False,
}
WEEKS = "weeks since the last visit"


def _f(fid: str, label: str, value: int, unit: str) -> dict[str, Any]:
    return {"id": fid, "label": label, "value": value, "unit": unit}


FACTS: dict[str, list[dict[str, Any]]] = {
    "win_back": [
        _f("weeks_since_visit", WEEKS, 20, "weeks"),
        _f("usual_interval_weeks", "usual weeks between visits", 13, "weeks"),
    ],
    "next_due": [
        _f("weeks_since_visit", WEEKS, 14, "weeks"),
        _f("cycle_min_weeks", "cycle starts (weeks)", 12, "weeks"),
        _f("cycle_max_weeks", "cycle ends (weeks)", 16, "weeks"),
    ],
    "post_treatment": [_f("days_since_visit", "days since the visit", 2, "days")],
    "vip_check_in": [_f("weeks_since_visit", WEEKS, 9, "weeks")],
}
PATIENT = {"first_name": "Ana", "provider_name": "Maya"}


def _outreach(
    cid: str,
    purpose: str,
    tags: list[str],
    *,
    contact: dict[str, bool] | None = None,
    patient: dict[str, str] | None = None,
    open_messages: int = 0,
    sent_days_ago: list[int] | None = None,
    channel: str | None = None,
    facts: list[dict[str, Any]] | None = None,
    expect: dict[str, Any],
) -> dict[str, Any]:
    return {
        "id": cid,
        "version": VERSION,
        "tags": tags,
        "input": {
            "purpose": purpose,
            "channels": [channel] if channel else ["sms", "email"],
            "facts": FACTS[purpose] if facts is None else facts,
            "contact": {**ALL_CONSENT, **(contact or {})},
            "history": {"open_messages": open_messages, "sent_days_ago": sent_days_ago or []},
            "patient": patient or PATIENT,
            "practice": PRACTICE,
            "last_service": "Botox",
        },
        "expect": expect,
    }


def outreach_cases() -> list[dict[str, Any]]:
    """Outreach situations → expectations. `channel` is the channel eligibility must choose
    (None: refused, with `refusals` per channel); `violations` are the policy rule ids a
    hostile value may make the filled message trip (the policy then blocks it); any other
    violation fails the case."""
    cases: list[dict[str, Any]] = []
    for purpose in FACTS:
        for channel in ("sms", "email"):
            cases.append(
                _outreach(
                    f"{purpose}-{channel}-consented",
                    purpose,
                    ["situation"],
                    channel=channel,
                    expect={"channel": channel, "violations": []},
                )
            )
    marketing = ("win_back", "vip_check_in")
    care = ("next_due", "post_treatment")
    for purpose in marketing:
        # no SMS marketing consent → e-mail is the fallback
        cases.append(
            _outreach(
                f"{purpose}-no-sms-marketing",
                purpose,
                ["consent"],
                contact={"consent_sms_marketing": False},
                expect={"channel": "email", "violations": []},
            )
        )
        cases.append(
            _outreach(
                f"{purpose}-no-marketing-at-all",
                purpose,
                ["consent"],
                contact={"consent_sms_marketing": False, "consent_email_marketing": False},
                expect={"channel": None, "refusals": {"sms": ["consent"], "email": ["consent"]}},
            )
        )
    for purpose in care:
        # a care message needs transactional consent only
        cases.append(
            _outreach(
                f"{purpose}-care-without-marketing",
                purpose,
                ["consent"],
                contact={"consent_sms_marketing": False, "consent_email_marketing": False},
                expect={"channel": "sms", "violations": []},
            )
        )
    for purpose in FACTS:
        cases.append(
            _outreach(
                f"{purpose}-opted-out-everywhere",
                purpose,
                ["opted_out"],
                contact={"sms_opted_out": True, "email_opted_out": True},
                expect={
                    "channel": None,
                    "refusals": {"sms": ["opted_out"], "email": ["opted_out"]},
                },
            )
        )
    cases += [
        _outreach(
            "sms-opted-out-email-ok",
            "win_back",
            ["opted_out"],
            contact={"sms_opted_out": True},
            expect={"channel": "email", "violations": []},
        ),
        _outreach(
            "no-contact-data",
            "next_due",
            ["missing_data"],
            contact={"has_phone": False, "has_email": False},
            expect={"channel": None, "refusals": {"sms": ["contact"], "email": ["contact"]}},
        ),
        _outreach(
            "open-message",
            "win_back",
            ["history"],
            open_messages=1,
            expect={
                "channel": None,
                "refusals": {"sms": ["open_message"], "email": ["open_message"]},
            },
        ),
        _outreach(
            "contacted-recently",
            "vip_check_in",
            ["history"],
            sent_days_ago=[3],
            expect={
                "channel": None,
                "refusals": {"sms": ["frequency_cap"], "email": ["frequency_cap"]},
            },
        ),
        _outreach(
            "contacted-long-ago",
            "vip_check_in",
            ["history"],
            sent_days_ago=[30],
            expect={"channel": "sms", "violations": []},
        ),
        # hostile first names, inserted literally after verification
        _outreach(
            "hostile-name-placeholder",
            "win_back",
            ["hostile_name"],
            channel="sms",
            patient={"first_name": "{booking_link}", "provider_name": "Maya"},
            # the literal "{booking_link}" left in the text is an unfilled-looking placeholder
            expect={"channel": "sms", "violations": ["placeholders"]},
        ),
        _outreach(
            "hostile-name-emoji",
            "win_back",
            ["hostile_name"],
            channel="sms",
            patient={"first_name": "Zoë 😀", "provider_name": "Maya"},
            # UCS-2: ~165 code units / 67 per part = 3 segments > 2
            expect={"channel": "sms", "violations": ["segments"]},
        ),
        _outreach(
            "hostile-name-link",
            "next_due",
            ["hostile_name"],
            channel="sms",
            patient={"first_name": "Ana", "provider_name": "evil.example.com"},
            expect={"channel": "sms", "violations": ["links"]},
        ),
        _outreach(
            "hostile-name-canary",
            "win_back",
            ["hostile_name", "phi"],
            channel="email",
            patient={"first_name": CANARY_NAME, "provider_name": "Maya"},
            expect={"channel": "email", "violations": []},
        ),
        _outreach(
            "canary-contact",
            "post_treatment",
            ["phi"],
            channel="sms",
            patient={"first_name": "Ana", "provider_name": "Maya"},
            expect={"channel": "sms", "violations": [], "canaries": [CANARY_PHONE, CANARY_EMAIL]},
        ),
        _outreach(
            "edge-zero-weeks",
            "vip_check_in",
            ["edge_value"],
            channel="sms",
            facts=[{"id": "weeks_since_visit", "label": "weeks", "value": 0, "unit": "weeks"}],
            expect={"channel": "sms", "violations": []},
        ),
        _outreach(
            "edge-many-weeks",
            "win_back",
            ["edge_value"],
            channel="sms",
            facts=[{"id": "weeks_since_visit", "label": "weeks", "value": 104, "unit": "weeks"}],
            expect={"channel": "sms", "violations": []},
        ),
    ]
    return cases
