"""Helpers shared by the CLI command modules: settings, engine, errors, the store context.

Imported by every command module when `clarity` starts, so it imports only the standard
library, Typer and Rich at module level; the store (SQLModel, Alembic) loads on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from clarity import literal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clarity.settings import Settings

errors = Console(stderr=True)


def settings() -> Settings:
    from clarity.settings import get_settings

    return get_settings()


def open_engine(current: Settings | None = None, *, migrate: bool = True) -> Engine:
    """The engine for the configured database, upgraded to the latest schema by default.

    A database that cannot be reached raises `store.db.DatabaseUnreachableError` (a
    `SettingsError`: one line naming host and port)."""
    from store.db import ensure_reachable, make_engine
    from store.migrate import upgrade

    current = current or settings()
    engine = make_engine(current.database_url)
    ensure_reachable(engine)
    if migrate:
        upgrade(engine)
    return engine


def fail(message: str, code: int = 2) -> NoReturn:
    """One red line on stderr and exit `code` (2: the user's input or data is the problem)."""
    errors.print(f"[bold red]error:[/] {literal.markup(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_day(text: str | None, option: str) -> date | None:
    """`YYYY-MM-DD` given to `option`, or None when it was not given."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be YYYY-MM-DD, got {text!r}")


@dataclass(frozen=True)
class StoreContext:
    """What most read commands start from: the store, the practice, the location asked for
    (None: the whole organization) and the day they look at."""

    engine: Engine
    organization_id: int
    location_id: int | None
    location_ids: tuple[int, ...]
    as_of: date
    last_data_day: date


def store_context(
    *,
    org: int | None = None,
    location: int | None = None,
    as_of: str | None = None,
    allow_after_last_day: bool = False,
) -> StoreContext:
    """Open the store and resolve the scope with `store.scope.resolve_scope`: `--org` (needed
    when the store holds several organizations), `--location` (must exist and belong), `--as-of`
    (default: the last day with any activity; a later day is refused unless
    `allow_after_last_day`). Any problem exits 2 with one line."""
    from store.scope import ScopeError, resolve_scope

    chosen_day = parse_day(as_of, "--as-of")
    engine = open_engine()
    try:
        scope = resolve_scope(
            engine,
            org=org,
            location=location,
            as_of=chosen_day,
            allow_after_last_day=allow_after_last_day,
        )
    except ScopeError as exc:
        fail(str(exc))
    return StoreContext(
        engine=engine,
        organization_id=scope.organization_id,
        location_id=scope.location_id,
        location_ids=scope.allowed_location_ids,
        as_of=scope.as_of,
        last_data_day=scope.last_data_day,
    )


@contextmanager
def scope_errors() -> Iterator[None]:
    """A scope that does not exist (unknown location, another organization's) → `fail`."""
    from store.scope import ScopeError

    try:
        yield
    except ScopeError as exc:
        fail(str(exc))


def dollars(cents: int | float | None) -> str:
    """`$12,345` for whole-dollar amounts (cents are never shown in summaries)."""
    if cents is None:
        return "—"
    return f"${cents / 100:,.0f}"
