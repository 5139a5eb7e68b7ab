"""The KPI snapshot (`tools.kpis.kpi_snapshot`) for a scope the user may see: the dashboard
page and `/api/v1/kpis` both come from `kpis_view`.

Defaults as in `clarity kpis`: the as-of day is the last day with sales in the locations the user
sees (so every location of one user's dashboard reports the same period), the period the last
complete calendar month before it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from api.deps import UserScope
from store import tables as t
from store.scope import last_activity_day
from tools.kpi_base import last_complete_month
from tools.kpis import KpiSnapshot, kpi_snapshot
from tools.scope import Period, Scope

#: Days a report may cover; far outside, date arithmetic (previous periods) overflows.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class LocationNotVisible(LookupError):
    """The location does not exist or is not one of the user's."""


class NoData(LookupError):
    """The scope has no sales yet, so there is no day to report on."""


class ChooseLocation(ValueError):
    """The user sees several locations but not the whole organization: name one."""


def chosen_location(scope: UserScope, location_id: int | None) -> int | None:
    """The location to report on (None: the organization) after checking the user's reach."""
    if location_id is not None:
        if not scope.allows_location(location_id):
            raise LocationNotVisible(f"no location {location_id} in your scope")
        return location_id
    if scope.whole_org:
        return None
    if len(scope.location_ids) == 1:
        return next(iter(scope.location_ids))
    if not scope.location_ids:
        raise LocationNotVisible("no location is assigned to you")
    raise ChooseLocation(
        "location: choose one of " + ", ".join(str(i) for i in sorted(scope.location_ids))
    )


def location_names(engine: Engine, scope: UserScope) -> list[tuple[int, str]]:
    """(id, name) of the locations the user sees, by id (for the dashboard's chooser)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.location.c.id, t.location.c.name)
            .where(t.location.c.id.in_(sorted(scope.location_ids)))
            .order_by(t.location.c.id)
        ).all()
    return [(int(row.id), str(row.name)) for row in rows]


def kpis_view(
    engine: Engine,
    scope: UserScope,
    *,
    location_id: int | None = None,
    period: str | None = None,
    as_of: date | None = None,
) -> KpiSnapshot:
    """Headline KPIs of the chosen scope with the previous period, industry range and peers.
    Raises `LocationNotVisible`, `ChooseLocation`, `NoData` or `ValueError` (bad period)."""
    location = chosen_location(scope, location_id)
    day = as_of or last_activity_day(engine, scope.organization_id, sorted(scope.location_ids))
    if day is None:
        raise NoData("no sales in this scope yet")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"as_of must be between {FIRST_DAY} and {LAST_DAY}")
    chosen = Period.parse(period, day) if period else last_complete_month(day)
    if chosen.start < FIRST_DAY or chosen.end > LAST_DAY:
        raise ValueError(f"period must lie between {FIRST_DAY} and {LAST_DAY}")
    return kpi_snapshot(engine, Scope(scope.organization_id, location), chosen)
