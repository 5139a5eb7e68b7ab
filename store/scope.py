"""One answer to "which organization, which locations, which day" for every caller.

The CLI, the graphs, the LangChain tools and (next) the API and the scheduler ask
`resolve_scope` instead of each picking an organization and a day their own way.

Definitions:

- **Activity** on a local day: a sale, an appointment whose outcome is recorded (completed,
  no-show, cancelled, late cancel: anything but `booked`, which may lie in the future), or a
  lead. The **last day with data** of a scope is the latest local day with activity at any of
  its locations; a store whose only data are appointments still has one.
- **Organization**: `org` when given; else the organization of `location` when given; else the
  store's only organization. A store holding several organizations never has one chosen for the
  caller: `ScopeError` names them all and asks for `--org`.
- **Allowed locations**: the organization's locations, intersected with `allowed_locations` when
  the caller restricts them (an API user sees only theirs); with `location`, just that one.
- **As-of day**: `as_of` when given, else the last day with data. A day after the last day with
  data is refused, naming the last day, unless `allow_after_last_day` (forecasts look ahead).

Messages are one line, meant for the user as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, func, select

from store import tables as t

NO_DATA = "the store holds no practice data yet; run `clarity demo build` or import data"


class ScopeError(ValueError):
    """The scope names an organization, location or day that does not exist, belong or have data.

    The message is one line, fit to show a user as it is.
    """


class SeveralOrganizationsError(ScopeError):
    """The store holds more than one organization and the caller did not say which."""

    def __init__(self, organizations: list[tuple[int, str]]) -> None:
        self.organizations = organizations
        listed = ", ".join(f"{oid} ({name})" for oid, name in organizations)
        super().__init__(
            f"the store holds {len(organizations)} organizations: {listed}; "
            "pass --org with one of these ids"
        )


@dataclass(frozen=True)
class ResolvedScope:
    """A checked scope: its organization, the location asked for (or None for all allowed),
    every location the caller may see in it, the as-of day and the last day with data."""

    organization_id: int
    organization_name: str
    location_id: int | None
    allowed_location_ids: tuple[int, ...]
    as_of: date
    last_data_day: date


def _as_date(value: object) -> date | None:
    # func.max keeps the column's type, but a driver may still hand back ISO text.
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _last_activity(
    conn: Connection, organization_id: int, location_ids: Iterable[int] | None
) -> date | None:
    ids = list(location_ids) if location_ids is not None else None
    if ids is None:
        ids = list(
            conn.execute(
                select(t.location.c.id).where(t.location.c.organization_id == organization_id)
            ).scalars()
        )
    if not ids:
        return None
    a = t.appointment
    queries = (
        select(func.max(t.sale.c.local_date)).where(t.sale.c.location_id.in_(ids)),
        select(func.max(a.c.local_date)).where(a.c.location_id.in_(ids), a.c.status != "booked"),
        select(func.max(t.lead.c.local_date)).where(t.lead.c.location_id.in_(ids)),
    )
    days = [_as_date(conn.execute(query).scalar()) for query in queries]
    return max((d for d in days if d is not None), default=None)


def last_activity_day(
    bind: Engine | Connection, organization_id: int, location_ids: Iterable[int] | None = None
) -> date | None:
    """The latest local day with activity (see the module docstring) at `location_ids`, or at
    every location of the organization when None; None when there is none."""
    if isinstance(bind, Connection):
        return _last_activity(bind, organization_id, location_ids)
    with bind.connect() as conn:
        return _last_activity(conn, organization_id, location_ids)


def _organization(conn: Connection, org: int | None, location: int | None) -> tuple[int, str]:
    """The organization (id, name) the caller means; raises ScopeError when it cannot be told."""
    organizations = [
        (int(oid), str(name))
        for oid, name in conn.execute(
            select(t.organization.c.id, t.organization.c.name).order_by(t.organization.c.id)
        ).all()
    ]
    names = dict(organizations)
    if org is not None:
        if org not in names:
            raise ScopeError(f"organization {org} does not exist")
        chosen = org
    else:
        owner = None
        if location is not None:
            owner = conn.execute(
                select(t.location.c.organization_id).where(t.location.c.id == location)
            ).scalar()
        if owner is not None:
            chosen = int(owner)
        elif not organizations:
            raise ScopeError(NO_DATA)
        elif len(organizations) == 1:
            chosen = organizations[0][0]
        elif location is not None:
            raise ScopeError(f"location {location} is not in any organization")
        else:
            raise SeveralOrganizationsError(organizations)
    return chosen, names[chosen]


def resolve_scope(
    bind: Engine | Connection,
    *,
    org: int | None = None,
    location: int | None = None,
    as_of: date | None = None,
    allowed_locations: Iterable[int] | None = None,
    allow_after_last_day: bool = False,
) -> ResolvedScope:
    """Check what the caller asks for against the store (rules in the module docstring)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _resolve(conn, org, location, as_of, allowed_locations, allow_after_last_day)
    return _resolve(bind, org, location, as_of, allowed_locations, allow_after_last_day)


def _resolve(
    conn: Connection,
    org: int | None,
    location: int | None,
    as_of: date | None,
    allowed_locations: Iterable[int] | None,
    allow_after_last_day: bool,
) -> ResolvedScope:
    organization_id, organization_name = _organization(conn, org, location)
    org_locations = list(
        conn.execute(
            select(t.location.c.id)
            .where(t.location.c.organization_id == organization_id)
            .order_by(t.location.c.id)
        ).scalars()
    )
    allowed = (
        org_locations
        if allowed_locations is None
        else sorted(set(org_locations) & set(allowed_locations))
    )
    if location is not None:
        if location not in org_locations:
            raise ScopeError(f"location {location} is not in organization {organization_id}")
        if location not in allowed:
            raise ScopeError(f"location {location} is not one you may see; allowed: {allowed}")
        allowed = [location]
    elif not org_locations:
        raise ScopeError(NO_DATA)
    elif not allowed:
        raise ScopeError(f"you may not see any location of organization {organization_id}")
    last = _last_activity(conn, organization_id, allowed)
    if last is None:
        raise ScopeError(NO_DATA)
    if as_of is not None and as_of > last and not allow_after_last_day:
        raise ScopeError(
            f"{as_of.isoformat()} is after the last day with data ({last.isoformat()}); "
            "pick that day or an earlier one"
        )
    return ResolvedScope(
        organization_id=organization_id,
        organization_name=organization_name,
        location_id=location,
        allowed_location_ids=tuple(allowed),
        as_of=as_of or last,
        last_data_day=last,
    )
