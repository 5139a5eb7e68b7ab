"""`/healthz`: 200 when the database answers and holds the schema, else 503 with one line."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import EngineDep
from store import tables as t

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    reason: str | None = None


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is not usable."}},
)
def healthz(engine: EngineDep) -> JSONResponse:
    """Checks that the database answers and that the schema is there."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = f"database unreachable ({type(getattr(exc, 'orig', None) or exc).__name__})"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    try:
        with engine.connect() as conn:
            conn.execute(select(t.user.c.id).limit(1))
    except SQLAlchemyError:
        reason = "database schema missing; run `clarity db upgrade`"
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok", "reason": None})
