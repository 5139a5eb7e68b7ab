"""Phone wording (`agent.briefing.wording`): names for keys, short labels, addressed actions."""

from __future__ import annotations

from datetime import date

from agent.briefing.state import Candidate
from agent.briefing.wording import addressed_action, display, short_kpi_label

NAMES = {"provider:3": "Jordan Whitley", "location:1": "Back Bay"}


def cand(kind: str, action: str = "Review checkout rebooking with Back Bay.") -> Candidate:
    return Candidate(key="k", kind=kind, title="t", dollars=1.0, dollars_fact_id="d", action=action)


def test_keys_become_names() -> None:
    assert display("Back Bay: meta_ads cost per new patient up", NAMES) == (
        "Back Bay: Meta ads cost per new patient up"
    )
    assert display("utilization, provider:3", NAMES) == "utilization, Jordan Whitley"
    assert display("new_patient_rate at provider:9", NAMES) == "new patient rate at provider:9"
    sources = "tools (tools.at_risk, tools.findings)"
    assert display(sources) == sources  # module paths stay


def test_short_kpi_labels_carry_their_window() -> None:
    assert short_kpi_label("net_revenue.location-1.2026-11-17", 1, date(2026, 11, 17)) == (
        "Net revenue (2026-11-17)"
    )
    assert short_kpi_label("net_revenue.location-1.2026-10-19..2026-11-17", 30) == (
        "Net revenue (30 days)"
    )
    assert short_kpi_label("rebooking_rate.location-1.2026-10-19..2026-11-17", 30) == "Rebooking"
    assert short_kpi_label("forecast.revenue.location-1.next-30d", 0) == ("Forecast, next 30 days")


def test_actions_are_addressed_to_people() -> None:
    assert addressed_action(cand("rebooking_gap"), "Back Bay", None) == (
        "Front desk at Back Bay: book every patient's next visit at checkout, before she leaves."
    )
    assert addressed_action(cand("rebooking_gap"), "Back Bay", "Jordan Whitley") == (
        "Jordan Whitley: book each patient's next visit before she leaves the room."
    )
    assert addressed_action(cand("utilization_gap"), "Back Bay", "Jordan Whitley") == (
        "Front desk at Back Bay: fill Jordan Whitley's open hours from the waitlist and recall "
        "list."
    )
    assert addressed_action(cand("anomaly.refunds"), "Back Bay", None).startswith(
        "Manager at Back Bay: "
    )
    assert addressed_action(cand("cac_jump"), "Back Bay", None).startswith("Owner: ")
    assert addressed_action(cand("comp_above_range"), None, "Noor Haddad") == (
        "Owner: review Noor Haddad's pay plan against what they produce."
    )
    assert addressed_action(cand("something_new", "Check the meta_ads budget."), None, None) == (
        "Owner: Check the Meta ads budget."
    )
