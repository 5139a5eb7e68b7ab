"""A location's outreach policy: the one place drafting, the policy check, approval (manual and
automatic), scheduling and sending read it from (`policy_for`).

Definitions:
- the policy of a location = its `OutreachPolicy` row when one was saved on Settings, else the
  product defaults: send window `DEFAULT_START_HOUR`–`DEFAULT_END_HOUR` local
  (`quiet_hours`), at most `DEFAULT_MAX_SEGMENTS` SMS segments (`policy`), no service named in
  e-mail, and auto-approval as the caller's default `AutoApprovePolicy` (off in the product);
- a stored row wins over those defaults field by field for what it holds (window, segments,
  service in e-mail, auto-approval on/off and daily cap); the caller's kill switch and the
  auto-approvable purposes always come from the caller's `AutoApprovePolicy`, so an operator's
  kill switch stops auto-approval whatever a location saved;
- rules for a saved policy (`validate`): hours 0–23 with start < end, segments 1–10, daily cap
  ≥ 0. Each save that changes something is audited as `settings.outreach_policy` with the
  fields' old and new values (no PHI: numbers and flags only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from agent.outreach.autonomy import AutoApprovePolicy
from agent.outreach.policy import DEFAULT_MAX_SEGMENTS
from agent.outreach.quiet_hours import DEFAULT_END_HOUR, DEFAULT_START_HOUR
from store import tables as t

AUDIT_ACTION = "settings.outreach_policy"
MAX_SEGMENTS_LIMIT = 10


@dataclass(frozen=True)
class PolicyValues:
    """The editable part of a location's policy (what a row stores)."""

    send_start_hour: int = DEFAULT_START_HOUR
    send_end_hour: int = DEFAULT_END_HOUR
    max_segments: int = DEFAULT_MAX_SEGMENTS
    allow_service_in_email: bool = False
    auto_approve_enabled: bool = False
    auto_approve_daily_cap: int = AutoApprovePolicy().daily_cap


@dataclass(frozen=True)
class LocationPolicy:
    """The policy in force at a location, with its IANA time zone and organization."""

    location_id: int
    organization_id: int
    timezone: str
    values: PolicyValues
    auto_approve: AutoApprovePolicy
    stored: bool  # False: no row, the defaults
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def window(self) -> tuple[int, int]:
        return self.values.send_start_hour, self.values.send_end_hour

    @property
    def max_segments(self) -> int:
        return self.values.max_segments

    @property
    def allow_service_in_email(self) -> bool:
        return self.values.allow_service_in_email


def defaults(autonomy: AutoApprovePolicy | None = None) -> PolicyValues:
    """The product defaults (auto-approval as `autonomy`, the product's when None)."""
    auto = autonomy or AutoApprovePolicy()
    return PolicyValues(auto_approve_enabled=auto.enabled, auto_approve_daily_cap=auto.daily_cap)


def policy_for(
    engine: Engine, location_id: int, *, autonomy: AutoApprovePolicy | None = None
) -> LocationPolicy:
    """The policy in force at `location_id` (see the module docstring); `autonomy` is the
    caller's default auto-approval policy (its kill switch and purposes always apply).
    ValueError for an unknown location."""
    loc, pol = t.location, t.outreach_policy
    with engine.connect() as conn:
        row = conn.execute(
            select(loc.c.organization_id, loc.c.timezone, pol)
            .select_from(loc.outerjoin(pol, pol.c.location_id == loc.c.id))
            .where(loc.c.id == location_id)
        ).first()
    if row is None:
        raise ValueError(f"no location with id {location_id}")
    base = autonomy or AutoApprovePolicy()
    stored = row.send_start_hour is not None
    values = (
        PolicyValues(
            send_start_hour=int(row.send_start_hour),
            send_end_hour=int(row.send_end_hour),
            max_segments=int(row.max_segments),
            allow_service_in_email=bool(row.allow_service_in_email),
            auto_approve_enabled=bool(row.auto_approve_enabled),
            auto_approve_daily_cap=int(row.auto_approve_daily_cap),
        )
        if stored
        else defaults(base)
    )
    updated_at = row.updated_at if stored else None
    if updated_at is not None and updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return LocationPolicy(
        location_id=location_id,
        organization_id=int(row.organization_id),
        timezone=str(row.timezone),
        values=values,
        auto_approve=replace(
            base, enabled=values.auto_approve_enabled, daily_cap=values.auto_approve_daily_cap
        ),
        stored=stored,
        updated_at=updated_at,
        updated_by=str(row.updated_by) if stored else None,
    )


def validate(values: PolicyValues) -> None:
    """ValueError (one line) for the first broken rule of a policy to be saved."""
    for name, hour in (("start", values.send_start_hour), ("end", values.send_end_hour)):
        if not 0 <= hour <= 23:
            raise ValueError(f"send window {name} hour must be 0–23, not {hour}")
    if values.send_start_hour >= values.send_end_hour:
        raise ValueError(
            f"send window start ({values.send_start_hour:02d}:00) must be before its end "
            f"({values.send_end_hour:02d}:00)"
        )
    if not 1 <= values.max_segments <= MAX_SEGMENTS_LIMIT:
        raise ValueError(f"SMS segments must be 1–{MAX_SEGMENTS_LIMIT}, not {values.max_segments}")
    if values.auto_approve_daily_cap < 0:
        raise ValueError(
            f"auto-approval daily cap must be 0 or more, not {values.auto_approve_daily_cap}"
        )


def save_policy(
    engine: Engine,
    location_id: int,
    values: PolicyValues,
    *,
    actor: str,
    now: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """Store `values` as the location's policy (validated first: ValueError, nothing written)
    and audit the change in the same transaction. Returns the changed fields as
    `{field: {"old": …, "new": …}}`; nothing is written or audited when nothing changed."""
    validate(values)
    current = policy_for(engine, location_id)
    old, new = asdict(current.values), asdict(values)
    changed = {k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]}
    if not changed:  # also: the defaults saved where no row exists (nothing to keep)
        return {}
    at = now or datetime.now(UTC)
    pol = t.outreach_policy
    with engine.begin() as conn:
        if current.stored:
            conn.execute(
                update(pol)
                .where(pol.c.location_id == location_id)
                .values(**new, updated_at=at, updated_by=actor)
            )
        else:
            conn.execute(
                insert(pol).values(location_id=location_id, **new, updated_at=at, updated_by=actor)
            )
        conn.execute(
            insert(t.audit_event).values(
                occurred_at=at,
                actor=actor,
                action=AUDIT_ACTION,
                entity_type="location",
                entity_id=str(location_id),
                details={"changes": changed},
                organization_id=current.organization_id,
                location_id=location_id,
            )
        )
    return changed
