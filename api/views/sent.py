"""Sent messages as the app shows them: the scope's outreach messages past the approval queue,
each with its state and its delivery events.

Definitions:
- the sent list of a scope = its `OutreachMessage` rows whose location is one of the scope's
  locations and whose state is one of `SENT_LIST_STATES` (everything decided: approved,
  scheduled, sending, sent, delivered, failed, undelivered, unknown, rejected), newest
  activity first (`sent_at`, else `decided_at`, else `drafted_at`); a `state` filter narrows
  it to one state;
- the events of a message = what the store recorded about it, oldest first: drafted
  (`drafted_at`), each audited decision (`AuditEvent` rows of the message: approve, edit,
  reject, auto-approve, with who), scheduled (`scheduled_for`), send started
  (`sending_started_at`), sent (`sent_at`, with the provider's id), and the outcome the
  provider reported last (delivered / undelivered / failed / unknown, with the error), which
  the store keeps as the message's state without a time (`at` is None);
- `counts` = the scope's messages in each listed state (0 included).
The recipient's name is shown only to roles that may see contact data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlmodel import Session

from api.deps import UserScope
from api.views.briefings import contacts
from store import tables as t
from store.models import pseudonym

M = t.outreach_message
A = t.audit_event
SENT_LIST_STATES: tuple[str, ...] = (
    "approved",
    "scheduled",
    "sending",
    "sent",
    "delivered",
    "failed",
    "undelivered",
    "unknown",
    "rejected",
)
#: Outcomes the provider reports after `sent` (or the reconciler decides), kept only as state.
OUTCOMES = frozenset({"delivered", "undelivered", "failed", "unknown"})


class SentEvent(BaseModel):
    at: datetime | None
    event: str
    by: str | None = None
    detail: str | None = None


class SentMessage(BaseModel):
    id: int
    pseudonym: str
    name: str | None
    location_id: int
    channel: str
    purpose: str
    state: str
    subject: str | None
    body: str
    provider_message_id: str | None
    error: str | None
    events: list[SentEvent]


class SentView(BaseModel):
    state: str | None
    page: int
    per_page: int
    total: int
    counts: dict[str, int]
    messages: list[SentMessage]


def _events(row: Row[Any], audits: list[Row[Any]]) -> list[SentEvent]:
    events = [SentEvent(at=row.drafted_at, event="drafted", by=row.writer)]
    for a in audits:
        reason = (a.details or {}).get("reason")
        events.append(
            SentEvent(
                at=a.occurred_at,
                event=str(a.action).removeprefix("outreach."),
                by=a.actor,
                detail=str(reason) if reason else None,
            )
        )
    if row.scheduled_for is not None:
        events.append(SentEvent(at=row.scheduled_for, event="scheduled"))
    if row.sending_started_at is not None:
        events.append(SentEvent(at=row.sending_started_at, event="send started"))
    if row.sent_at is not None:
        events.append(SentEvent(at=row.sent_at, event="sent", detail=row.provider_message_id))
    if row.state in OUTCOMES:
        events.append(SentEvent(at=None, event=row.state, detail=row.error))
    timed = sorted((e for e in events if e.at is not None), key=lambda e: _utc(e.at))
    return timed + [e for e in events if e.at is None]


def _utc(at: datetime | None) -> datetime:
    assert at is not None
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # the store keeps UTC


def sent(
    session: Session,
    scope: UserScope,
    *,
    state: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> SentView:
    """The scope's decided messages (one state's if `state`), `per_page` per page."""
    if state is not None and state not in SENT_LIST_STATES:
        raise ValueError(f"not a sent-list state: {state!r} (one of {', '.join(SENT_LIST_STATES)})")
    counts = dict.fromkeys(SENT_LIST_STATES, 0)
    empty = SentView(state=state, page=page, per_page=per_page, total=0, counts=counts, messages=[])
    if not scope.location_ids:
        return empty
    mine = M.c.location_id.in_(sorted(scope.location_ids))
    conn = session.connection()
    for st, n in conn.execute(
        select(M.c.state, func.count())
        .where(mine, M.c.state.in_(SENT_LIST_STATES))
        .group_by(M.c.state)
    ).all():
        counts[str(st)] = int(n)
    states = [state] if state else list(SENT_LIST_STATES)
    total = sum(counts[s] for s in states)
    activity = func.coalesce(M.c.sent_at, M.c.decided_at, M.c.drafted_at)
    rows = conn.execute(
        select(M)
        .where(mine, M.c.state.in_(states))
        .order_by(activity.desc(), M.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    by_message: dict[str, list[Row[Any]]] = defaultdict(list)
    if rows:
        for a in conn.execute(
            select(A)
            .where(
                A.c.entity_type == "outreach_message",
                A.c.entity_id.in_([str(r.id) for r in rows]),
            )
            .order_by(A.c.occurred_at, A.c.id)
        ).all():
            by_message[str(a.entity_id)].append(a)
    known = contacts(session, scope, {int(r.patient_id) for r in rows})
    messages = [
        SentMessage(
            id=r.id,
            pseudonym=pseudonym(r.patient_id),
            name=known.get(r.patient_id, (None, None))[0],
            location_id=r.location_id,
            channel=r.channel,
            purpose=r.purpose,
            state=r.state,
            subject=r.subject,
            body=r.body,
            provider_message_id=r.provider_message_id,
            error=r.error,
            events=_events(r, by_message[str(r.id)]),
        )
        for r in rows
    ]
    return SentView(
        state=state, page=page, per_page=per_page, total=total, counts=counts, messages=messages
    )
