"""The approval queue as the app shows it: one function per view for the page and the JSON
endpoint, and the decisions (approve, edit, reject) a person takes on it.

Definitions:
- the queue of a scope = its `OutreachMessage` rows in one state (default
  `pending_approval`) whose location is one of the scope's locations, oldest first;
- `counts` = the number of the scope's messages in each state (every state listed, 0 included);
- a draft has *warnings* when its policy result has violations or the writer left notes
  (e.g. the LLM draft was replaced by the template); bulk approval skips such drafts;
- value and risk: the candidate's `details` as drafted (dollars at stake, chance of return,
  annual or trailing-12-month value).

Every decision goes through `store.outreach`'s guarded transitions (audited with the signed-in
user's e-mail). An approval is then scheduled for the next opening of the recipient's window
(as the graph's schedule node does), so `clarity outreach send-due` sends it once. A message
outside the scope is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from api.deps import UserScope
from api.views.briefings import contacts
from store import tables as t
from store.models import MessageState, pseudonym
from store.outreach import OutreachError, approve, edit, get_message, messages, reject, schedule

M = t.outreach_message
#: Longest edited text accepted (10 SMS segments of GSM-7 is 1,530 characters).
MAX_TEXT = 1600


class MessageNotFound(LookupError):
    """No outreach message with that id that this user may see."""


class Violation(BaseModel):
    rule: str
    detail: str


class PolicyView(BaseModel):
    passed: bool
    violations: list[Violation]
    segments: int | None
    encoding: str | None


class QueueItem(BaseModel):
    """One message. `name` is None when the user may not see contact data."""

    id: int
    pseudonym: str
    name: str | None
    location_id: int
    purpose: str
    channel: str
    state: str
    subject: str | None
    body: str
    template: str
    reason: str
    value: dict[str, float]
    value_display: list[str]
    policy: PolicyView
    warnings: list[str]
    drafted_at: datetime
    decided_by: str | None
    decision_reason: str | None
    scheduled_for: datetime | None


class QueueView(BaseModel):
    state: str
    counts: dict[str, int]
    items: list[QueueItem]


class BulkResult(BaseModel):
    approved: list[int]
    skipped: list[int]


def _now() -> datetime:
    return datetime.now(UTC)


def policy_view(policy: dict[str, Any] | None) -> PolicyView:
    policy = policy or {}
    return PolicyView(
        passed=bool(policy.get("passed")),
        violations=[Violation(**v) for v in policy.get("violations", [])],
        segments=policy.get("segments"),
        encoding=policy.get("encoding"),
    )


def _value(details: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    value: dict[str, float] = {}
    shown: list[str] = []
    for key, label, kind in (
        ("dollars_at_stake", "at stake", "usd"),
        ("annual_value", "a year", "usd"),
        ("trailing_12m_value", "in the last 12 months", "usd"),
        ("p_return", "chance of return", "pct"),
    ):
        raw = details.get(key)
        if isinstance(raw, int | float):
            value[key] = float(raw)
            shown.append(f"${raw:,.0f} {label}" if kind == "usd" else f"{raw:.0%} {label}")
    return value, shown


def warnings_of(row: dict[str, Any]) -> list[str]:
    """The policy's violation details, then the writer's notes."""
    policy = policy_view(row.get("policy"))
    notes = (row.get("reasons") or {}).get("writer_notes") or []
    return [v.detail for v in policy.violations] + [f"writer: {n}" for n in notes]


def _item(row: dict[str, Any], names: dict[int, tuple[str, str | None]]) -> QueueItem:
    reasons = row.get("reasons") or {}
    value, shown = _value(reasons.get("details") or {})
    return QueueItem(
        id=row["id"],
        pseudonym=pseudonym(row["patient_id"]),
        name=names.get(row["patient_id"], (None, None))[0],
        location_id=row["location_id"],
        purpose=row["purpose"],
        channel=row["channel"],
        state=row["state"],
        subject=row.get("subject"),
        body=row["body"],
        template=row.get("template") or row["body"],
        reason=str(reasons.get("reason") or ""),
        value=value,
        value_display=shown,
        policy=policy_view(row.get("policy")),
        warnings=warnings_of(row),
        drafted_at=row["drafted_at"],
        decided_by=row.get("decided_by"),
        decision_reason=row.get("decision_reason"),
        scheduled_for=row.get("scheduled_for"),
    )


def _items(session: Session, scope: UserScope, rows: list[dict[str, Any]]) -> list[QueueItem]:
    names = contacts(session, scope, {int(r["patient_id"]) for r in rows})
    return [_item(r, names) for r in rows]


def counts(engine: Engine, scope: UserScope) -> dict[str, int]:
    """Messages of the scope's locations per state; every state present, 0 included."""
    found = {s.value: 0 for s in MessageState}
    if not scope.location_ids:
        return found
    with engine.connect() as conn:
        for state, n in conn.execute(
            select(M.c.state, func.count())
            .where(M.c.location_id.in_(sorted(scope.location_ids)))
            .group_by(M.c.state)
        ).all():
            found[str(state)] = int(n)
    return found


def queue(
    session: Session, engine: Engine, scope: UserScope, *, state: str = "pending_approval"
) -> QueueView:
    """The scope's messages in `state` (oldest first) and the counts by state."""
    if state not in {s.value for s in MessageState}:
        raise ValueError(f"{state!r} is not a message state")
    rows = (
        messages(engine, states=[state], location_ids=sorted(scope.location_ids))
        if scope.location_ids
        else []
    )
    return QueueView(state=state, counts=counts(engine, scope), items=_items(session, scope, rows))


def _row(engine: Engine, scope: UserScope, message_id: int) -> dict[str, Any]:
    try:
        row = get_message(engine, message_id)
    except OutreachError:
        raise MessageNotFound(f"no outreach message {message_id}") from None
    if not scope.allows_location(row["location_id"]):
        raise MessageNotFound(f"no outreach message {message_id}")
    return row


def get_item(session: Session, engine: Engine, scope: UserScope, message_id: int) -> QueueItem:
    return _items(session, scope, [_row(engine, scope, message_id)])[0]


def preview(
    engine: Engine, scope: UserScope, message_id: int, template: str, base_url: str
) -> tuple[str, dict[str, Any]]:
    """The edited text filled as it would be sent, and its policy result (nothing stored)."""
    from agent.outreach import practice
    from agent.outreach.graph import Context, check_row
    from agent.outreach.writers import fill

    row = _row(engine, scope, message_id)
    name, _tz, _org = practice.location_info(engine, row["location_id"])
    values = practice.identity_values(
        engine,
        patient_id=row["patient_id"],
        provider_id=(row["reasons"] or {}).get("provider_id"),
        practice_name=name,
        link=practice.booking_url(base_url, row["location_id"]),
    )
    body = fill(template, values)
    context = Context(engine=engine, channels={}, base_url=base_url)
    return body, check_row(context, {**row, "body": body})


def _schedule(engine: Engine, row: dict[str, Any], now: datetime) -> None:
    from agent.outreach.location_policy import policy_for
    from agent.outreach.quiet_hours import next_window_opening

    policy = policy_for(engine, row["location_id"])
    schedule(engine, row["id"], at=next_window_opening(now, policy.timezone, *policy.window))


def approve_message(
    engine: Engine, scope: UserScope, message_id: int, *, now: Callable[[], datetime] = _now
) -> None:
    """pending_approval → approved (refused while the policy has violations) → scheduled."""
    row = _row(engine, scope, message_id)
    approve(engine, message_id, by=scope.user.email, at=now())
    _schedule(engine, row, now())


def edit_message(
    engine: Engine,
    scope: UserScope,
    message_id: int,
    template: str,
    base_url: str,
    *,
    approve_if_passed: bool = True,
    now: Callable[[], datetime] = _now,
) -> dict[str, Any]:
    """Store the edited text with its re-checked policy (audited); approve and schedule it
    when it passes and `approve_if_passed`. Returns the policy result."""
    if not template.strip():
        raise OutreachError("the edited text is empty")
    if len(template) > MAX_TEXT:
        raise OutreachError(f"the edited text is longer than {MAX_TEXT} characters")
    body, policy = preview(engine, scope, message_id, template, base_url)
    edit(
        engine,
        message_id,
        template=template,
        body=body,
        policy=policy,
        segments=policy["segments"],
        by=scope.user.email,
        at=now(),
    )
    if policy["passed"] and approve_if_passed:
        approve_message(engine, scope, message_id, now=now)
    return policy


def reject_message(
    engine: Engine,
    scope: UserScope,
    message_id: int,
    reason: str,
    *,
    now: Callable[[], datetime] = _now,
) -> None:
    _row(engine, scope, message_id)
    reject(engine, message_id, reason=reason.strip(), by=scope.user.email, at=now())


def bulk_approve(
    engine: Engine, scope: UserScope, message_ids: list[int], *, now: Callable[[], datetime] = _now
) -> BulkResult:
    """Approve each listed pending draft of the scope that has no warnings; the rest (warnings,
    decided meanwhile, not in scope) are skipped."""
    approved: list[int] = []
    skipped: list[int] = []
    for message_id in message_ids:
        try:
            row = _row(engine, scope, message_id)
            if row["state"] != "pending_approval" or warnings_of(row):
                skipped.append(message_id)
                continue
            approve_message(engine, scope, message_id, now=now)
            approved.append(message_id)
        except (MessageNotFound, OutreachError):
            skipped.append(message_id)
    return BulkResult(approved=approved, skipped=skipped)
