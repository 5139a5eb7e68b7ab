"""CSRF protection: starlette-csrf's double-submit cookie.

The middleware checks every unsafe request (POST, PUT, PATCH, DELETE) that carries the session
cookie: the `x-csrftoken` header must match the `csrftoken` cookie (both signed with the
session secret). htmx sends the header on every request (static/app.js copies the cookie).
Requests without a session cookie carry no ambient credential (API clients use Bearer
tokens, webhooks are signed), so they are not checked — except the sign-in form, which has no
session yet and is checked by `login_token_ok` to stop login CSRF.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from itsdangerous import BadSignature
from itsdangerous.url_safe import URLSafeSerializer
from starlette_csrf import CSRFMiddleware

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"


def install(app: FastAPI, secret: str, *, secure: bool) -> None:
    app.add_middleware(
        CSRFMiddleware,
        secret=secret,
        sensitive_cookies={SESSION_COOKIE},
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=secure,
        cookie_samesite="lax",
    )


def login_token_ok(request: Request, secret: str) -> bool:
    """The double-submit check the middleware does, for a request without a session."""
    cookie = request.cookies.get(CSRF_COOKIE)
    header = request.headers.get(CSRF_HEADER)
    if not cookie or not header:
        return False
    serializer = URLSafeSerializer(secret, "csrftoken")
    try:
        return secrets.compare_digest(str(serializer.loads(cookie)), str(serializer.loads(header)))
    except BadSignature:
        return False
