"""Send once, and reconcile what we could not see.

`send_message` moves a due message `scheduled → sending` with one guarded UPDATE — only the
worker whose UPDATE matched sends; everyone else returns — then hands it to the channel. A due
message of a location with a saved policy (`location_policy.policy_for`) that is outside the
saved send window as it is now (it was narrowed after the message was scheduled) is moved to
the window's next opening instead; under the defaults the scheduled time alone decides.
Otherwise the channel's answer decides:
- receipt → `sent` (the SID stored in `provider_message_id`);
- `SmsOptedOut` (21610) → `failed`, and the patient is marked opted out of SMS
  (`ConsentEvent`);
- `DeliveryError` → `failed` with the reason;
- `DeliveryOutcomeUnknown`, or any other exception once the request may have left (a crash
  after the provider accepted, before the state was saved) → `unknown`.
A process that dies mid-send leaves `sending`; `reconcile` treats a `sending` row older than
`stale_after` like `unknown`. Reconciling asks the channel's `lookup` (by SID, else by the
recipient and exact body since the send started): found and not failed → `sent`; found
failed → `failed`; not found after `grace` → `failed` ("provider has no record; not resent"),
so a person can decide again. Nothing is ever resent by this module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from agent.outreach.location_policy import policy_for
from agent.outreach.quiet_hours import in_window, next_window_opening
from channels.base import Channel, DeliveryError, DeliveryOutcomeUnknown, OutgoingMessage
from channels.sms import FAILED_STATUSES, ProviderRecord, SmsOptedOut
from store import tables as t
from store.outreach import get_message, reschedule, transition

log = logging.getLogger(__name__)
M = t.outreach_message
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class SendOutcome:
    message_id: int
    state: str  # the state this call left the message in (or found it in)
    sent_now: bool = False
    error: str | None = None


def message_key(message_id: int) -> str:
    return f"outreach-{message_id}"


def recipient_for(engine: Engine, patient_id: int, channel: str) -> tuple[str | None, bool]:
    """The patient's address on the channel and whether they opted out of it (read at send
    time, after approval, so a STOP that arrived meanwhile is honoured)."""
    p = t.patient
    with engine.connect() as conn:
        row = conn.execute(
            select(p.c.phone_e164, p.c.email, p.c.sms_opted_out_at, p.c.email_opted_out_at).where(
                p.c.id == patient_id
            )
        ).first()
    if row is None:
        return None, False
    if channel == "sms":
        return row.phone_e164, row.sms_opted_out_at is not None
    return row.email, row.email_opted_out_at is not None


def mark_opted_out(
    engine: Engine, patient_id: int, *, channel: str, at: datetime, actor: str
) -> None:
    """Opt the patient out of `channel` (all purposes) and record the `ConsentEvent`."""
    column = "sms_opted_out_at" if channel == "sms" else "email_opted_out_at"
    with engine.begin() as conn:
        conn.execute(
            update(t.patient)
            .where(t.patient.c.id == patient_id, t.patient.c[column].is_(None))
            .values({column: at})
        )
        conn.execute(
            insert(t.consent_event).values(
                patient_id=patient_id,
                channel=channel,
                purpose="all",
                action="opted_out",
                occurred_at=at,
                actor=actor,
            )
        )


def _move(engine: Engine, message_id: int, expected: str, new: str, **values: Any) -> bool:
    with engine.begin() as conn:
        return transition(conn, message_id, expected, new, **values)


def send_message(
    engine: Engine,
    message_id: int,
    channels: Mapping[str, Channel],
    *,
    now: datetime,
) -> SendOutcome:
    """Send one scheduled, due message at most once (see the module docstring)."""
    row = get_message(engine, message_id)
    if row["state"] != "scheduled":
        return SendOutcome(message_id, row["state"])
    if row["scheduled_for"] is not None and _aware(row["scheduled_for"]) > now:
        return SendOutcome(message_id, "scheduled")
    policy = policy_for(engine, row["location_id"])
    if policy.stored and not in_window(now, policy.timezone, *policy.window):
        # The window saved on Settings may have changed after this message was scheduled.
        at = next_window_opening(now, policy.timezone, *policy.window)
        reschedule(engine, message_id, at=at)
        return SendOutcome(message_id, get_message(engine, message_id)["state"])
    if not _move(engine, message_id, "scheduled", "sending", sending_started_at=now):
        return SendOutcome(message_id, get_message(engine, message_id)["state"])

    channel = channels.get(row["channel"])
    recipient, opted_out = recipient_for(engine, row["patient_id"], row["channel"])
    refusal = (
        f"no {row['channel']} channel configured"
        if channel is None
        else "no address on file"
        if not recipient
        else f"patient opted out of {row['channel']} after approval"
        if opted_out
        else None
    )
    if refusal or channel is None or recipient is None:
        _move(engine, message_id, "sending", "failed", error=refusal)
        return SendOutcome(message_id, "failed", error=refusal)

    message = OutgoingMessage(key=message_key(message_id), text=row["body"], subject=row["subject"])
    try:
        receipt = channel.send(message, recipient)
    except SmsOptedOut as exc:
        _move(engine, message_id, "sending", "failed", error=str(exc)[:MAX_ERROR_CHARS])
        mark_opted_out(engine, row["patient_id"], channel="sms", at=now, actor="twilio:21610")
        return SendOutcome(message_id, "failed", error=str(exc))
    except DeliveryError as exc:
        _move(engine, message_id, "sending", "failed", error=str(exc)[:MAX_ERROR_CHARS])
        return SendOutcome(message_id, "failed", error=str(exc))
    except DeliveryOutcomeUnknown as exc:
        _move(engine, message_id, "sending", "unknown", error=str(exc)[:MAX_ERROR_CHARS])
        log.warning("outreach %s: send outcome unknown (%s)", message_id, type(exc).__name__)
        return SendOutcome(message_id, "unknown", error=str(exc))
    except Exception as exc:  # the request may have left: never treat as failed
        error = f"interrupted after the request left: {type(exc).__name__}"
        _move(engine, message_id, "sending", "unknown", error=error)
        log.warning("outreach %s: %s", message_id, error)
        return SendOutcome(message_id, "unknown", error=error)
    _move(engine, message_id, "sending", "sent", provider_message_id=receipt, sent_at=now)
    return SendOutcome(message_id, "sent", sent_now=True)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def due_messages(engine: Engine, now: datetime) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(M.c.id, M.c.scheduled_for).where(M.c.state == "scheduled").order_by(M.c.id)
        ).all()
    return [int(r.id) for r in rows if r.scheduled_for is None or _aware(r.scheduled_for) <= now]


def send_due(
    engine: Engine, channels: Mapping[str, Channel], *, now: datetime
) -> list[SendOutcome]:
    """Send every scheduled message whose window has opened (each at most once)."""
    return [send_message(engine, mid, channels, now=now) for mid in due_messages(engine, now)]


def reconcile(
    engine: Engine,
    channels: Mapping[str, Channel],
    *,
    now: datetime,
    stale_after: timedelta = timedelta(minutes=5),
    grace: timedelta = timedelta(minutes=10),
) -> list[SendOutcome]:
    """Settle `unknown` messages (and `sending` ones older than `stale_after`) by asking the
    provider; never resends."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(M.c.id, M.c.state, M.c.sending_started_at)
            .where(M.c.state.in_(["unknown", "sending"]))
            .order_by(M.c.id)
        ).all()
    outcomes = []
    for row in rows:
        started = _aware(row.sending_started_at) if row.sending_started_at else None
        if row.state == "sending":
            if started is not None and now - started < stale_after:
                continue
            if not _move(engine, row.id, "sending", "unknown", error="stale send (worker died?)"):
                continue
        outcomes.append(_reconcile_one(engine, int(row.id), channels, now=now, grace=grace))
    return outcomes


def _reconcile_one(
    engine: Engine,
    message_id: int,
    channels: Mapping[str, Channel],
    *,
    now: datetime,
    grace: timedelta,
) -> SendOutcome:
    row = get_message(engine, message_id)
    channel = channels.get(row["channel"])
    lookup = getattr(channel, "lookup", None)
    if lookup is None:
        return SendOutcome(message_id, "unknown", error="channel cannot be queried; ask a person")
    recipient, _ = recipient_for(engine, row["patient_id"], row["channel"])
    started = _aware(row["sending_started_at"]) if row["sending_started_at"] else None
    try:
        record: ProviderRecord | None = lookup(
            sid=row["provider_message_id"],
            key=message_key(message_id),
            recipient=recipient or "",
            text=row["body"],
            since=started,
        )
    except DeliveryOutcomeUnknown as exc:
        return SendOutcome(message_id, "unknown", error=str(exc))
    if record is not None and record.status in FAILED_STATUSES:
        error = f"provider status {record.status} (code {record.error_code})"
        _move(engine, message_id, "unknown", "failed", provider_message_id=record.sid, error=error)
        return SendOutcome(message_id, "failed", error=error)
    if record is not None:
        _move(
            engine,
            message_id,
            "unknown",
            "sent",
            provider_message_id=record.sid,
            sent_at=started or now,
            error=None,
        )
        return SendOutcome(message_id, "sent")
    if started is None or now - started >= grace:
        error = "provider has no record of the message; not resent"
        _move(engine, message_id, "unknown", "failed", error=error)
        return SendOutcome(message_id, "failed", error=error)
    return SendOutcome(message_id, "unknown", error="not found yet; will ask again")
