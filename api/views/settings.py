"""The Settings page: the signed-in user's briefing subscriptions (editable), the
organization's users and roles (owner), the outreach policy of each of the user's locations
and the recent scheduled-job runs with their failures (owner and manager).

Definitions:
- users and roles (owner): every user of the organization with role, locations and active
  flag, editable (`update_user`, audited as `user.update`);
- a user's subscriptions = their `Subscription` rows (channel, scope, local send hour,
  active); only the user themself sees, adds, changes or removes them, to scopes their scope
  allows (a location of theirs, the organization when they see all of it), at most one per
  scope and channel; each change is audited (`subscription.create`, `subscription.update` with
  the values before and after, `subscription.delete`);
- the outreach policy of a location = the rules every draft is checked against
  (`agent.outreach.policy`) and the location's policy as `agent.outreach.location_policy`
  reads it (its stored row, else the product defaults): send window, SMS segments, service in
  e-mail, auto-approval; owners change it for every location, managers for theirs (area
  `outreach_policy`, audited `settings.outreach_policy`), shown with the location's own name,
  booking link and time zone;
- job runs of a scope = `JobRun` rows whose key names one of the scope's locations
  (`location:<id>:…`), the organization when the scope is all of it (`org:<id>:…`), and for
  owners the store-wide periodic jobs (key `all`: sends, reconciliation, retries); failures
  are the runs that ended `failed` or `skipped_late`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from api.deps import UserScope
from api.roles import Role
from api.views.users import UserOut, list_users
from store import tables as t
from store.models import Location, Organization, Subscription, User, UserLocation

if TYPE_CHECKING:  # the outreach agent loads only where a policy is read or saved
    from agent.outreach.graph import Recheck
    from agent.outreach.location_policy import LocationPolicy as InForce

#: Briefing delivery channels (`channels.registry.FACTORIES`; `outbox` writes files).
CHANNELS: tuple[str, ...] = ("email", "slack", "outbox")
FAILED: tuple[str, ...] = ("failed", "skipped_late")
RUNS_SHOWN = 20


class SubscriptionNotFound(LookupError):
    """No subscription with that id belongs to the signed-in user."""


class UserNotFound(LookupError):
    """No user with that id in the signed-in owner's organization."""


class LocationNotFound(LookupError):
    """No location with that id among the signed-in user's locations."""


class TargetNotAllowed(LookupError):
    """A subscription scope the signed-in user may not subscribe to (not theirs)."""


class SubscriptionOut(BaseModel):
    id: int
    channel: str
    scope: str
    scope_label: str
    send_hour_local: int
    send_time_local: str
    active: bool


class LocationPolicy(BaseModel):
    location_id: int
    location: str
    timezone: str
    booking_url: str
    send_window_local: str
    send_start_hour: int
    send_end_hour: int
    sms_max_segments: int
    sms_opt_out_text: str
    service_named_in_email: bool
    auto_approve_enabled: bool
    auto_approve_daily_cap: int
    auto_approval: str
    rules: list[str]
    customized: bool  # False: no stored policy, the product defaults
    updated_at: datetime | None
    updated_by: str | None


class SubscriptionTarget(BaseModel):
    scope: str
    label: str


class JobRunOut(BaseModel):
    id: int
    kind: str
    key: str
    scheduled_for: datetime | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    duration_seconds: float | None
    error: str | None


class SettingsView(BaseModel):
    subscriptions: list[SubscriptionOut]
    channels: list[str]
    targets: list[SubscriptionTarget]
    users: list[UserOut] | None
    locations: dict[int, str] | None
    policies: list[LocationPolicy] | None
    runs: list[JobRunOut] | None
    failures: list[JobRunOut] | None


def _labels(session: Session, scope: UserScope) -> dict[str, str]:
    labels: dict[str, str] = {}
    org = session.get(Organization, scope.organization_id)
    if org is not None:
        labels[f"org:{org.id}"] = f"{org.name} (all locations)"
    for loc in session.exec(
        select(Location).where(Location.organization_id == scope.organization_id)
    ).all():
        labels[f"location:{loc.id}"] = loc.name
    return labels


def _subscription_out(sub: Subscription, labels: dict[str, str]) -> SubscriptionOut:
    assert sub.id is not None
    return SubscriptionOut(
        id=sub.id,
        channel=sub.channel,
        scope=sub.scope,
        scope_label=labels.get(sub.scope, sub.scope),
        send_hour_local=sub.send_hour_local,
        send_time_local=f"{sub.send_hour_local:02d}:00",
        active=sub.active,
    )


def subscriptions(session: Session, scope: UserScope) -> list[SubscriptionOut]:
    """The signed-in user's subscriptions, in the order they were made."""
    labels = _labels(session, scope)
    rows = session.exec(
        select(Subscription)
        .where(Subscription.user_id == scope.user.id)
        .order_by(col(Subscription.id))
    ).all()
    return [_subscription_out(s, labels) for s in rows]


def get_subscription(session: Session, scope: UserScope, subscription_id: int) -> SubscriptionOut:
    return _subscription_out(_own(session, scope, subscription_id), _labels(session, scope))


def _own(session: Session, scope: UserScope, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != scope.user.id:
        raise SubscriptionNotFound(f"no subscription {subscription_id}")
    return sub


def update_subscription(
    session: Session,
    scope: UserScope,
    subscription_id: int,
    *,
    send_hour_local: int,
    channel: str,
    active: bool,
    now: datetime | None = None,
) -> SubscriptionOut:
    """Change one of the user's own subscriptions and audit the change (nothing is written or
    audited when nothing changed). ValueError for an hour outside 0–23 or an unknown channel."""
    if not 0 <= send_hour_local <= 23:
        raise ValueError(f"send hour must be 0–23, not {send_hour_local}")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    sub = _own(session, scope, subscription_id)
    before = {"send_hour_local": sub.send_hour_local, "channel": sub.channel, "active": sub.active}
    after = {"send_hour_local": send_hour_local, "channel": channel, "active": active}
    if before != after:
        sub.send_hour_local, sub.channel, sub.active = send_hour_local, channel, active
        session.add(sub)
        kind, _, ident = sub.scope.partition(":")
        location_id = int(ident) if kind == "location" and ident.isdigit() else None
        _audit(
            session,
            scope,
            action="subscription.update",
            entity_type="subscription",
            entity_id=subscription_id,
            details={"scope": sub.scope, "before": before, "after": after},
            location_id=location_id if location_id in scope.location_ids else None,
            now=now,
        )
        session.commit()
    return get_subscription(session, scope, subscription_id)


def subscription_targets(session: Session, scope: UserScope) -> list[SubscriptionTarget]:
    """The scopes the user may subscribe to: the organization when their scope is all of it,
    then each of their locations by name."""
    labels = _labels(session, scope)
    keys = [f"org:{scope.organization_id}"] if scope.allows_location(None) else []
    names = location_names(session, scope)
    keys += [
        f"location:{lid}" for lid in sorted(scope.location_ids, key=lambda i: (names.get(i, ""), i))
    ]
    return [SubscriptionTarget(scope=k, label=labels.get(k, k)) for k in keys]


def _location_of(target: str) -> int | None:
    kind, _, ident = target.partition(":")
    return int(ident) if kind == "location" and ident.isdigit() else None


def create_subscription(
    session: Session,
    scope: UserScope,
    *,
    target: str,
    channel: str,
    send_hour_local: int,
    now: datetime | None = None,
) -> SubscriptionOut:
    """Subscribe the signed-in user to `target`'s briefing and audit it
    (`subscription.create`). `TargetNotAllowed` for a scope outside theirs; ValueError (one
    line) for an hour outside 0–23, an unknown channel or a duplicate (same scope and
    channel)."""
    from agent.briefing.subscriptions import add_subscription

    if target not in {t.scope for t in subscription_targets(session, scope)}:
        raise TargetNotAllowed(f"no briefing {target!r} to subscribe to")
    if not 0 <= send_hour_local <= 23:
        raise ValueError(f"send hour must be 0–23, not {send_hour_local}")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    sub = add_subscription(
        session, scope.user.id, scope=target, channel=channel, send_hour_local=send_hour_local
    )
    assert sub.id is not None
    _audit(
        session,
        scope,
        action="subscription.create",
        entity_type="subscription",
        entity_id=sub.id,
        details={"scope": target, "channel": channel, "send_hour_local": send_hour_local},
        location_id=_location_of(target),
        now=now,
    )
    session.commit()
    return get_subscription(session, scope, sub.id)


def delete_subscription(
    session: Session, scope: UserScope, subscription_id: int, *, now: datetime | None = None
) -> None:
    """Remove one of the user's own subscriptions and audit it (`subscription.delete`, with
    what it was); `SubscriptionNotFound` when it is not theirs."""
    sub = _own(session, scope, subscription_id)
    details = {
        "scope": sub.scope,
        "channel": sub.channel,
        "send_hour_local": sub.send_hour_local,
        "active": sub.active,
    }
    location_id = _location_of(sub.scope)
    session.delete(sub)
    _audit(
        session,
        scope,
        action="subscription.delete",
        entity_type="subscription",
        entity_id=subscription_id,
        details=details,
        location_id=location_id if location_id in scope.location_ids else None,
        now=now,
    )
    session.commit()


def _audit(
    session: Session,
    scope: UserScope,
    *,
    action: str,
    entity_type: str,
    entity_id: int,
    details: dict[str, Any],
    location_id: int | None,
    now: datetime | None,
) -> None:
    session.connection().execute(
        insert(t.audit_event).values(
            occurred_at=now or datetime.now(UTC),
            actor=scope.user.email,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            details=details,
            organization_id=scope.organization_id,
            location_id=location_id,
        )
    )


def update_user(
    session: Session,
    scope: UserScope,
    user_id: int,
    *,
    role: str,
    location_ids: list[int],
    active: bool,
    now: datetime | None = None,
) -> UserOut:
    """Set a user's role, locations and active flag (owner only, by the route's area) and
    audit it as `user.update` with before and after. Rules (as `clarity users add`): an owner
    has no location list (sees all); any other role needs at least one location of the
    organization; the signed-in owner cannot change their own role or deactivate themself.
    ValueError (one line) when a rule is broken; nothing is written then."""
    user = session.get(User, user_id)
    if user is None or user.organization_id != scope.organization_id:
        raise UserNotFound(f"no user {user_id}")
    if user_id == scope.user.id and (role != Role.owner or not active):
        raise ValueError("you cannot change your own role or deactivate yourself")
    if role not in set(Role):
        raise ValueError(f"role must be one of {', '.join(Role)}, not {role!r}")
    wanted = sorted(set(location_ids))
    if role == Role.owner:
        wanted = []
    elif not wanted:
        raise ValueError(f"a {role.replace('_', ' ')} needs at least one location")
    elif not set(wanted) <= scope.location_ids:
        raise ValueError("a location is not one of the organization's")
    current = sorted(
        session.exec(select(UserLocation.location_id).where(UserLocation.user_id == user_id)).all()
    )
    before = {"role": user.role, "location_ids": current, "active": user.active}
    after = {"role": role, "location_ids": wanted, "active": active}
    if before != after:
        user.role, user.active = role, active
        session.add(user)
        for old in session.exec(select(UserLocation).where(UserLocation.user_id == user_id)):
            if old.location_id not in wanted:
                session.delete(old)
        for new in set(wanted) - set(current):
            session.add(UserLocation(user_id=user_id, location_id=new))
        _audit(
            session,
            scope,
            action="user.update",
            entity_type="user",
            entity_id=user_id,
            details={"email": user.email, "before": before, "after": after},
            location_id=None,
            now=now,
        )
        session.commit()
    return next(u for u in list_users(session, scope) if u.id == user_id)


def location_names(session: Session, scope: UserScope) -> dict[int, str]:
    """The organization's locations by id (the owner's user form lists them)."""
    rows = session.exec(
        select(Location).where(Location.organization_id == scope.organization_id)
    ).all()
    return {loc.id: loc.name for loc in rows if loc.id is not None}


def _policy_out(
    loc: Location, base_url: str, stored: InForce, auto_purposes: tuple[str, ...]
) -> LocationPolicy:
    from agent.outreach.policy import OPT_OUT_TEXT
    from agent.outreach.practice import booking_url

    v = stored.values
    auto_text = (
        f"on for {', '.join(auto_purposes)} (at most {v.auto_approve_daily_cap} a day)"
        if stored.auto_approve.enabled and not stored.auto_approve.kill_switch
        else "off: a person approves every message"
    )
    rules = [
        "opt_out: marketing SMS say 'Reply STOP to opt out'",
        "practice_named: the practice's name appears",
        "health_detail: no treatment or health detail (service catalog and health terms)"
        + ("; e-mail may name the patient's last service" if v.allow_service_in_email else ""),
        "links: only the practice's booking link",
        "placeholders: nothing like {first_name} left unfilled",
        f"segments: at most {v.max_segments} SMS segments",
    ]
    assert loc.id is not None
    return LocationPolicy(
        location_id=loc.id,
        location=loc.name,
        timezone=loc.timezone,
        booking_url=booking_url(base_url, loc.id),
        send_window_local=f"{v.send_start_hour:02d}:00–{v.send_end_hour:02d}:00",
        send_start_hour=v.send_start_hour,
        send_end_hour=v.send_end_hour,
        sms_max_segments=v.max_segments,
        sms_opt_out_text=OPT_OUT_TEXT,
        service_named_in_email=v.allow_service_in_email,
        auto_approve_enabled=v.auto_approve_enabled,
        auto_approve_daily_cap=v.auto_approve_daily_cap,
        auto_approval=auto_text,
        rules=rules,
        customized=stored.stored,
        updated_at=stored.updated_at,
        updated_by=stored.updated_by,
    )


def policies(
    session: Session, engine: Engine, scope: UserScope, base_url: str
) -> list[LocationPolicy]:
    """The outreach policy in force at each of the scope's locations, by name."""
    from agent.outreach.autonomy import AutoApprovePolicy
    from agent.outreach.location_policy import policy_for

    purposes = AutoApprovePolicy().purposes
    rows = session.exec(
        select(Location)
        .where(col(Location.id).in_(sorted(scope.location_ids)))
        .order_by(col(Location.name), col(Location.id))
    ).all()
    return [
        _policy_out(loc, base_url, policy_for(engine, loc.id), purposes)
        for loc in rows
        if loc.id is not None
    ]


def get_policy(
    session: Session, engine: Engine, scope: UserScope, location_id: int, base_url: str
) -> LocationPolicy:
    """One of the user's locations' policy; `LocationNotFound` for any other location."""
    from agent.outreach.autonomy import AutoApprovePolicy
    from agent.outreach.location_policy import policy_for

    loc = session.get(Location, location_id) if scope.allows_location(location_id) else None
    if loc is None:
        raise LocationNotFound(f"no location {location_id}")
    return _policy_out(loc, base_url, policy_for(engine, location_id), AutoApprovePolicy().purposes)


@dataclass(frozen=True)
class PolicyUpdate:
    """A saved policy: the policy now in force, the changed fields (`{field: {"old", "new"}}`;
    empty when nothing changed and nothing was audited) and, after a change, the drafts waiting
    for approval that were checked again and how many of them it now blocks."""

    policy: LocationPolicy
    changed: dict[str, dict[str, Any]]
    rechecked: Recheck | None


def update_policy(
    session: Session,
    engine: Engine,
    scope: UserScope,
    location_id: int,
    base_url: str,
    *,
    send_start_hour: int,
    send_end_hour: int,
    max_segments: int,
    allow_service_in_email: bool,
    auto_approve_enabled: bool,
    auto_approve_daily_cap: int,
    now: datetime | None = None,
) -> PolicyUpdate:
    """Save a location's outreach policy (owner: any location of the organization; manager:
    theirs, by the scope) — validated and audited by `location_policy.save_policy` — and, when
    something changed, check the location's drafts waiting for approval again under it.
    `LocationNotFound` outside the scope; ValueError (one line) for a broken rule."""
    from agent.outreach.location_policy import PolicyValues, save_policy

    get_policy(session, engine, scope, location_id, base_url)  # the scope check
    changed = save_policy(
        engine,
        location_id,
        PolicyValues(
            send_start_hour=send_start_hour,
            send_end_hour=send_end_hour,
            max_segments=max_segments,
            allow_service_in_email=allow_service_in_email,
            auto_approve_enabled=auto_approve_enabled,
            auto_approve_daily_cap=auto_approve_daily_cap,
        ),
        actor=scope.user.email,
        now=now,
    )
    rechecked = None
    if changed:
        from agent.outreach.graph import recheck_pending

        rechecked = recheck_pending(engine, location_id, base_url)
    return PolicyUpdate(
        get_policy(session, engine, scope, location_id, base_url), changed, rechecked
    )


def run_scopes(scope: UserScope) -> list[str]:
    """The job-run keys (prefixes) `scope` may read."""
    keys = [f"location:{lid}" for lid in sorted(scope.location_ids)]
    if scope.whole_org:
        keys.append(f"org:{scope.organization_id}")
    if scope.user.role == Role.owner:
        keys.append("all")
    return keys


def _run_out(run: Any) -> JobRunOut:
    return JobRunOut(
        id=run.id,
        kind=run.kind,
        key=run.key,
        scheduled_for=run.scheduled_for,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status=run.status,
        duration_seconds=run.duration_seconds,
        error=run.error,
    )


def job_runs(engine: Engine, scope: UserScope) -> tuple[list[JobRunOut], list[JobRunOut]]:
    """(the latest runs, the latest failures) the scope may read, newest first."""
    from schedules.runs import recent_runs

    keys = run_scopes(scope)
    recent = recent_runs(engine, RUNS_SHOWN, scopes=keys)
    failed = recent_runs(engine, RUNS_SHOWN, scopes=keys, statuses=FAILED)
    return [_run_out(r) for r in recent], [_run_out(r) for r in failed]


def settings_view(
    session: Session, engine: Engine, scope: UserScope, base_url: str
) -> SettingsView:
    """Everything the Settings page shows to this user's role."""
    role = scope.user.role
    admin = role in (Role.owner, Role.manager)
    runs, failures = job_runs(engine, scope) if admin else (None, None)
    return SettingsView(
        subscriptions=subscriptions(session, scope),
        channels=list(CHANNELS),
        targets=subscription_targets(session, scope),
        users=list_users(session, scope) if role == Role.owner else None,
        locations=location_names(session, scope) if role == Role.owner else None,
        policies=policies(session, engine, scope, base_url) if admin else None,
        runs=runs,
        failures=failures,
    )
