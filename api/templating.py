"""Jinja2 templates of the pages (api/templates; `_*.html` files are partials)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import AuthUser
from api.roles import Area, may_open

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: AuthUser | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page; the layout shows the navigation the user's role may open."""
    nav = {area.value: user is not None and may_open(user.role, area) for area in Area}
    return templates().TemplateResponse(
        request, name, {"user": user, "nav": nav, **context}, status_code=status_code
    )
