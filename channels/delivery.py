"""Delivery bookkeeping: one `BriefingDelivery` row per briefing + channel + recipient.

- The row is created once (`INSERT … ON CONFLICT DO NOTHING` on the unique briefing + channel +
  recipient), so a briefing is never delivered twice to the same recipient on the same channel,
  even when two workers deliver it at once.
- An attempt first *claims* the row with one guarded UPDATE (pending, or failed and due →
  sending); two workers cannot both send.
- A failure is recorded with the error and `next_attempt_at` (exponential backoff: 5 min, 10,
  20 … capped at 6 h); after `MAX_ATTEMPTS` the row stays `failed` with no next attempt, visible
  for a person to act on — never dropped silently.
- A send whose outcome is unknown (`DeliveryOutcomeUnknown`: a timeout after the request left)
  is recorded `unknown` with no next attempt: it may have gone out, so it is never resent
  automatically.
- `retry_failed_deliveries` re-attempts the due ones (called by the scheduler).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, or_, select, update

from channels.base import Channel, DeliveryError, DeliveryOutcomeUnknown, OutgoingMessage
from store import tables as t
from store.upsert import insert_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
_table = t.briefing_delivery


@dataclass(frozen=True)
class Target:
    channel: str
    recipient: str


@dataclass(frozen=True)
class DeliveryOutcome:
    briefing_id: int
    channel: str
    recipient: str
    # delivered, failed, unknown (may have gone out: reconcile, never resend), skipped (already
    # delivered, in flight, unknown or not due)
    status: str
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None
    receipt: str | None = None


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 5 min × 2^(attempts − 1), at most 6 h."""
    return min(FIRST_BACKOFF * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _ensure_row(engine: Engine, briefing_id: int, target: Target) -> None:
    """The pending row, unless it exists: the claim below decides whether to send."""
    statement = (
        insert_for(engine, _table)
        .values(
            briefing_id=briefing_id,
            channel=target.channel,
            recipient=target.recipient,
            status="pending",
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["briefing_id", "channel", "recipient"])
    )
    with engine.begin() as connection:
        connection.execute(statement)


def _where(briefing_id: int, target: Target) -> ColumnElement[bool]:
    return and_(
        _table.c.briefing_id == briefing_id,
        _table.c.channel == target.channel,
        _table.c.recipient == target.recipient,
    )


def _claim(engine: Engine, briefing_id: int, target: Target, now: datetime) -> int | None:
    """Move the row to `sending` if it is pending or failed-and-due; the attempt number."""
    due = or_(
        _table.c.status == "pending",
        and_(
            _table.c.status == "failed",
            _table.c.next_attempt_at.is_not(None),
            _table.c.next_attempt_at <= now,
        ),
    )
    with engine.begin() as connection:
        claimed = connection.execute(
            update(_table)
            .where(_where(briefing_id, target), due)
            .values(status="sending", attempts=_table.c.attempts + 1)
        ).rowcount
        if claimed != 1:
            return None
        attempts: int = connection.execute(
            select(_table.c.attempts).where(_where(briefing_id, target))
        ).scalar_one()
    return attempts


def _record(
    engine: Engine,
    briefing_id: int,
    target: Target,
    *,
    status: str,
    error: str | None,
    next_attempt_at: datetime | None,
    delivered_at: datetime | None,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(_table)
            .where(_where(briefing_id, target))
            .values(
                status=status,
                last_error=error,
                next_attempt_at=next_attempt_at,
                delivered_at=delivered_at,
            )
        )


def _attempt(
    engine: Engine,
    briefing_id: int,
    target: Target,
    channels: Mapping[str, Channel],
    message: Callable[[], OutgoingMessage],
    now: datetime,
) -> DeliveryOutcome:
    attempts = _claim(engine, briefing_id, target, now)
    if attempts is None:
        with engine.connect() as connection:
            row = connection.execute(
                select(_table.c.status, _table.c.attempts).where(_where(briefing_id, target))
            ).one()
        return DeliveryOutcome(briefing_id, target.channel, target.recipient, "skipped", row[1])
    try:
        channel = channels.get(target.channel)
        if channel is None:
            raise DeliveryError(f"channel {target.channel!r} is not configured")
        receipt = channel.send(message(), target.recipient)
    except DeliveryOutcomeUnknown as exc:
        # It may have gone out: never resent automatically (no next attempt); a person or a
        # provider status check reconciles it.
        _record(
            engine,
            briefing_id,
            target,
            status="unknown",
            error=str(exc),
            next_attempt_at=None,
            delivered_at=None,
        )
        log.warning(
            "briefing %s delivery via %s: outcome unknown (attempt %s): %s",
            briefing_id,
            target.channel,
            attempts,
            exc,
        )
        return DeliveryOutcome(
            briefing_id, target.channel, target.recipient, "unknown", attempts, str(exc)
        )
    except DeliveryError as exc:
        error = str(exc)
        retry_at = now + backoff(attempts) if attempts < MAX_ATTEMPTS else None
        _record(
            engine,
            briefing_id,
            target,
            status="failed",
            error=error,
            next_attempt_at=retry_at,
            delivered_at=None,
        )
        log.warning(
            "briefing %s delivery via %s failed (attempt %s): %s",
            briefing_id,
            target.channel,
            attempts,
            error,
        )
        return DeliveryOutcome(
            briefing_id, target.channel, target.recipient, "failed", attempts, error, retry_at
        )
    _record(
        engine,
        briefing_id,
        target,
        status="delivered",
        error=None,
        next_attempt_at=None,
        delivered_at=now,
    )
    return DeliveryOutcome(
        briefing_id, target.channel, target.recipient, "delivered", attempts, receipt=receipt
    )


def deliver(
    engine: Engine,
    briefing_id: int,
    targets: list[Target],
    channels: Mapping[str, Channel],
    message: Callable[[], OutgoingMessage],
    *,
    now: datetime,
) -> list[DeliveryOutcome]:
    """Deliver one briefing to each target at most once; `message` is built on first need."""
    cache: list[OutgoingMessage] = []

    def build() -> OutgoingMessage:
        if not cache:
            cache.append(message())
        return cache[0]

    outcomes = []
    for target in targets:
        _ensure_row(engine, briefing_id, target)
        outcomes.append(_attempt(engine, briefing_id, target, channels, build, now))
    return outcomes


def retry_failed_deliveries(
    engine: Engine,
    channels: Mapping[str, Channel],
    message_for: Callable[[int], OutgoingMessage],
    *,
    now: datetime,
) -> list[DeliveryOutcome]:
    """Re-attempt every failed delivery whose `next_attempt_at` has come."""
    with engine.connect() as connection:
        due = connection.execute(
            select(_table.c.briefing_id, _table.c.channel, _table.c.recipient)
            .where(
                _table.c.status == "failed",
                _table.c.next_attempt_at.is_not(None),
                _table.c.next_attempt_at <= now,
            )
            .order_by(_table.c.briefing_id, _table.c.id)
        ).all()
    outcomes: list[DeliveryOutcome] = []
    built: dict[int, OutgoingMessage] = {}
    for briefing_id, channel, recipient in due:

        def build(bid: int = briefing_id) -> OutgoingMessage:
            if bid not in built:
                built[bid] = message_for(bid)
            return built[bid]

        outcomes.append(
            _attempt(engine, briefing_id, Target(channel, recipient), channels, build, now)
        )
    return outcomes
