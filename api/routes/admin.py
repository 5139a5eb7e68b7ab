"""Sent & audit and Settings: the pages (`pages`) and their JSON (`api`, under `/api/v1`),
each rendering the same view function (api/views/sent.py, audit.py, settings.py), and the
Settings form posts — subscriptions (add, change, remove), a location's outreach policy, a
user's role (htmx; CSRF-checked by the middleware, audited by the view)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from api.deps import (
    CurrentUser,
    EngineDep,
    Scope,
    SessionDep,
    SettingsDep,
    UserScope,
    require,
)
from api.roles import Area, Role, may_open
from api.routes.api_v1 import ERRORS, MAX_ID
from api.templating import render
from api.views import audit as av
from api.views import patients as pv
from api.views import sent as sv
from api.views import settings as stv
from api.views import users as uv

if TYPE_CHECKING:
    from agent.outreach.graph import Recheck

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

MAX_PAGE = 10_000
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=200, description="Rows per page.")]
SentState = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z_]{1,40}$",
        description=f"Only this state: one of {', '.join(sv.SENT_LIST_STATES)}.",
    ),
]
#: Printable text only: a control character can match no recorded value, and PostgreSQL refuses
#: NUL in a text parameter (a 500 instead of an empty page).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Action = Annotated[
    str | None, Query(max_length=100, pattern=PRINTABLE, description="Exact action.")
]
Actor = Annotated[
    str | None, Query(max_length=320, pattern=PRINTABLE, description="Exact actor (e-mail).")
]
Since = Annotated[date | None, Query(description="From this UTC day (YYYY-MM-DD).")]
Until = Annotated[date | None, Query(description="Up to this UTC day, included.")]
#: The page's filter form sends empty fields for "any"; the page reads them as text.
DayField = Annotated[str, Query(max_length=10)]


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"{field}: not a YYYY-MM-DD day"
        ) from None


def _sent(
    session: Session, scope: UserScope, state: str | None, page: int, per_page: int
) -> sv.SentView:
    try:
        return sv.sent(session, scope, state=state or None, page=page, per_page=per_page)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


# --------------------------------------------------------------------------- pages


@pages.get("/sent", response_class=HTMLResponse, dependencies=[require(Area.sent)])
def sent_page(
    request: Request,
    session: SessionDep,
    scope: Scope,
    user: CurrentUser,
    state: SentState = None,
    page: Page = 1,
) -> HTMLResponse:
    """Messages past the approval queue with their states and delivery events."""
    view = _sent(session, scope, state, page, 50)
    return render(request, "sent.html", {"v": view}, user=user)


@pages.get("/audit", response_class=HTMLResponse, dependencies=[require(Area.audit)])
def audit_page(
    request: Request,
    session: SessionDep,
    scope: Scope,
    user: CurrentUser,
    action: Action = None,
    actor: Actor = None,
    since: DayField = "",
    until: DayField = "",
    page: Page = 1,
) -> HTMLResponse:
    view = av.audit_log(
        session,
        scope,
        action=action,
        actor=actor,
        since=_day(since, "since"),
        until=_day(until, "until"),
        page=page,
    )
    return render(request, "audit.html", {"v": view}, user=user)


@pages.get("/settings", response_class=HTMLResponse, dependencies=[require(Area.settings)])
def settings_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    user: CurrentUser,
    settings: SettingsDep,
) -> HTMLResponse:
    view = stv.settings_view(session, engine, scope, settings.app_base_url)
    roles = [r.value for r in Role]
    editable = may_open(user.role, Area.outreach_policy)
    return render(
        request, "settings.html", {"v": view, "roles": roles, "editable": editable}, user=user
    )


@pages.post(
    "/settings/subscriptions/{subscription_id}",
    response_class=HTMLResponse,
    dependencies=[require(Area.settings)],
)
def subscription_post(
    request: Request,
    session: SessionDep,
    scope: Scope,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    send_hour_local: Annotated[int, Form(ge=0, le=23)],
    channel: Annotated[str, Form(max_length=20)],
    active: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Save one of the user's own subscriptions; answered with its row (htmx swaps it)."""
    error = None
    try:
        sub = stv.update_subscription(
            session,
            scope,
            subscription_id,
            send_hour_local=send_hour_local,
            channel=channel,
            active=active,
        )
        notice = "Saved"
    except stv.SubscriptionNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        sub, notice, error = stv.get_subscription(session, scope, subscription_id), None, str(exc)
    return render(
        request,
        "_subscription.html",
        {"s": sub, "channels": stv.CHANNELS, "notice": notice, "error": error},
        user=scope.user,
    )


def _subscriptions_section(
    request: Request,
    session: Session,
    scope: UserScope,
    *,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, object] | None = None,
) -> HTMLResponse:
    """The subscriptions section (list and the form to add one), answered by add and remove."""
    return render(
        request,
        "_subscriptions.html",
        {
            "subscriptions": stv.subscriptions(session, scope),
            "channels": stv.CHANNELS,
            "targets": stv.subscription_targets(session, scope),
            "section_notice": notice,
            "section_error": error,
            "form": form or {},
        },
        user=scope.user,
    )


@pages.post(
    "/settings/subscriptions", response_class=HTMLResponse, dependencies=[require(Area.settings)]
)
def subscription_create(
    request: Request,
    session: SessionDep,
    scope: Scope,
    target: Annotated[str, Form(max_length=40, pattern=r"^(org|location):[0-9]{1,12}$")],
    channel: Annotated[str, Form(max_length=20)],
    send_hour_local: Annotated[int, Form(ge=0, le=23)],
) -> HTMLResponse:
    """Subscribe the signed-in user to a briefing (their organization or one of their
    locations); answered with the subscriptions section (htmx swaps it). 404 for a scope
    outside theirs; a duplicate or a bad value is an error in the section, nothing saved."""
    try:
        sub = stv.create_subscription(
            session, scope, target=target, channel=channel, send_hour_local=send_hour_local
        )
    except stv.TargetNotAllowed as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        session.rollback()
        form = {"target": target, "channel": channel, "send_hour_local": send_hour_local}
        return _subscriptions_section(request, session, scope, error=str(exc), form=form)
    notice = f"Added: {sub.scope_label} by {sub.channel} at {sub.send_time_local}"
    return _subscriptions_section(request, session, scope, notice=notice)


@pages.post(
    "/settings/subscriptions/{subscription_id}/delete",
    response_class=HTMLResponse,
    dependencies=[require(Area.settings)],
)
def subscription_delete(
    request: Request,
    session: SessionDep,
    scope: Scope,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> HTMLResponse:
    """Remove one of the user's own subscriptions (audited); answered with the section."""
    try:
        gone = stv.get_subscription(session, scope, subscription_id)
        stv.delete_subscription(session, scope, subscription_id)
    except stv.SubscriptionNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    notice = f"Removed: {gone.scope_label} by {gone.channel}"
    return _subscriptions_section(request, session, scope, notice=notice)


def _changes_text(changed: dict[str, dict[str, object]], rechecked: Recheck | None = None) -> str:
    if not changed:
        return "No change"
    names = {
        "send_start_hour": "window start",
        "send_end_hour": "window end",
        "max_segments": "SMS segments",
        "allow_service_in_email": "service in e-mail",
        "auto_approve_enabled": "auto-approval",
        "auto_approve_daily_cap": "daily cap",
    }
    parts = [f"{names.get(k, k)} {v['old']} → {v['new']}" for k, v in changed.items()]
    text = "Saved: " + ", ".join(parts)
    if rechecked and rechecked.checked:
        waiting, blocked = rechecked.checked, rechecked.blocked
        text += (
            f"; {waiting} waiting draft{'' if waiting == 1 else 's'} checked again, "
            f"{blocked} now blocked"
        )
    return text


@pages.post(
    "/settings/policy/{location_id}",
    response_class=HTMLResponse,
    dependencies=[require(Area.outreach_policy)],
)
def policy_post(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    settings: SettingsDep,
    location_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    send_start_hour: Annotated[int, Form(ge=-1000, le=1000)],
    send_end_hour: Annotated[int, Form(ge=-1000, le=1000)],
    max_segments: Annotated[int, Form(ge=-1000, le=1000)],
    auto_approve_daily_cap: Annotated[int, Form(ge=-1_000_000, le=1_000_000)],
    allow_service_in_email: Annotated[bool, Form()] = False,
    auto_approve_enabled: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Save a location's outreach policy (owner: every location; manager: theirs; 404 for
    any other); answered with the location's policy section (htmx swaps it). A broken rule
    is shown in the section and nothing is saved."""
    base_url = settings.app_base_url
    error = notice = None
    try:
        saved = stv.update_policy(
            session,
            engine,
            scope,
            location_id,
            base_url,
            send_start_hour=send_start_hour,
            send_end_hour=send_end_hour,
            max_segments=max_segments,
            allow_service_in_email=allow_service_in_email,
            auto_approve_enabled=auto_approve_enabled,
            auto_approve_daily_cap=auto_approve_daily_cap,
        )
        policy, notice = saved.policy, _changes_text(saved.changed, saved.rechecked)
    except stv.LocationNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        policy, error = stv.get_policy(session, engine, scope, location_id, base_url), str(exc)
    return render(
        request,
        "_outreach_policy.html",
        {"p": policy, "editable": True, "notice": notice, "error": error},
        user=scope.user,
    )


@pages.post(
    "/settings/users/{user_id}", response_class=HTMLResponse, dependencies=[require(Area.users)]
)
def user_post(
    request: Request,
    session: SessionDep,
    scope: Scope,
    user_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    role: Annotated[str, Form(max_length=20)],
    location_ids: Annotated[list[int], Form(max_length=1000)] = [],  # noqa: B006 (form default)
    active: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    """Set a user's role, locations and active flag (owner); answered with the user's row."""
    error = notice = None
    try:
        user = stv.update_user(
            session, scope, user_id, role=role, location_ids=location_ids, active=active
        )
        notice = "Saved"
    except stv.UserNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except ValueError as exc:
        session.rollback()
        user = next(u for u in uv.list_users(session, scope) if u.id == user_id)
        error = str(exc)
    return render(
        request,
        "_user.html",
        {
            "u": user,
            "roles": [r.value for r in Role],
            "locations": stv.location_names(session, scope),
            "notice": notice,
            "error": error,
        },
        user=scope.user,
    )


# --------------------------------------------------------------------------- JSON


@api.get(
    "/sent",
    response_model=sv.SentView,
    dependencies=[require(Area.sent)],
    responses={422: {"description": "Not a sent-list state."}},
)
def sent(
    session: SessionDep,
    scope: Scope,
    state: SentState = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> sv.SentView:
    """Messages of the user's locations past the approval queue, with their states and
    delivery events, newest activity first (the data of the /sent page)."""
    return _sent(session, scope, state, page, per_page)


@api.get("/audit", response_model=av.AuditPage, dependencies=[require(Area.audit)])
def audit(
    session: SessionDep,
    scope: Scope,
    action: Action = None,
    actor: Actor = None,
    since: Since = None,
    until: Until = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> av.AuditPage:
    """The organization's audit log, newest first, filtered by action, actor and UTC days
    (owner only; the data of the /audit page)."""
    return av.audit_log(
        session,
        scope,
        action=action,
        actor=actor,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
    )


@api.get("/settings", response_model=stv.SettingsView, dependencies=[require(Area.settings)])
def settings_json(
    session: SessionDep, engine: EngineDep, scope: Scope, settings: SettingsDep
) -> stv.SettingsView:
    """The Settings page's data: the user's subscriptions; users (owner); the outreach policy
    of each location and recent job runs and failures (owner, manager)."""
    return stv.settings_view(session, engine, scope, settings.app_base_url)


@api.get(
    "/patients/no-show-tomorrow",
    response_model=pv.NoShowView,
    dependencies=[require(Area.patients)],
)
def no_show_tomorrow(
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> pv.NoShowView:
    """Tomorrow's appointments at the user's locations, riskiest no-show first, for
    confirmation calls (names and phones only for roles that may see them)."""
    return pv.no_show_tomorrow(session, engine, scope, limit=limit)
