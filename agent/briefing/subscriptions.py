"""Who gets which briefing: `Subscription` rows (user, channel, scope, local send hour)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from channels.delivery import Target
from store.models import Location, Subscription, User

DEMO_OWNER_EMAIL = "owner@demo.clarity.example.com"


def targets_for(engine: Engine, scope: str, *, slack_recipient: str | None = None) -> list[Target]:
    """Delivery targets of the active subscriptions of active users to `scope`.

    E-mail and outbox subscriptions go to the user's address; Slack ones to the configured
    channel (or the webhook's own channel, recorded as `webhook`).
    """
    with Session(engine) as session:
        rows = session.exec(
            select(Subscription.channel, User.email)
            .join(User, col(User.id) == col(Subscription.user_id))
            .where(Subscription.scope == scope, col(Subscription.active), col(User.active))
            .order_by(col(Subscription.id))
        ).all()
    targets: list[Target] = []
    for channel, email in rows:
        recipient = (slack_recipient or "webhook") if channel == "slack" else email
        target = Target(channel=channel, recipient=recipient)
        if target not in targets:
            targets.append(target)
    return targets


class DuplicateSubscription(ValueError):
    """The user already subscribes to that scope on that channel."""


def find_subscription(
    session: Session, user_id: int, scope: str, channel: str
) -> Subscription | None:
    """The user's subscription to `scope` on `channel` (at most one: `add_subscription`)."""
    return session.exec(
        select(Subscription).where(
            Subscription.user_id == user_id,
            Subscription.scope == scope,
            Subscription.channel == channel,
        )
    ).first()


def add_subscription(
    session: Session, user_id: int, *, scope: str, channel: str, send_hour_local: int
) -> Subscription:
    """A new active subscription (flushed, not committed); `DuplicateSubscription` when the
    user already has one for the same scope and channel (paused or not)."""
    if find_subscription(session, user_id, scope, channel) is not None:
        raise DuplicateSubscription(f"you already get this briefing by {channel}")
    sub = Subscription(
        user_id=user_id, channel=channel, scope=scope, send_hour_local=send_hour_local
    )
    session.add(sub)
    session.flush()
    return sub


def ensure_owner_subscription(
    engine: Engine,
    organization_id: int,
    *,
    scope: str,
    email: str = DEMO_OWNER_EMAIL,
    channel: str = "outbox",
    send_hour_local: int = 7,
) -> int:
    """The demo's owner user subscribed to `scope` on `channel` (created once); its id."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(
                organization_id=organization_id, email=email, name="Demo Owner", role="owner"
            )
            session.add(user)
            session.flush()
        assert user.id is not None
        with suppress(DuplicateSubscription):  # already subscribed: nothing to add
            add_subscription(
                session, user.id, scope=scope, channel=channel, send_hour_local=send_hour_local
            )
        session.commit()
        return user.id


def subscriptions_due(
    engine: Engine, now: datetime, *, default_timezone: str = "America/New_York"
) -> dict[str, list[Target]]:
    """Scopes whose subscribers want their briefing in the hour `now` falls in, with the
    targets: the send hour is local to the location (to the organization's first location for
    an `org:` scope; `default_timezone` when it has none). For the scheduler's hourly tick."""
    with Session(engine) as session:
        rows = session.exec(
            select(
                Subscription.scope, Subscription.channel, Subscription.send_hour_local, User.email
            )
            .join(User, col(User.id) == col(Subscription.user_id))
            .where(col(Subscription.active), col(User.active))
            .order_by(col(Subscription.id))
        ).all()
        locations = session.exec(
            select(Location.id, Location.organization_id, Location.timezone).order_by(
                col(Location.id)
            )
        ).all()
    zone_of_location = {lid: tz for lid, _, tz in locations}
    zone_of_org: dict[int, str] = {}
    for _, org, tz in locations:
        zone_of_org.setdefault(org, tz)
    due: dict[str, list[Target]] = {}
    for scope, channel, hour, email in rows:
        kind, _, ident = scope.partition(":")
        zones = zone_of_location if kind == "location" else zone_of_org
        zone = zones.get(int(ident), default_timezone) if ident.isdigit() else default_timezone
        if now.astimezone(ZoneInfo(zone)).hour != hour:
            continue
        target = Target(channel=channel, recipient="webhook" if channel == "slack" else email)
        if target not in due.setdefault(scope, []):
            due[scope].append(target)
    return due
