"""Patients as the app shows them: the at-risk list of the user's locations and tomorrow's
no-show risk list for confirmation calls (`no_show_tomorrow`). The at-risk list
(`tools.at_risk.at_risk_patients`, ranked by dollars at stake) comes with its reasons in numbers
and dollars. A patient belongs to the location of her last visit (as in `tools.at_risk`); names and
phones are shown only to roles that may see contact data, else pseudonyms.

The day looked at is the last day with sales at the user's locations (as the dashboard's).
"""

from __future__ import annotations

import threading
import time
import weakref
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import Engine, case, func, select
from sqlmodel import Session

from store import tables as t

if TYPE_CHECKING:
    from tools.no_show_risk import NoShowRisk

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
    #: Why the list is empty when it could not be computed (e.g. too few patients to fit).
    note: str | None = None


def at_risk(session: Session, engine: Engine, scope: UserScope, *, limit: int = 100) -> AtRiskView:
    """The scope's at-risk patients, most dollars at stake first, at most `limit`;
    `total_dollars_at_stake` sums the listed ones."""
    from tools.at_risk import at_risk_patients
    from tools.clv import NotEnoughHistoryError

    if not scope.location_ids:
        return AtRiskView(as_of=None, total_dollars_at_stake=0.0, patients=[])
    as_of = last_activity_day(engine, scope.organization_id, sorted(scope.location_ids))
    if as_of is None:
        return AtRiskView(as_of=None, total_dollars_at_stake=0.0, patients=[])
    try:
        found = at_risk_patients(engine, as_of=as_of, organization_id=scope.organization_id)
    except NotEnoughHistoryError as exc:  # a tiny practice: say so, no 500
        return AtRiskView(as_of=as_of, total_dollars_at_stake=0.0, patients=[], note=str(exc))
    rows = [r for r in found if r.location_id in scope.location_ids][:limit]
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


class NoShowLine(BaseModel):
    appointment_id: int
    patient_id: int
    pseudonym: str
    name: str | None
    phone: str | None
    location_id: int
    service: str
    local_time: str
    p_no_show: float
    risk_display: str
    expected_loss: float
    expected_loss_display: str
    reasons: list[str]


class NoShowView(BaseModel):
    as_of: date | None
    day: date | None
    method: str | None
    total_expected_loss: float
    appointments: list[NoShowLine]


#: Scoring fits the model on two years of the store's appointments (~5 s on the 15,000-patient
#: demo), so a day's scores are kept per engine for this long, and while tomorrow's bookings
#: (count, newest id, still booked) are unchanged.
NO_SHOW_CACHE_SECONDS = 600.0
_Cached = tuple[float, tuple[int, int, int], "list[NoShowRisk]"]  # (at, bookings, scores)
_scores: weakref.WeakKeyDictionary[Engine, dict[date, _Cached]] = weakref.WeakKeyDictionary()
_scores_lock = threading.Lock()


def _bookings(engine: Engine, day: date) -> tuple[int, int, int]:
    a = t.appointment
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.count(),
                func.coalesce(func.max(a.c.id), 0),
                func.coalesce(func.sum(case((a.c.status == "booked", 1), else_=0)), 0),
            ).where(a.c.local_date == day)
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def scored_day(engine: Engine, as_of: date, day: date) -> list[NoShowRisk]:
    """`tools.no_show_risk.score_upcoming(engine, as_of=as_of, day=day)` for every location of
    the store, cached (see `NO_SHOW_CACHE_SECONDS`); callers filter by scope."""
    from tools.no_show_risk import score_upcoming

    stamp = _bookings(engine, day)
    now = time.monotonic()
    with _scores_lock:
        hit = _scores.get(engine, {}).get(as_of)
    if hit is not None and hit[1] == stamp and now - hit[0] < NO_SHOW_CACHE_SECONDS:
        return hit[2]
    found = score_upcoming(engine, as_of=as_of, day=day)
    with _scores_lock:
        _scores.setdefault(engine, {})[as_of] = (now, stamp, found)
    return found


def no_show_tomorrow(
    session: Session, engine: Engine, scope: UserScope, *, limit: int = 50
) -> NoShowView:
    """Tomorrow's booked appointments at the scope's locations, riskiest first, at most
    `limit`, for confirmation calls. "Tomorrow" is the day after the last day with activity at
    those locations (the at-risk list's as-of day); `p_no_show` and `expected_loss` (= p ×
    the service's list price) come from `tools.no_show_risk.score_upcoming`;
    `total_expected_loss` sums the listed ones."""
    empty = NoShowView(as_of=None, day=None, method=None, total_expected_loss=0.0, appointments=[])
    if not scope.location_ids:
        return empty
    as_of = last_activity_day(engine, scope.organization_id, sorted(scope.location_ids))
    if as_of is None:
        return empty
    day = as_of + timedelta(days=1)
    rows = [r for r in scored_day(engine, as_of, day) if r.location_id in scope.location_ids][
        :limit
    ]
    known = contacts(session, scope, {r.patient_id for r in rows})
    lines = []
    for r in rows:
        name, phone = known.get(r.patient_id, (None, None))
        lines.append(
            NoShowLine(
                appointment_id=r.appointment_id,
                patient_id=r.patient_id,
                pseudonym=r.pseudonym,
                name=name,
                phone=phone,
                location_id=r.location_id,
                service=r.service,
                local_time=f"{r.local_hour:02d}:00",
                p_no_show=r.p_no_show,
                risk_display=f"{r.p_no_show:.0%}",
                expected_loss=r.expected_loss,
                expected_loss_display=usd(r.expected_loss),
                reasons=r.reasons,
            )
        )
    return NoShowView(
        as_of=as_of,
        day=day,
        method=rows[0].method if rows else None,
        total_expected_loss=round(sum(line.expected_loss for line in lines), 2),
        appointments=lines,
    )
