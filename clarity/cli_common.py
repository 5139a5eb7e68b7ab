"""Helpers shared by the CLI command modules: settings, engine, errors, the store context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine, func, select

from clarity.settings import Settings, get_settings
from store import tables as t
from store.db import make_engine
from store.migrate import upgrade
from tools.kpi_base import ScopeError

errors = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


def open_engine(current: Settings | None = None, *, migrate: bool = True) -> Engine:
    """The engine for the configured database, upgraded to the latest schema by default."""
    current = current or settings()
    engine = make_engine(current.database_url)
    if migrate:
        upgrade(engine)
    return engine


def fail(message: str, code: int = 2) -> NoReturn:
    """One red line on stderr and exit `code` (2: the user's input or data is the problem)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
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
    """What most read commands start from: the store, the practice and the day they look at."""

    engine: Engine
    organization_id: int
    as_of: date


def store_context(*, org: int | None = None, as_of: str | None = None) -> StoreContext:
    """Open the store; the organization is `--org` or the first one, the as-of day is
    `--as-of` or the last day with sales. An empty store fails with a hint."""
    engine = open_engine()
    with engine.connect() as conn:
        first_org = conn.execute(select(func.min(t.organization.c.id))).scalar()
        last_sale = conn.execute(select(func.max(t.sale.c.local_date))).scalar()
    chosen_day = parse_day(as_of, "--as-of")
    if first_org is None or (chosen_day is None and last_sale is None):
        fail("the store holds no practice data yet; run `clarity demo build` or import data")
    return StoreContext(
        engine=engine,
        organization_id=org if org is not None else int(first_org),
        as_of=chosen_day or _as_date(last_sale),
    )


def _as_date(value: object) -> date:
    # func.max keeps the column's type, but a driver may still hand back ISO text.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@contextmanager
def scope_errors() -> Iterator[None]:
    """A scope that does not exist (unknown location, another organization's) → `fail`."""
    try:
        yield
    except ScopeError as exc:
        fail(str(exc))


def dollars(cents: int | float | None) -> str:
    """`$12,345` for whole-dollar amounts (cents are never shown in summaries)."""
    if cents is None:
        return "—"
    return f"${cents / 100:,.0f}"
