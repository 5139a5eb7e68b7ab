"""Entry points for callers (CLI, scheduler, API): run a briefing with the configured model,
channels and tools, built from settings at call time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import BriefingResult, run_briefing
from agent.briefing.state import WriterName
from agent.model import make_chat_model
from channels.registry import channels_from_settings
from clarity.settings import Settings
from store.scope import ScopeError, resolve_scope
from tools.targets import Targets


class BriefingInputError(ValueError):
    """The scope or date asked for does not exist in the store; the message says which."""


def brief(
    engine: Engine,
    settings: Settings,
    *,
    location_id: int | None,
    for_date: date | None,
    organization_id: int | None = None,
    writer: WriterName = "template",
    deliver: bool = False,
    footer_notes: Sequence[str] = (),
) -> BriefingResult:
    """Run and store the briefing for a location (or the organization) and day; the scope and
    the default day come from `store.scope.resolve_scope` (the last day with any activity)."""
    try:
        scope = resolve_scope(engine, org=organization_id, location=location_id, as_of=for_date)
    except ScopeError as exc:
        raise BriefingInputError(str(exc)) from exc
    return run_briefing(
        engine,
        organization_id=scope.organization_id,
        location_id=scope.location_id,
        for_date=scope.as_of,
        gatherer=ToolsGatherer(targets=Targets.from_settings(settings), footer_notes=footer_notes),
        writer=writer,
        model=make_chat_model(settings) if writer == "llm" else None,
        deliver_now=deliver,
        channels=channels_from_settings(settings) if deliver else {},
        slack_recipient=settings.slack_channel,
        app_base_url=settings.app_base_url,
    )
