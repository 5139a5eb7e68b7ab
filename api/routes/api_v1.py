"""The JSON API (`/api/v1`): the same view functions as the pages, rendered as JSON."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from api.cache import cached, page_key
from api.deps import EngineDep, Scope, SessionDep, require
from api.roles import Area
from api.views import briefings as bv
from api.views import dashboard as dv
from api.views import kpis as kv
from api.views import outreach as ov
from api.views import patients as pv
from api.views import users as uv
from tools.kpis import KpiSnapshot

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in (no session, no valid Bearer token)."},
    403: {"description": "The user's role may not open this."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Nothing with that id in the user's scope."}
}

#: Ids are 32-bit integers on PostgreSQL; larger numbers cannot name a row.
MAX_ID = 2**31 - 1
DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
PERIOD_PATTERN = rf"^([0-9]{{4}}-[0-9]{{2}}|last-[0-9]{{1,4}}d|{DAY}\.\.{DAY})$"

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

SCOPE_KEY = Query(
    None,
    alias="scope",
    pattern=r"^(org|location):[0-9]{1,18}$",
    description="Only this scope: org:<id> or location:<id>.",
)


@router.get("/me", response_model=uv.Me)
def me(scope: Scope) -> uv.Me:
    """The signed-in user, their role and the locations they may see."""
    return uv.me(scope)


@router.get(
    "/briefings",
    response_model=list[bv.BriefingSummary],
    dependencies=[require(Area.briefings)],
)
def briefings(
    session: SessionDep,
    scope: Scope,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    scope_key: str | None = SCOPE_KEY,
) -> list[bv.BriefingSummary]:
    """The user's briefings, newest day first."""
    return bv.list_briefings(session, scope, limit=limit, scope_key=scope_key)


@router.get(
    "/briefings/{briefing_id}",
    response_model=bv.BriefingView,
    dependencies=[require(Area.briefings)],
    responses=NOT_FOUND,
)
def briefing(
    session: SessionDep, scope: Scope, briefing_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> bv.BriefingView:
    """One briefing: badge, KPIs, points with dollars, the call list (names and phones only
    for roles that may see them)."""
    try:
        return bv.get_briefing(session, scope, briefing_id)
    except bv.BriefingNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None


@router.get("/today", response_model=bv.TodayView, dependencies=[require(Area.briefings)])
async def today(
    request: Request, session: SessionDep, engine: EngineDep, scope: Scope
) -> bv.TodayView:
    """The Today page's data: the latest briefing of each scope the user may see."""
    view: bv.TodayView = await cached(
        request, engine, page_key(scope, "api:today"), lambda: bv.today(session, scope)
    )
    return view


@router.get(
    "/kpis",
    response_model=KpiSnapshot,
    dependencies=[require(Area.dashboard)],
    responses={
        **NOT_FOUND,
        422: {"description": "Bad period or date, or a location must be chosen."},
    },
)
def kpis(
    engine: EngineDep,
    scope: Scope,
    location: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Location id.")] = None,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="YYYY-MM, last-<days>d or YYYY-MM-DD..YYYY-MM-DD (default: last month).",
        ),
    ] = None,
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD; default last sale.")] = None,
) -> KpiSnapshot:
    """Headline KPIs with the previous period, the industry range and portfolio peers."""
    try:
        return kv.kpis_view(engine, scope, location_id=location, period=period, as_of=as_of)
    except (kv.LocationNotVisible, kv.NoData) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


@router.get(
    "/dashboard",
    response_model=dv.DashboardView,
    dependencies=[require(Area.dashboard)],
    responses={
        **NOT_FOUND,
        422: {"description": "Bad period or date, or a location must be chosen."},
    },
)
async def dashboard(
    request: Request,
    engine: EngineDep,
    scope: Scope,
    location: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Location id.")] = None,
    provider: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Provider id.")] = None,
    period: Annotated[
        str | None,
        Query(
            pattern=PERIOD_PATTERN,
            description="YYYY-MM, last-<days>d or YYYY-MM-DD..YYYY-MM-DD (default: last month).",
        ),
    ] = None,
    as_of: Annotated[date | None, Query(description="YYYY-MM-DD; default last sale.")] = None,
) -> dv.DashboardView:
    """The dashboard page's data: KPIs with chart geometry, the weekday × hour heat map,
    the new-patient funnel, treatment mix, provider P&L and the portfolio."""
    key = page_key(scope, "api:dashboard", location, provider, period, as_of)
    try:
        view: dv.DashboardView = await cached(
            request,
            engine,
            key,
            lambda: dv.dashboard_view(
                engine,
                scope,
                location_id=location,
                provider_id=provider,
                period=period,
                as_of=as_of,
            ),
        )
        return view
    except (kv.LocationNotVisible, dv.ProviderNotVisible, kv.NoData) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


@router.get("/users", response_model=list[uv.UserOut], dependencies=[require(Area.users)])
def users(session: SessionDep, scope: Scope) -> list[uv.UserOut]:
    """Users of the organization (owner only)."""
    return uv.list_users(session, scope)


@router.get(
    "/outreach",
    response_model=ov.QueueView,
    dependencies=[require(Area.queue)],
    responses={422: {"description": "Not a message state."}},
)
async def outreach(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    state: Annotated[
        str, Query(max_length=40, description="Message state (default pending_approval).")
    ] = "pending_approval",
) -> ov.QueueView:
    """The approval queue of the user's locations: drafts with reason, value/risk and policy
    results, and the counts by state (the data of the /queue page)."""
    try:
        view: ov.QueueView = await cached(
            request,
            engine,
            page_key(scope, "api:outreach", state),
            lambda: ov.queue(session, engine, scope, state=state),
        )
        return view
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


@router.get(
    "/outreach/{message_id}",
    response_model=ov.QueueItem,
    dependencies=[require(Area.queue)],
    responses=NOT_FOUND,
)
def outreach_message(
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    message_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> ov.QueueItem:
    """One outreach message of the user's locations."""
    try:
        return ov.get_item(session, engine, scope, message_id)
    except ov.MessageNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None


@router.get(
    "/patients/at-risk", response_model=pv.AtRiskView, dependencies=[require(Area.patients)]
)
def patients_at_risk(
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> pv.AtRiskView:
    """At-risk patients of the user's locations with reasons in numbers and dollars (names
    and phones only for roles that may see them)."""
    return pv.at_risk(session, engine, scope, limit=limit)
