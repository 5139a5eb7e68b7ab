"""Helpers shared by the CLI command modules: settings, engine, output."""

from __future__ import annotations

from sqlalchemy import Engine

from clarity.settings import Settings, get_settings
from store.db import make_engine
from store.migrate import upgrade


def settings() -> Settings:
    return get_settings()


def open_engine(current: Settings | None = None, *, migrate: bool = True) -> Engine:
    """The engine for the configured database, upgraded to the latest schema by default."""
    current = current or settings()
    engine = make_engine(current.database_url)
    if migrate:
        upgrade(engine)
    return engine


def dollars(cents: int | float | None) -> str:
    """`$12,345` for whole-dollar amounts (cents are never shown in summaries)."""
    if cents is None:
        return "—"
    return f"${cents / 100:,.0f}"
