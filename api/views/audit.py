"""The audit log as the app shows it (owner only).

Definitions:
- the audit log of a scope = the `AuditEvent` rows of the scope's organization whose location
  is one of the scope's locations or none (organization-wide events such as a subscription
  change); rows that name no organization (written before revision 0007 and not about an
  outreach message) belong to nobody and are never shown;
- filters: `action` (exact), `actor` (exact e-mail or name as recorded), `since` / `until`
  (UTC days, both included); newest first, `per_page` per page; `total` counts every match.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session

from api.deps import UserScope
from store import tables as t

A = t.audit_event


class AuditEntry(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    location_id: int | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    action: str | None
    actor: str | None
    since: date | None
    until: date | None
    page: int
    per_page: int
    total: int
    actions: list[str]
    events: list[AuditEntry]


def visible(scope: UserScope) -> ColumnElement[bool]:
    """The audit rows `scope` may read."""
    return and_(
        A.c.organization_id == scope.organization_id,
        or_(A.c.location_id.is_(None), A.c.location_id.in_(sorted(scope.location_ids))),
    )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # the store keeps UTC


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def audit_log(
    session: Session,
    scope: UserScope,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """One page of the scope's audit log, filtered (see the module docstring)."""
    where = [visible(scope)]
    if action:
        where.append(A.c.action == action)
    if actor:
        where.append(A.c.actor == actor)
    if since is not None:
        where.append(A.c.occurred_at >= _start(since))
    if until is not None:
        where.append(A.c.occurred_at < _start(until + timedelta(days=1)))
    conn = session.connection()
    total = int(conn.execute(select(func.count()).select_from(A).where(*where)).scalar_one())
    rows = conn.execute(
        select(A)
        .where(*where)
        .order_by(A.c.occurred_at.desc(), A.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    actions = [
        str(a)
        for a in conn.execute(
            select(A.c.action).where(visible(scope)).distinct().order_by(A.c.action)
        ).scalars()
    ]
    return AuditPage(
        action=action or None,
        actor=actor or None,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
        total=total,
        actions=actions,
        events=[
            AuditEntry(
                id=r.id,
                occurred_at=_aware(r.occurred_at),
                actor=r.actor,
                action=r.action,
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                location_id=r.location_id,
                details=r.details or {},
            )
            for r in rows
        ],
    )
