"""`clarity brief`: write (and optionally deliver) the daily briefing for a scope and day.

The scope and day are checked with `store.scope.resolve_scope` before anything runs: an unknown
location, a store with several organizations and no `--location`, or a `--date` after the last
day with data exits 2 and stores nothing. The briefing graph (LangGraph, matplotlib) loads only
when a briefing is written.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from clarity.cli_common import fail, open_engine, settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from agent.briefing.graph import BriefingResult

_status = Console(stderr=True)


class Writer(StrEnum):
    template = "template"
    llm = "llm"


class Format(StrEnum):
    md = "md"
    html = "html"
    slack = "slack"


def render_output(engine: Engine, result: BriefingResult, fmt: Format) -> str:
    """The briefing in the asked format; names resolved from the store except in Slack."""
    from agent.briefing.render import html_with_data_uris, resolve_identities

    rendered = result.rendered
    if fmt is Format.html:
        return resolve_identities(
            engine, html_with_data_uris(rendered.html, rendered.charts), html=True
        )
    if fmt is Format.slack:
        return json.dumps(
            {"text": rendered.slack_text, "blocks": rendered.slack_blocks},
            indent=2,
            ensure_ascii=False,
        )
    return resolve_identities(engine, rendered.markdown, markdown=True)


def summary_line(result: BriefingResult) -> str:
    verification = result.verification
    parts = [
        f"briefing #{result.briefing_id} stored",
        f"writer {verification['writer']}",
        "verified" if verification["passed"] else "NOT verified",
    ]
    if verification["fallback"]:
        parts.append(f"fell back to the template ({verification['fallback_reason']})")
    for delivery in result.deliveries:
        note = f"{delivery.channel} → {delivery.recipient}: {delivery.status}"
        if delivery.error:
            note += f" ({delivery.error}; next attempt {delivery.next_attempt_at})"
        parts.append(note)
    return " · ".join(parts)


def brief(
    location: int | None = typer.Option(None, "--location", help="Location id (default: org)."),
    org: bool = typer.Option(False, "--org", help="The whole organization (portfolio roll-up)."),
    day: str | None = typer.Option(
        None, "--date", help="Day the briefing covers (YYYY-MM-DD; default: last day with data)."
    ),
    writer: Writer = typer.Option(Writer.template, "--writer", help="template (default) or llm."),
    deliver: bool = typer.Option(
        False, "--deliver", help="Deliver to the scope's subscribers (outbox by default)."
    ),
    fmt: Format = typer.Option(Format.md, "--format", help="Print as md, html or slack JSON."),
) -> None:
    """Write the daily briefing for a location or the organization and print it."""
    if org and location is not None:
        raise typer.BadParameter("pass either --location or --org, not both")
    try:
        for_date = date.fromisoformat(day) if day else None
    except ValueError:
        raise typer.BadParameter(f"--date must be YYYY-MM-DD, got {day!r}") from None
    current = settings()
    if writer is Writer.llm and not current.llm_configured:
        _status.print("[yellow]no model configured (CLARITY_LLM_MODEL): using the template[/]")
    engine = open_engine(current)
    from store.scope import ScopeError, SeveralOrganizationsError, resolve_scope

    try:
        scope = resolve_scope(engine, location=location, as_of=for_date)
    except SeveralOrganizationsError as exc:
        listed = ", ".join(f"{oid} ({name})" for oid, name in exc.organizations)
        fail(
            f"the store holds {len(exc.organizations)} organizations: {listed}; pass --location "
            "(an organization-wide briefing needs a store with one organization for now)"
        )
    except ScopeError as exc:
        fail(str(exc))
    from agent.briefing.runner import BriefingInputError
    from agent.briefing.runner import brief as run_brief

    try:
        result = run_brief(
            engine,
            current,
            location_id=location,
            organization_id=scope.organization_id,
            for_date=scope.as_of,
            writer=writer.value,
            deliver=deliver,
        )
    except (BriefingInputError, LookupError) as exc:
        _status.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    print(render_output(engine, result, fmt))
    _status.print(summary_line(result), highlight=False, soft_wrap=True)
