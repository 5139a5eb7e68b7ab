"""Sign-in and sign-out with an e-mail and password; the session cookie holds the user id.

Handlers are sync (`def`): checking an argon2 hash takes ~180 ms of CPU and would block the
event loop inside `async def`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from api.csrf import login_token_ok
from api.deps import SessionDep
from api.roles import Role
from api.security import LoginLimiter, verify_password
from api.templating import render
from store.models import User

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no `//host`, no scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    target = safe_next(next)
    if not login_token_ok(request, request.app.state.secret):
        return render(
            request,
            "login.html",
            {"next": target, "error": "Your sign-in form expired; reload the page."},
            status_code=status.HTTP_403_FORBIDDEN,
        )
    limiter: LoginLimiter = request.app.state.login_limiter
    ip = request.client.host if request.client else "unknown"
    email = email.strip().lower()
    wait = limiter.retry_after(email, ip)
    if wait:
        response = render(
            request,
            "login.html",
            {"next": target, "error": f"Too many attempts; try again in {wait} seconds."},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = session.exec(select(User).where(User.email == email)).first()
    stored = user.password_hash if user is not None else None
    ok = verify_password(password, stored)
    if not ok or user is None or not user.active or user.role not in set(Role):
        limiter.failed(email, ip)
        return render(
            request,
            "login.html",
            {"next": target, "error": "Wrong e-mail or password."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    limiter.succeeded(email)
    request.session.clear()
    request.session["uid"] = user.id
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
