"""Briefings as the app shows them: one function per view, used by the HTML page and the JSON
endpoint alike (one view, two renderings).

A stored `Briefing` keeps what the graph wrote in `facts` (`written`, `outline`, `gathered`,
all pseudonymous). The view is built from those, never from the stored e-mail HTML, which has
names resolved. Names and phone numbers are looked up here, and only when the user's role may
see contact data and the patient's home location is one of the user's locations; otherwise the
call list shows pseudonyms (`P-123`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import phonenumbers
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from api.deps import UserScope
from store.models import Briefing, Patient, pseudonym
from tools.facts import Fact


class BriefingNotFound(LookupError):
    """No briefing with that id (or scope and day) that this user may see."""


class Badge(BaseModel):
    """How the text was written and checked: `verified` (every figure matched a fact),
    `fallback` (the model's draft failed; template text shown) or `unverified`."""

    state: Literal["verified", "fallback", "unverified"]
    text: str


class Point(BaseModel):
    title: str
    text: str
    action: str
    dollars: float | None
    dollars_display: str


class CallLine(BaseModel):
    """One patient to call. `name` and `phone` are None when the user may not see them."""

    pseudonym: str
    name: str | None
    phone: str | None
    why: str
    dollars: float | None
    dollars_display: str


class KpiLine(BaseModel):
    label: str
    value: str


class BriefingSummary(BaseModel):
    id: int
    scope: str
    scope_label: str
    location_id: int | None
    for_date: date
    headline: str
    verified: bool
    badge: Badge
    url: str


class BriefingView(BriefingSummary):
    writer: str
    created_at: datetime
    kpis: list[KpiLine]
    points: list[Point]
    call_list_intro: str
    call_list: list[CallLine]
    footer: str


class TodayView(BaseModel):
    """The latest briefing of every scope the user may see (organization first)."""

    briefings: list[BriefingView]


def usd(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def badge(verification: dict[str, Any]) -> Badge:
    checked = int(verification.get("checked") or 0)
    if verification.get("fallback"):
        return Badge(state="fallback", text="Template text (the model's draft failed checks)")
    if verification.get("passed"):
        return Badge(state="verified", text=f"Verified: all {checked} figures match the data")
    problems = len(verification.get("reasons") or [])
    return Badge(state="unverified", text=f"Not verified ({problems} problems)")


def visible(scope: UserScope) -> ColumnElement[bool]:
    """The briefings `scope` may read: its organization's, of its locations, and the
    organization-wide ones only when it sees the whole organization."""
    location = col(Briefing.location_id)
    allowed: ColumnElement[bool] = location.in_(sorted(scope.location_ids))
    if scope.whole_org:
        allowed = or_(allowed, location.is_(None))
    return and_(col(Briefing.organization_id) == scope.organization_id, allowed)


def _label(briefing: Briefing) -> str:
    gathered = (briefing.facts or {}).get("gathered") or {}
    return str(gathered.get("scope_label") or briefing.scope)


def _summary(briefing: Briefing) -> BriefingSummary:
    assert briefing.id is not None
    return BriefingSummary(
        id=briefing.id,
        scope=briefing.scope,
        scope_label=_label(briefing),
        location_id=briefing.location_id,
        for_date=briefing.for_date,
        headline=briefing.headline,
        verified=briefing.verified,
        badge=badge(briefing.verification or {}),
        url=f"/briefings/{briefing.id}",
    )


def _format_phone(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def contacts(
    session: Session, scope: UserScope, patient_ids: set[int]
) -> dict[int, tuple[str, str | None]]:
    """(name, phone) of the patients whose home location the user may see, if their role may
    see contact data at all."""
    if not scope.contacts or not patient_ids or not scope.location_ids:
        return {}
    rows = session.exec(
        select(Patient.id, Patient.first_name, Patient.last_name, Patient.phone_e164).where(
            col(Patient.id).in_(sorted(patient_ids)),
            col(Patient.home_location_id).in_(sorted(scope.location_ids)),
        )
    ).all()
    return {
        int(pid): (f"{first} {last}".strip(), _format_phone(phone))
        for pid, first, last, phone in rows
        if pid is not None
    }


def _view(session: Session, scope: UserScope, briefing: Briefing) -> BriefingView:
    stored = briefing.facts or {}
    written: dict[str, Any] = stored.get("written") or {}
    outline: dict[str, Any] = stored.get("outline") or {}
    gathered: dict[str, Any] = stored.get("gathered") or {}
    facts: dict[str, Any] = (gathered.get("facts") or {}).get("facts") or {}

    point_dollars = {p.get("key"): p.get("dollars") for p in outline.get("points") or []}
    points = []
    for point in written.get("points") or []:
        dollars = point_dollars.get(point.get("key"))
        points.append(
            Point(
                title=str(point.get("title", "")),
                text=str(point.get("text", "")),
                action=str(point.get("action", "")),
                dollars=dollars,
                dollars_display=usd(dollars),
            )
        )

    at_stake = {
        c.get("patient_id"): c.get("dollars_at_stake") for c in outline.get("call_list") or []
    }
    lines = written.get("call_list") or []
    known = contacts(session, scope, {int(line["patient_id"]) for line in lines})
    call_list = []
    for line in lines:
        patient_id = int(line["patient_id"])
        name, phone = known.get(patient_id, (None, None))
        dollars = at_stake.get(patient_id)
        call_list.append(
            CallLine(
                pseudonym=pseudonym(patient_id),
                name=name,
                phone=phone,
                why=str(line.get("why", "")),
                dollars=dollars,
                dollars_display=usd(dollars),
            )
        )

    kpis = [
        KpiLine(label=fact.label, value=fact.display())
        for fact in (
            Fact.model_validate(facts[fid])
            for fid in gathered.get("kpi_fact_ids") or []
            if fid in facts
        )
    ]
    return BriefingView(
        **_summary(briefing).model_dump(),
        writer=briefing.writer,
        created_at=briefing.created_at,
        kpis=kpis,
        points=points,
        call_list_intro=str(written.get("call_list_intro", "")),
        call_list=call_list,
        footer=str(written.get("footer", "")),
    )


def list_briefings(
    session: Session, scope: UserScope, *, limit: int = 50, scope_key: str | None = None
) -> list[BriefingSummary]:
    """The user's briefings, newest day first; `scope_key` (`location:2`) narrows the list."""
    query = select(Briefing).where(visible(scope))
    if scope_key is not None:
        query = query.where(Briefing.scope == scope_key)
    query = query.order_by(col(Briefing.for_date).desc(), col(Briefing.id).desc()).limit(limit)
    return [_summary(b) for b in session.exec(query).all()]


def get_briefing(session: Session, scope: UserScope, briefing_id: int) -> BriefingView:
    briefing = session.exec(
        select(Briefing).where(Briefing.id == briefing_id, visible(scope))
    ).first()
    if briefing is None:
        raise BriefingNotFound(f"no briefing {briefing_id}")
    return _view(session, scope, briefing)


def get_briefing_for_day(
    session: Session, scope: UserScope, scope_key: str, day: date
) -> BriefingView:
    """The briefing e-mail and Slack links name: `/briefings/<scope>/<YYYY-MM-DD>`."""
    briefing = session.exec(
        select(Briefing)
        .where(Briefing.scope == scope_key, Briefing.for_date == day, visible(scope))
        .order_by(col(Briefing.id).desc())
    ).first()
    if briefing is None:
        raise BriefingNotFound(f"no briefing for {scope_key} on {day.isoformat()}")
    return _view(session, scope, briefing)


def today(session: Session, scope: UserScope) -> TodayView:
    """The latest briefing of each scope the user may see; the organization's first."""
    latest = (
        select(Briefing.scope, func.max(Briefing.for_date).label("day"))
        .where(visible(scope))
        .group_by(col(Briefing.scope))
        .subquery()
    )
    rows = session.exec(
        select(Briefing)
        .join(
            latest,
            and_(col(Briefing.scope) == latest.c.scope, col(Briefing.for_date) == latest.c.day),
        )
        .where(visible(scope))
        .order_by(
            col(Briefing.location_id).is_not(None), col(Briefing.location_id), col(Briefing.id)
        )
    ).all()
    seen: set[str] = set()
    views = []
    for briefing in rows:
        if briefing.scope not in seen:
            seen.add(briefing.scope)
            views.append(_view(session, scope, briefing))
    return TodayView(briefings=views)
