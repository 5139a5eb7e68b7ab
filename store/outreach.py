"""Outreach messages in the store: drafts, the approval queue and the send state machine.

States (`store.models.MessageState`):

    drafted → pending_approval → approved | rejected
    approved → scheduled → sending → sent → delivered | failed | undelivered
    sending → unknown (outcome not seen) → sent | failed (reconciled with the provider)
    sending → failed (the provider refused for certain)

Every transition is ONE guarded UPDATE (`… WHERE id = :id AND state = :expected`) whose row
count is checked: of two workers or two clicks racing for the same move, exactly one wins.
Every human (or auto-approval) decision writes an `AuditEvent` with who, when, the state before
and after, and the text before and after (message bodies stay in the practice's database; they
are never logged).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from store import tables as t

M = t.outreach_message

NEXT: dict[str, frozenset[str]] = {
    "drafted": frozenset({"pending_approval"}),
    "pending_approval": frozenset({"approved", "rejected"}),
    "approved": frozenset({"scheduled"}),
    "scheduled": frozenset({"sending"}),
    "sending": frozenset({"sent", "failed", "unknown"}),
    "unknown": frozenset({"sent", "failed"}),
    "sent": frozenset({"delivered", "failed", "undelivered"}),
    "delivered": frozenset(),
    "failed": frozenset(),
    "undelivered": frozenset(),
    "rejected": frozenset(),
}


class OutreachError(ValueError):
    """A decision or transition that cannot happen; the message is one line for a person."""


class PolicyBlocked(OutreachError):
    """Approval refused because the draft violates the messaging policy."""


@dataclass(frozen=True)
class NewDraft:
    key: str  # idempotency key, e.g. "outreach:p12:win_back:2026-11-30"
    patient_id: int
    location_id: int
    channel: str
    purpose: str
    template: str
    body: str
    subject: str | None
    reasons: dict[str, Any]
    writer: str
    thread_id: str | None
    drafted_at: datetime


def transition(conn: Connection, message_id: int, expected: str, new: str, **values: Any) -> bool:
    """Move one message from `expected` to `new` with one guarded UPDATE; True if it moved."""
    if new not in NEXT.get(expected, frozenset()):
        raise OutreachError(f"no transition {expected} → {new}")
    result = conn.execute(
        update(M).where(M.c.id == message_id, M.c.state == expected).values(state=new, **values)
    )
    return result.rowcount == 1


def audit(
    conn: Connection, *, actor: str, action: str, message_id: int, at: datetime, **details: Any
) -> None:
    """One `AuditEvent` for a message, tagged with the message's location and organization
    (so the audit page shows it to that organization only)."""
    where = conn.execute(
        select(M.c.location_id, t.location.c.organization_id)
        .join(t.location, t.location.c.id == M.c.location_id)
        .where(M.c.id == message_id)
    ).first()
    conn.execute(
        insert(t.audit_event).values(
            occurred_at=at,
            actor=actor,
            action=action,
            entity_type="outreach_message",
            entity_id=str(message_id),
            details=details,
            location_id=where.location_id if where else None,
            organization_id=where.organization_id if where else None,
        )
    )


def insert_draft(engine: Engine, draft: NewDraft) -> tuple[int, bool]:
    """The message id for `draft.key`, inserting it (state drafted) unless it exists; the flag
    says whether this call created it (a re-run of the same draft step creates nothing)."""
    existing = find_by_key(engine, draft.key)
    if existing is not None:
        return existing, False
    try:
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(M)
                .values(
                    patient_id=draft.patient_id,
                    location_id=draft.location_id,
                    channel=draft.channel,
                    purpose=draft.purpose,
                    subject=draft.subject,
                    body=draft.body,
                    template=draft.template,
                    state="drafted",
                    reasons=draft.reasons,
                    thread_id=draft.thread_id,
                    idempotency_key=draft.key,
                    writer=draft.writer,
                    drafted_at=draft.drafted_at,
                )
                .returning(M.c.id)
            ).scalar_one()
    except IntegrityError:  # another process inserted the same key between our read and write
        found = find_by_key(engine, draft.key)
        if found is None:
            raise
        return found, False
    return int(new_id), True


def find_by_key(engine: Engine, key: str) -> int | None:
    with engine.connect() as conn:
        value = conn.execute(select(M.c.id).where(M.c.idempotency_key == key)).scalar()
    return None if value is None else int(value)


def get_message(engine: Engine | Connection, message_id: int) -> dict[str, Any]:
    """The row as a dict; `OutreachError` when there is none."""
    query = select(M).where(M.c.id == message_id)
    if isinstance(engine, Connection):
        row = engine.execute(query).mappings().first()
    else:
        with engine.connect() as conn:
            row = conn.execute(query).mappings().first()
    if row is None:
        raise OutreachError(f"no outreach message with id {message_id}")
    return dict(row)


def submit_for_approval(
    engine: Engine, message_id: int, *, policy: dict[str, Any], segments: int | None
) -> bool:
    """drafted → pending_approval, storing the policy result shown to the approver."""
    with engine.begin() as conn:
        return transition(
            conn, message_id, "drafted", "pending_approval", policy=policy, segments=segments
        )


def pending_ids(engine: Engine, location_id: int) -> list[int]:
    """Ids of the location's messages waiting for approval, oldest first."""
    with engine.connect() as conn:
        query = select(M.c.id).where(M.c.location_id == location_id)
        return list(
            conn.execute(query.where(M.c.state == "pending_approval").order_by(M.c.id)).scalars()
        )


def store_recheck(
    engine: Engine, message_id: int, *, policy: dict[str, Any], segments: int | None
) -> bool:
    """Replace the policy result of a message still waiting for approval (its location's
    policy changed); False when it was decided meanwhile. Not a decision: the state stays."""
    with engine.begin() as conn:
        result = conn.execute(
            update(M)
            .where(M.c.id == message_id, M.c.state == "pending_approval")
            .values(policy=policy, segments=segments)
        )
        return result.rowcount == 1


def _pending(conn: Connection, message_id: int) -> dict[str, Any]:
    row = get_message(conn, message_id)
    if row["state"] != "pending_approval":
        raise OutreachError(f"message {message_id} is {row['state']}, not pending_approval")
    return row


def approve(
    engine: Engine, message_id: int, *, by: str, at: datetime, rule: str | None = None
) -> None:
    """pending_approval → approved; refused while the policy has violations. `rule` names the
    autonomous-policy rule when the approval was automatic."""
    with engine.begin() as conn:
        row = _pending(conn, message_id)
        policy = row["policy"] or {}
        if not policy.get("passed", False):
            rules = ", ".join(v["rule"] for v in policy.get("violations", [])) or "not checked"
            raise PolicyBlocked(f"message {message_id} violates the policy ({rules}); edit it")
        if not transition(
            conn, message_id, "pending_approval", "approved", decided_by=by, decided_at=at
        ):
            raise OutreachError(f"message {message_id} was decided by someone else meanwhile")
        audit(
            conn,
            actor=by,
            action="outreach.auto_approve" if rule else "outreach.approve",
            message_id=message_id,
            at=at,
            before_state="pending_approval",
            after_state="approved",
            text=row["body"],
            rule=rule,
        )


def edit(
    engine: Engine,
    message_id: int,
    *,
    template: str,
    body: str,
    policy: dict[str, Any],
    segments: int | None,
    by: str,
    at: datetime,
) -> None:
    """Replace the text of a pending message (its policy re-checked by the caller); the message
    stays pending_approval. Audited with the text before and after."""
    with engine.begin() as conn:
        row = _pending(conn, message_id)
        result = conn.execute(
            update(M)
            .where(M.c.id == message_id, M.c.state == "pending_approval")
            .values(template=template, body=body, policy=policy, segments=segments)
        )
        if result.rowcount != 1:
            raise OutreachError(f"message {message_id} was decided by someone else meanwhile")
        audit(
            conn,
            actor=by,
            action="outreach.edit",
            message_id=message_id,
            at=at,
            before_text=row["body"],
            after_text=body,
            policy_passed=bool(policy.get("passed")),
        )


def reject(engine: Engine, message_id: int, *, reason: str, by: str, at: datetime) -> None:
    """pending_approval → rejected with the reason; nothing is ever sent."""
    if not reason.strip():
        raise OutreachError("a rejection needs a reason")
    with engine.begin() as conn:
        row = _pending(conn, message_id)
        if not transition(
            conn,
            message_id,
            "pending_approval",
            "rejected",
            decided_by=by,
            decided_at=at,
            decision_reason=reason,
        ):
            raise OutreachError(f"message {message_id} was decided by someone else meanwhile")
        audit(
            conn,
            actor=by,
            action="outreach.reject",
            message_id=message_id,
            at=at,
            before_state="pending_approval",
            after_state="rejected",
            text=row["body"],
            reason=reason,
        )


def schedule(engine: Engine, message_id: int, *, at: datetime) -> bool:
    """approved → scheduled for `at` (the next opening of the recipient's window)."""
    with engine.begin() as conn:
        return transition(conn, message_id, "approved", "scheduled", scheduled_for=at)


def reschedule(engine: Engine, message_id: int, *, at: datetime) -> bool:
    """A scheduled message moved to `at` (still scheduled: the send window it was scheduled
    into has changed); one guarded UPDATE, False when it is no longer scheduled."""
    with engine.begin() as conn:
        result = conn.execute(
            update(M).where(M.c.id == message_id, M.c.state == "scheduled").values(scheduled_for=at)
        )
        return result.rowcount == 1


def messages(
    engine: Engine,
    *,
    states: Iterable[str] | None = None,
    location_ids: Sequence[int] | None = None,
    ids: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Rows (oldest first) filtered by state, location and id: the approval queue is
    `messages(engine, states=["pending_approval"])`."""
    query = select(M).order_by(M.c.id)
    if states is not None:
        query = query.where(M.c.state.in_(list(states)))
    if location_ids is not None:
        query = query.where(M.c.location_id.in_(list(location_ids)))
    if ids is not None:
        query = query.where(M.c.id.in_(list(ids)))
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
