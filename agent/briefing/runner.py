"""Entry points for callers (CLI, scheduler, API): run a briefing with the configured model,
channels and tools, built from settings at call time."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import BriefingResult, run_briefing
from agent.briefing.state import WriterName
from agent.model import make_chat_model
from channels.registry import channels_from_settings
from clarity.settings import Settings
from store import tables as t


class BriefingInputError(ValueError):
    """The scope or date asked for does not exist in the store; the message says which."""


def last_day_with_data(engine: Engine) -> date:
    """The latest local date with a sale: the default day of a briefing."""
    with engine.connect() as conn:
        day = conn.execute(select(func.max(t.sale.c.local_date))).scalar()
    if day is None:
        raise BriefingInputError("the store holds no sales yet: import data or run `clarity demo`")
    return day if isinstance(day, date) else date.fromisoformat(str(day))


def resolve_scope(engine: Engine, location_id: int | None) -> tuple[int, int | None]:
    """(organization id, location id) for a location, or for the first organization."""
    with engine.connect() as conn:
        if location_id is not None:
            org = conn.execute(
                select(t.location.c.organization_id).where(t.location.c.id == location_id)
            ).scalar()
            if org is None:
                raise BriefingInputError(f"no location with id {location_id}")
            return int(org), location_id
        org = conn.execute(select(func.min(t.organization.c.id))).scalar()
    if org is None:
        raise BriefingInputError("the store holds no organization: run `clarity demo` first")
    return int(org), None


def brief(
    engine: Engine,
    settings: Settings,
    *,
    location_id: int | None,
    for_date: date | None,
    writer: WriterName = "template",
    deliver: bool = False,
) -> BriefingResult:
    """Run and store the briefing for a location (or the organization) and day."""
    organization_id, location_id = resolve_scope(engine, location_id)
    return run_briefing(
        engine,
        organization_id=organization_id,
        location_id=location_id,
        for_date=for_date or last_day_with_data(engine),
        gatherer=ToolsGatherer(),
        writer=writer,
        model=make_chat_model(settings) if writer == "llm" else None,
        deliver_now=deliver,
        channels=channels_from_settings(settings) if deliver else {},
        slack_recipient=settings.slack_channel,
        app_base_url=settings.app_base_url,
    )
