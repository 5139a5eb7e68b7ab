"""Patients as the app shows them: the at-risk list of the user's locations
(`tools.at_risk.at_risk_patients`, ranked by dollars at stake) with its reasons in numbers and
dollars. A patient belongs to the location of her last visit (as in `tools.at_risk`); names and
phones are shown only to roles that may see contact data, else pseudonyms.

The day looked at is the last day with sales at the user's locations (as the dashboard's).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from api.deps import UserScope
from api.views.briefings import contacts, usd
from store.scope import last_activity_day


class AtRiskLine(BaseModel):
    patient_id: int
    pseudonym: str
    name: str | None
    phone: str | None
    location_id: int
    reasons: list[str]
    last_treatment: str
    last_visit: date
    days_overdue: int
    p_return: float
    annual_value: float
    dollars_at_stake: float
    dollars_display: str


class AtRiskView(BaseModel):
    as_of: date | None
    total_dollars_at_stake: float
    patients: list[AtRiskLine]


def at_risk(session: Session, engine: Engine, scope: UserScope, *, limit: int = 100) -> AtRiskView:
    """The scope's at-risk patients, most dollars at stake first, at most `limit`;
    `total_dollars_at_stake` sums the listed ones."""
    from tools.at_risk import at_risk_patients

    if not scope.location_ids:
        return AtRiskView(as_of=None, total_dollars_at_stake=0.0, patients=[])
    as_of = last_activity_day(engine, scope.organization_id, sorted(scope.location_ids))
    if as_of is None:
        return AtRiskView(as_of=None, total_dollars_at_stake=0.0, patients=[])
    rows = [
        r
        for r in at_risk_patients(engine, as_of=as_of, organization_id=scope.organization_id)
        if r.location_id in scope.location_ids
    ][:limit]
    known = contacts(session, scope, {r.patient_id for r in rows})
    lines = []
    for r in rows:
        name, phone = known.get(r.patient_id, (None, None))
        lines.append(
            AtRiskLine(
                patient_id=r.patient_id,
                pseudonym=r.pseudonym,
                name=name,
                phone=phone,
                location_id=r.location_id,
                reasons=r.reasons,
                last_treatment=r.last_treatment,
                last_visit=r.last_visit,
                days_overdue=r.days_overdue,
                p_return=r.p_return,
                annual_value=r.annual_value,
                dollars_at_stake=r.dollars_at_stake,
                dollars_display=usd(r.dollars_at_stake),
            )
        )
    total = round(sum(line.dollars_at_stake for line in lines), 2)
    return AtRiskView(as_of=as_of, total_dollars_at_stake=total, patients=lines)
