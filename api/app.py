"""The web app factory. Nothing is connected at import time: `create_app` wires settings,
middleware and routers; the engine is opened in the lifespan (or handed in by a test).

    uvicorn: `clarity serve` → `create_app(settings)`
    tests:   `with TestClient(create_app(settings, engine=engine)) as client: ...`
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from api import chat, csrf
from api.cache import PageCache
from api.routes import admin, api_v1, auth, evals, health, pages, queue
from api.security import LoginLimiter, session_secret
from api.templating import STATIC_DIR, render
from clarity.settings import Settings
from store.db import make_engine

SESSION_MAX_AGE = 14 * 24 * 3600
JSON_PREFIXES = ("/api/", "/healthz", "/openapi.json", "/docs")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


async def _http_error(request: Request, exc: Exception) -> Response:
    """JSON errors for the API; for pages an HTML error page, and for 401 the sign-in form
    (which returns to the page asked for)."""
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return await http_exception_handler(request, exc)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return render(request, "login.html", {"next": target, "error": None}, status_code=401)
    return render(
        request,
        "error.html",
        {"status": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
    )


def create_app_from_env() -> FastAPI:
    """uvicorn's factory for `clarity serve --workers N`: each worker process builds its own
    app (and engine) from the environment's settings."""
    from clarity.settings import get_settings

    return create_app(get_settings())


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The Clarity web app for `settings`. `engine` (tests) replaces the one the lifespan
    would open from `settings.database_url`; the app does not dispose an engine it was given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        app.state.engine = engine if engine is not None else make_engine(settings.database_url)
        try:
            yield
        finally:
            if own:
                app.state.engine.dispose()

    secret = session_secret(settings)
    secure = settings.app_base_url.lower().startswith("https://")
    app = FastAPI(
        title="Clarity",
        summary="Practice intelligence for medical-aesthetics practices.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.secret = secret
    app.state.login_limiter = LoginLimiter()
    app.state.page_cache = PageCache()
    # Added first → inner: the session middleware (outer) has decoded the cookie by then.
    csrf.install(app, secret, secure=secure)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=csrf.SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=secure,
    )
    app.add_exception_handler(HTTPException, _http_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(pages.router)
    app.include_router(queue.router)
    app.include_router(api_v1.router)
    app.include_router(chat.router)
    app.include_router(chat.pages)
    app.include_router(evals.router)
    app.include_router(admin.pages)
    app.include_router(admin.api)
    if settings.twilio_auth_token is not None:
        from api.webhooks import webhooks_router

        app.include_router(
            webhooks_router(
                engine,
                auth_token=settings.twilio_auth_token.get_secret_value(),
                public_base_url=settings.app_base_url,
            )
        )
    return app
