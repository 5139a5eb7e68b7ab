"""`clarity brief`: write (and optionally deliver) the daily briefing for a scope and day."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum

import typer
from rich.console import Console
from sqlalchemy import Engine

from agent.briefing.graph import BriefingResult
from agent.briefing.render import html_with_data_uris, resolve_identities
from agent.briefing.runner import BriefingInputError
from agent.briefing.runner import brief as run_brief
from clarity.cli_common import open_engine, settings

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
    return resolve_identities(engine, rendered.markdown)


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
    try:
        result = run_brief(
            engine,
            current,
            location_id=location,
            for_date=for_date,
            writer=writer.value,
            deliver=deliver,
        )
    except (BriefingInputError, LookupError) as exc:
        _status.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    print(render_output(engine, result, fmt))
    _status.print(summary_line(result), highlight=False, soft_wrap=True)
