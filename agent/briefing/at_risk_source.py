"""Adapter: the at-risk patients behind the call list, as pseudonymous `CallCandidate`s.

Uses `tools.at_risk.at_risk_patients` (overdue patients ranked by dollars at stake). Only ids,
pseudonyms and facts leave this module — never names or contact data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from agent.briefing.state import CallCandidate
from tools.at_risk import at_risk_patients
from tools.clv import NotEnoughHistoryError
from tools.facts import Fact

POOL = 25  # patients carried into the briefing (with their facts); the call list takes the top


@dataclass(frozen=True)
class AtRiskResult:
    """The `POOL` most valuable at-risk patients, and count and dollars over all of them."""

    patients: list[CallCandidate]
    facts: list[Fact]
    source: str
    count: int
    total_dollars: float
    note: str | None = None  # why there is no list (a practice too small to score)


def _usd_fact_for(facts: list[Fact], dollars: float) -> Fact | None:
    for fact in facts:
        value = fact.value
        if fact.unit == "USD" and isinstance(value, int | float) and abs(value - dollars) < 0.005:
            return fact
    return None


def at_risk(
    engine: Engine, *, organization_id: int, location_id: int | None, as_of: date
) -> AtRiskResult:
    """The most valuable at-risk patients of the scope (most dollars at stake first), with the
    count and dollars at stake of all of them."""
    try:
        everyone = at_risk_patients(
            engine, as_of=as_of, organization_id=organization_id, location_id=location_id
        )
    except NotEnoughHistoryError:
        # No figure in the note: every number a briefing states must come from a fact.
        note = "No call list yet: too few patients with a purchase to fit the return model."
        return AtRiskResult([], [], "tools.at_risk", 0, 0.0, note=note)
    everyone.sort(key=lambda p: (-p.dollars_at_stake, p.patient_id))
    candidates: list[CallCandidate] = []
    facts: list[Fact] = []
    for p in everyone[:POOL]:
        own = list(p.facts)
        dollars_fact = _usd_fact_for(own, float(p.dollars_at_stake))
        if dollars_fact is None:
            dollars_fact = Fact(
                id=f"at_risk.{p.pseudonym}.dollars_at_stake",
                label="Dollars at stake",
                value=round(float(p.dollars_at_stake), 2),
                unit="USD",
                scope=f"patient:{p.pseudonym}",
                period_end=as_of,
                source="tools.at_risk",
            )
            own.append(dollars_fact)
        # The reason in numbers: "Botox every 13 weeks, now 20 weeks", last visit's day.
        cadence = [
            Fact(
                id=f"at_risk.{p.pseudonym}.interval_weeks",
                label=f"Usual weeks between visits, {p.pseudonym}",
                value=max(1, round((p.expected_next_visit - p.last_visit).days / 7)),
                unit="count",
                scope=f"patient:{p.pseudonym}",
                period_end=as_of,
                source="tools.at_risk (expected next visit − last visit, in weeks)",
            ),
            Fact(
                id=f"at_risk.{p.pseudonym}.weeks_since",
                label=f"Weeks since the last visit, {p.pseudonym}",
                value=(as_of - p.last_visit).days // 7,
                unit="count",
                scope=f"patient:{p.pseudonym}",
                period_end=as_of,
                source="tools.at_risk (days since the last visit ÷ 7, whole weeks)",
            ),
            Fact(
                id=f"at_risk.{p.pseudonym}.last_visit",
                label=f"Last visit, {p.pseudonym}",
                value=p.last_visit.isoformat(),
                unit="date",
                scope=f"patient:{p.pseudonym}",
                period_end=p.last_visit,
                source="tools.at_risk",
            ),
        ]
        own += cadence
        facts.extend(own)
        days_fact = next((f for f in own if f.unit == "days"), None)
        candidates.append(
            CallCandidate(
                patient_id=p.patient_id,
                pseudonym=p.pseudonym,
                location_id=p.location_id,
                reasons=list(p.reasons),
                last_treatment=p.last_treatment,
                last_visit=p.last_visit,
                days_overdue=p.days_overdue,
                dollars_at_stake=float(p.dollars_at_stake),
                dollars_fact_id=dollars_fact.id,
                fact_ids=[f.id for f in cadence] + ([days_fact.id] if days_fact else []),
            )
        )
    total = round(sum(float(p.dollars_at_stake) for p in everyone), 2)
    return AtRiskResult(candidates, facts, "tools.at_risk", len(everyone), total)
