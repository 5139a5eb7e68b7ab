"""Server-rendered pages. Each page renders the data of the same view function its JSON
endpoint returns (see api/routes/api_v1.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from api.cache import cached_html, page_key
from api.deps import CurrentUser, EngineDep, Scope, SessionDep, require
from api.roles import Area
from api.routes.api_v1 import MAX_ID
from api.templating import render
from api.views import briefings as bv
from api.views import dashboard as dv
from api.views import kpis as kv
from api.views import users as uv

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, dependencies=[require(Area.briefings)])
async def today_page(
    request: Request, session: SessionDep, engine: EngineDep, scope: Scope, user: CurrentUser
) -> HTMLResponse:
    """Today: the latest briefing of each scope the user may see (cached per data version)."""
    return await cached_html(
        request,
        engine,
        page_key(scope, "today"),
        lambda: render(request, "today.html", {"today": bv.today(session, scope)}, user=user),
    )


@router.get(
    "/briefings/{briefing_id:int}",
    response_class=HTMLResponse,
    dependencies=[require(Area.briefings)],
)
def briefing_page(
    request: Request, session: SessionDep, scope: Scope, user: CurrentUser, briefing_id: int
) -> HTMLResponse:
    try:
        if briefing_id > MAX_ID:
            raise bv.BriefingNotFound(f"no briefing {briefing_id}")
        view = bv.get_briefing(session, scope, briefing_id)
    except bv.BriefingNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return render(request, "briefing.html", {"b": view}, user=user)


@router.get(
    "/briefings/{scope_key}/{day}",
    response_class=HTMLResponse,
    dependencies=[require(Area.briefings)],
)
def briefing_for_day_page(
    request: Request,
    session: SessionDep,
    scope: Scope,
    user: CurrentUser,
    scope_key: str,
    day: str,
) -> HTMLResponse:
    """The link briefing e-mails and Slack messages carry: `/briefings/location:2/2026-11-24`."""
    try:
        when = date.fromisoformat(day)
        view = bv.get_briefing_for_day(session, scope, scope_key, when)
    except (ValueError, bv.BriefingNotFound):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no briefing for {scope_key} on {day}"
        ) from None
    return render(request, "briefing.html", {"b": view}, user=user)


@router.get("/dashboard", response_class=HTMLResponse, dependencies=[require(Area.dashboard)])
async def dashboard_page(
    request: Request,
    engine: EngineDep,
    scope: Scope,
    user: CurrentUser,
    location: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    provider: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    period: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """KPIs against the industry range and peers, the weekday × hour heat map, the funnel,
    treatment mix, provider P&L and (whole organization) the portfolio."""

    def page() -> HTMLResponse:
        error = None
        view = None
        try:
            view = dv.dashboard_view(
                engine, scope, location_id=location, provider_id=provider, period=period or None
            )
        except (kv.NoData, ValueError) as exc:
            error = str(exc)
        return render(
            request,
            "dashboard.html",
            {
                "d": view,
                "snapshot": view.kpis if view else None,
                "error": error,
                "locations": kv.location_names(engine, scope),
                "whole_org": scope.whole_org,
                "location": view.location_id if view else location,
                "provider": provider,
                "period": period or "",
            },
            user=user,
        )

    try:
        return await cached_html(
            request, engine, page_key(scope, "dashboard", location, provider, period or ""), page
        )
    except (kv.LocationNotVisible, dv.ProviderNotVisible) as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None


@router.get("/settings/users", response_class=HTMLResponse, dependencies=[require(Area.users)])
def users_page(
    request: Request, session: SessionDep, scope: Scope, user: CurrentUser
) -> HTMLResponse:
    return render(request, "users.html", {"users": uv.list_users(session, scope)}, user=user)
