"""The approval queue and the patients pages. The queue page renders `views.outreach.queue`
(the data of `/api/v1/outreach`); decisions are htmx form posts answered with the message's
partial (and the counts, swapped out of band). `/patients` renders `views.patients.at_risk`
(the data of `/api/v1/patients/at-risk`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from api.cache import cached_html, page_key
from api.deps import CurrentUser, EngineDep, Scope, SessionDep, SettingsDep, UserScope, require
from api.roles import Area
from api.routes.api_v1 import MAX_ID
from api.templating import render
from api.views import outreach as ov
from api.views import patients as pv
from store.outreach import OutreachError

router = APIRouter(include_in_schema=False)

MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
STATE = Query("pending_approval", max_length=40)


def _not_found(exc: Exception) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc))


@router.get("/queue", response_class=HTMLResponse, dependencies=[require(Area.queue)])
async def queue_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    user: CurrentUser,
    state: str = STATE,
) -> HTMLResponse:
    """Pending drafts (or another state's messages) of the user's locations."""

    def page() -> HTMLResponse:
        view = ov.queue(session, engine, scope, state=state)
        return render(request, "queue.html", {"q": view, "notice": None}, user=user)

    try:
        return await cached_html(request, engine, page_key(scope, "queue", state), page)
    except ValueError as exc:
        raise _not_found(exc) from None


def _item_response(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: UserScope,
    message_id: int,
    *,
    error: str | None = None,
) -> HTMLResponse:
    try:
        item = ov.get_item(session, engine, scope, message_id)
    except ov.MessageNotFound as exc:
        raise _not_found(exc) from None
    return render(
        request,
        "_queue_item.html",
        {"m": item, "error": error, "counts": ov.counts(engine, scope), "oob": True},
        user=scope.user,
    )


def _decided(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: UserScope,
    message_id: int,
    decide: Callable[[], str | None],
) -> HTMLResponse:
    """Run one decision on a draft and answer with its refreshed queue item: an unknown or
    foreign message is a 404; a refused decision (or the message `decide` returns) is shown on
    the item."""
    try:
        error = decide()
    except ov.MessageNotFound as exc:
        raise _not_found(exc) from None
    except OutreachError as exc:
        error = str(exc)
    return _item_response(request, session, engine, scope, message_id, error=error)


@router.post(
    "/queue/{message_id}/approve", response_class=HTMLResponse, dependencies=[require(Area.queue)]
)
def approve_post(
    request: Request, session: SessionDep, engine: EngineDep, scope: Scope, message_id: MessageId
) -> HTMLResponse:
    def approve() -> None:
        ov.approve_message(engine, scope, message_id)

    return _decided(request, session, engine, scope, message_id, approve)


@router.post(
    "/queue/{message_id}/edit", response_class=HTMLResponse, dependencies=[require(Area.queue)]
)
def edit_post(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    settings: SettingsDep,
    message_id: MessageId,
    template: Annotated[str, Form(max_length=ov.MAX_TEXT)],
) -> HTMLResponse:
    """Save the edited text (policy re-checked) and approve it when it passes."""

    def edit() -> str | None:
        policy = ov.edit_message(engine, scope, message_id, template, settings.app_base_url)
        return None if policy["passed"] else "Saved, not approved: the policy still has violations."

    return _decided(request, session, engine, scope, message_id, edit)


@router.post(
    "/queue/{message_id}/reject", response_class=HTMLResponse, dependencies=[require(Area.queue)]
)
def reject_post(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    message_id: MessageId,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    def reject() -> None:
        ov.reject_message(engine, scope, message_id, reason)

    return _decided(request, session, engine, scope, message_id, reject)


@router.post(
    "/queue/{message_id}/check", response_class=HTMLResponse, dependencies=[require(Area.queue)]
)
def check_post(
    request: Request,
    engine: EngineDep,
    scope: Scope,
    settings: SettingsDep,
    message_id: MessageId,
    template: Annotated[str, Form(max_length=ov.MAX_TEXT)] = "",
) -> HTMLResponse:
    """The policy partial for text being edited (htmx, as the approver types); stores nothing."""
    try:
        body, policy = ov.preview(engine, scope, message_id, template, settings.app_base_url)
    except ov.MessageNotFound as exc:
        raise _not_found(exc) from None
    return render(
        request,
        "_policy.html",
        {"policy": ov.policy_view(policy), "preview": body, "mid": message_id},
        user=scope.user,
    )


@router.post("/queue/bulk-approve", dependencies=[require(Area.queue)])
def bulk_approve_post(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    scope: Scope,
    ids: Annotated[list[int], Form(max_length=500)] = [],  # noqa: B006 (FastAPI form default)
) -> Response:
    """Approve the ticked drafts that have no warnings; the page says what was skipped."""
    result = ov.bulk_approve(engine, scope, [i for i in ids if 1 <= i <= MAX_ID])
    notice = f"{len(result.approved)} approved" + (
        f", {len(result.skipped)} skipped (warnings or already decided)" if result.skipped else ""
    )
    view = ov.queue(session, engine, scope)
    return render(request, "queue.html", {"q": view, "notice": notice}, user=scope.user)


@router.get("/patients", response_class=HTMLResponse, dependencies=[require(Area.patients)])
def patients_page(
    request: Request, session: SessionDep, engine: EngineDep, scope: Scope, user: CurrentUser
) -> HTMLResponse:
    """At-risk patients of the user's locations, most dollars at stake first; tomorrow's
    no-show list is loaded into it by htmx (`/patients/no-show`: scoring can take seconds)."""
    view = pv.at_risk(session, engine, scope)
    return render(request, "patients.html", {"v": view}, user=user)


@router.get("/patients/no-show", response_class=HTMLResponse, dependencies=[require(Area.patients)])
def no_show_partial(
    request: Request, session: SessionDep, engine: EngineDep, scope: Scope, user: CurrentUser
) -> HTMLResponse:
    """Tomorrow's no-show risk list for confirmation calls (the /patients page's partial)."""
    no_shows = pv.no_show_tomorrow(session, engine, scope)
    return render(request, "_no_show.html", {"ns": no_shows}, user=user)
