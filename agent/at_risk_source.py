"""Adapter: the at-risk patients behind the call list, as pseudonymous `CallCandidate`s.

Uses `tools.at_risk.at_risk_patients` (overdue patients ranked by dollars at stake) when that
tool is installed; until then it falls back to `tools.vip.lapsing_vips` (VIPs with no visit in
120 days and nothing booked; dollars at stake = their trailing-12-month revenue). Either way
only ids, pseudonyms and facts leave this module — never names or contact data.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

from agent.state import CallCandidate
from tools.facts import Fact, FactMaker
from tools.scope import Period, Scope

FALLBACK_QUIET_DAYS = 120
POOL = 25  # patients carried into the briefing (with their facts); the call list takes the top


@dataclass(frozen=True)
class AtRiskResult:
    """The `POOL` most valuable at-risk patients, and count and dollars over all of them."""

    patients: list[CallCandidate]
    facts: list[Fact]
    source: str
    count: int
    total_dollars: float


def _usd_fact_for(facts: list[Fact], dollars: float) -> Fact | None:
    for fact in facts:
        value = fact.value
        if fact.unit == "USD" and isinstance(value, int | float) and abs(value - dollars) < 0.005:
            return fact
    return None


def _from_at_risk_tool(
    module: Any, engine: Engine, organization_id: int, location_id: int | None, as_of: date
) -> AtRiskResult:
    everyone = module.at_risk_patients(
        engine, as_of=as_of, organization_id=organization_id, location_id=location_id
    )
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
                fact_ids=[days_fact.id] if days_fact else [],
            )
        )
    total = round(sum(float(p.dollars_at_stake) for p in everyone), 2)
    return AtRiskResult(candidates, facts, "tools.at_risk", len(everyone), total)


def _from_lapsing_vips(
    engine: Engine, organization_id: int, location_id: int | None, as_of: date
) -> AtRiskResult:
    from tools.vip import lapsing_vips

    period = Period(as_of - timedelta(days=29), as_of)
    scope = Scope(organization_id, location_id)
    candidates: list[CallCandidate] = []
    facts: list[Fact] = []
    everyone = lapsing_vips(engine, scope, period, quiet_days=FALLBACK_QUIET_DAYS)
    everyone.sort(key=lambda v: (-v.revenue_12m, v.patient_id))
    for vip in everyone[:POOL]:
        make = FactMaker(
            prefix=f"vip.{vip.patient}",
            scope=f"patient:{vip.patient}",
            source="tools.vip.lapsing_vips",
            period_start=as_of - timedelta(days=364),
            period_end=as_of,
        )
        value = make("revenue_12m", "12-month spend", round(vip.revenue_12m, 2), "USD")
        quiet = make(
            "days_since_visit",
            "Days since last visit",
            vip.days_since_visit,
            "days",
            period=(None, as_of),
        )
        facts += [value, quiet]
        candidates.append(
            CallCandidate(
                patient_id=vip.patient_id,
                pseudonym=vip.patient,
                reasons=[f"VIP (rank {vip.rank}) with no visit and nothing booked"],
                last_treatment="VIP",
                last_visit=vip.last_visit,
                days_overdue=vip.days_since_visit,
                dollars_at_stake=vip.revenue_12m,
                dollars_fact_id=value.id,
                fact_ids=[quiet.id] if vip.days_since_visit is not None else [],
            )
        )
    total = round(sum(v.revenue_12m for v in everyone), 2)
    return AtRiskResult(candidates, facts, "tools.vip.lapsing_vips", len(everyone), total)


def at_risk(
    engine: Engine, *, organization_id: int, location_id: int | None, as_of: date
) -> AtRiskResult:
    """The most valuable at-risk patients of the scope (most dollars at stake first), with the
    count and dollars at stake of all of them."""
    try:
        module = importlib.import_module("tools.at_risk")
    except ModuleNotFoundError:
        result = _from_lapsing_vips(engine, organization_id, location_id, as_of)
    else:
        result = _from_at_risk_tool(module, engine, organization_id, location_id, as_of)
    return result
