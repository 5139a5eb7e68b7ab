"""The daily briefing graph (LangGraph):

    gather → rank → write ⇄ verify → render → persist → deliver

- gather: tools for the scope and day → facts, finding candidates, at-risk patients, series.
- rank: at most five points by dollars × novelty, one idea each, plus the call list.
- write: the LLM writer when asked for and configured, else the template writer.
- verify: every number/date/name ↔ a fact. An LLM draft that fails (or a call that returns
  garbage) gets one retry with the errors fed back; a second failure, a timeout or a model error
  falls back to the template writer. The attempts and reasons are stored with the briefing.
- render: Markdown, HTML e-mail with PNG charts, plain text, Slack blocks (pseudonymous).
- persist: the `Briefing` row for scope + day (re-running updates the same row, so its
  deliveries are not repeated), with names resolved in the stored Markdown/HTML.
- deliver (when asked): to every subscription of the scope, through `channels.delivery`.

Persist comes before deliver because each `BriefingDelivery` row references the stored
briefing; that is what makes "never twice to the same recipient" and retries possible.

Engine, model, channels and gatherer come in the run's `Context` (`agent.briefing.context`),
typed and never checkpointed; nothing is created at import time. The state holds ids, facts and
pseudonymous text only. `build_graph_builder()` is the uncompiled graph, for callers that choose
a checkpointer; the briefing itself runs without one (a run is short and idempotent).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Literal, cast

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine
from sqlmodel import Session

from agent.briefing.context import DEFAULT_APP_BASE_URL, Context
from agent.briefing.gather import Gatherer
from agent.briefing.news import mark, news_facts, previous_reported
from agent.briefing.persist import upsert_briefing
from agent.briefing.rank import rank
from agent.briefing.render import (
    Rendered,
    html_with_data_uris,
    render_briefing,
    resolve_identities,
)
from agent.briefing.state import (
    Attempt,
    BriefingState,
    Gathered,
    Outline,
    WriterName,
    WrittenBriefing,
)
from agent.briefing.subscriptions import targets_for
from agent.briefing.verify import verify_briefing
from agent.briefing.writers.llm import PROMPT_NAME, PROMPT_VERSION, write_llm
from agent.briefing.writers.template import write_template
from agent.llm_log import set_llm_outcome
from agent.model import model_name
from channels.base import Channel, InlineImage, OutgoingMessage
from channels.delivery import (
    DeliveryOutcome,
    Target,
    deliver,
    retry_failed_deliveries,
)
from store.models import Briefing

log = logging.getLogger(__name__)

MAX_LLM_ATTEMPTS = 2
NOT_CHECKED = "footer (tool-defined formulas and sources, not writer text)"


@dataclass(frozen=True)
class BriefingResult:
    briefing_id: int
    written: WrittenBriefing
    outline: Outline
    gathered: Gathered
    rendered: Rendered
    verification: dict[str, Any]
    deliveries: list[DeliveryOutcome]


def _scope(state: BriefingState) -> str:
    location_id = state.get("location_id")
    return f"location:{location_id}" if location_id else f"org:{state['organization_id']}"


# --------------------------------------------------------------------------- nodes


def gather_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    context = runtime.context
    gathered = context.gatherer(
        context.engine,
        organization_id=state["organization_id"],
        location_id=state.get("location_id"),
        as_of=state["for_date"],
    )
    return {"gathered": gathered, "attempts": [], "llm_attempts": 0, "feedback": []}


def rank_with_news(engine: Engine, gathered: Gathered) -> tuple[Outline, Gathered]:
    """`rank` after marking each candidate's news against the scope's stored briefings (with
    the dates and dollars it cites from them added as facts)."""
    reported = previous_reported(engine, gathered.scope, gathered.for_date)
    candidates = mark(gathered.candidates, reported, gathered.for_date)
    facts = gathered.facts.model_copy(deep=True)
    facts.extend(news_facts(candidates, gathered.scope))
    return rank(gathered.model_copy(update={"candidates": candidates, "facts": facts}))


def rank_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    outline, gathered = rank_with_news(runtime.context.engine, state["gathered"])
    return {"outline": outline, "gathered": gathered}


def _use_llm(state: BriefingState, context: Context) -> bool:
    return (
        state.get("writer") == "llm"
        and context.model is not None
        and not state.get("use_template", False)
        and state.get("llm_attempts", 0) < MAX_LLM_ATTEMPTS
    )


def write_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    context = runtime.context
    outline, gathered = state["outline"], state["gathered"]
    if context.model is None or not _use_llm(state, context):
        return {
            "draft": write_template(outline, gathered),
            "draft_writer": "template",
            "draft_outcome": "ok",
            "draft_error": None,
            "draft_llm_call_id": None,
        }
    result = write_llm(
        context.model,
        outline,
        gathered,
        engine=context.engine,
        feedback=state.get("feedback") or [],
    )
    return {
        "draft": result.written,
        "draft_writer": "llm",
        "draft_outcome": result.outcome,
        "draft_error": result.error,
        "draft_llm_call_id": result.llm_call_id,
        "llm_attempts": state.get("llm_attempts", 0) + 1,
    }


def verify_node(
    state: BriefingState, runtime: Runtime[Context]
) -> Command[Literal["write", "render"]]:
    writer: WriterName = state["draft_writer"]
    attempts = list(state.get("attempts") or [])
    draft = state.get("draft")
    call_id = state.get("draft_llm_call_id")
    if draft is None:  # the model call failed or its answer was unusable
        outcome: Any = state.get("draft_outcome", "error")
        reasons = [state.get("draft_error") or outcome]
        attempts.append(
            Attempt(writer=writer, outcome=outcome, reasons=reasons, llm_call_id=call_id)
        )
        retry = outcome == "invalid_output" and state.get("llm_attempts", 0) < MAX_LLM_ATTEMPTS
        return Command(
            goto="write",
            update={"attempts": attempts, "feedback": reasons, "use_template": not retry},
        )
    result = verify_briefing(draft, state["outline"], state["gathered"])
    checked = len(result.matched) + len(result.reasons)
    if result.passed or writer == "template":
        attempts.append(
            Attempt(
                writer=writer,
                outcome="passed" if result.passed else "verification_failed",
                reasons=result.reasons,
                checked=checked,
                llm_call_id=call_id,
            )
        )
        return Command(goto="render", update={"attempts": attempts, "written": draft})
    if call_id is not None:
        set_llm_outcome(
            runtime.context.engine, call_id, "verification_failed", "; ".join(result.reasons)
        )
    attempts.append(
        Attempt(
            writer=writer,
            outcome="verification_failed",
            reasons=result.reasons,
            checked=checked,
            llm_call_id=call_id,
        )
    )
    retry = state.get("llm_attempts", 0) < MAX_LLM_ATTEMPTS
    return Command(
        goto="write",
        update={"attempts": attempts, "feedback": result.reasons, "use_template": not retry},
    )


def verification_record(state: BriefingState) -> dict[str, Any]:
    """What is stored in `Briefing.verification` and shown with the briefing."""
    attempts: list[Attempt] = list(state.get("attempts") or [])
    final = attempts[-1] if attempts else None
    requested = state.get("writer", "template")
    fallback = requested == "llm" and final is not None and final.writer == "template"
    fallback_reason = None
    if fallback:
        llm_attempts = [a for a in attempts if a.writer == "llm"]
        fallback_reason = (
            "; ".join(f"{a.outcome}: {' | '.join(a.reasons)}" for a in llm_attempts)
            if llm_attempts
            else "no model configured"
        )
    return {
        "passed": bool(final and final.outcome == "passed"),
        "writer": final.writer if final else "template",
        "requested_writer": requested,
        "fallback": fallback,
        "fallback_reason": fallback_reason,
        "checked": final.checked if final else 0,
        "reasons": list(final.reasons) if final else [],
        "attempts": [a.model_dump() for a in attempts],
        "not_checked": NOT_CHECKED,
    }


def render_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    rendered = render_briefing(
        state["written"],
        state["outline"],
        state["gathered"],
        verification=verification_record(state),
        app_base_url=runtime.context.app_base_url,
    )
    return {"rendered": rendered}


def persist_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    context = runtime.context
    engine = context.engine
    now = context.now or datetime.now(UTC)
    gathered, written, rendered = state["gathered"], state["written"], state["rendered"]
    verification = verification_record(state)
    used_llm = verification["writer"] == "llm" or state.get("writer") == "llm"
    model = context.model
    values: dict[str, Any] = {
        "organization_id": gathered.organization_id,
        "location_id": gathered.location_id,
        "scope": gathered.scope,
        "for_date": gathered.for_date,
        "headline": written.headline,
        "text_md": resolve_identities(engine, rendered.markdown, markdown=True),
        "html": resolve_identities(
            engine, html_with_data_uris(rendered.html, rendered.charts), html=True
        ),
        "writer": verification["writer"],
        "prompt_name": PROMPT_NAME if used_llm and model is not None else None,
        "prompt_version": PROMPT_VERSION if used_llm and model is not None else None,
        "model": model_name(model) if used_llm and model is not None else None,
        "verified": verification["passed"],
        "verification": verification,
        "facts": {
            "gathered": gathered.model_dump(mode="json"),
            "outline": state["outline"].model_dump(mode="json"),
            "written": written.model_dump(mode="json"),
        },
        "created_at": now,
    }
    briefing_id = upsert_briefing(engine, values)
    return {"briefing_id": int(briefing_id)}


def outgoing(engine: Engine, briefing_id: int, rendered: Rendered) -> OutgoingMessage:
    """The message to send: names resolved in e-mail text/HTML, pseudonyms kept in Slack."""
    return OutgoingMessage(
        key=f"briefing-{briefing_id}",
        subject=rendered.subject,
        text=resolve_identities(engine, rendered.text),
        html=resolve_identities(engine, rendered.html, html=True),
        slack_text=rendered.slack_text,
        slack_blocks=tuple(rendered.slack_blocks),
        images=tuple(
            InlineImage(cid=c.cid, png=c.png, filename=f"{c.cid.split('@')[0]}.png")
            for c in rendered.charts
        ),
    )


def deliver_node(state: BriefingState, runtime: Runtime[Context]) -> dict[str, Any]:
    context = runtime.context
    engine = context.engine
    if not state.get("deliver"):
        return {"deliveries": []}
    targets = context.targets or targets_for(
        engine, state["gathered"].scope, slack_recipient=context.slack_recipient
    )
    briefing_id = state["briefing_id"]
    outcomes = deliver(
        engine,
        briefing_id,
        targets,
        context.channels,
        lambda: outgoing(engine, briefing_id, state["rendered"]),
        now=context.now or datetime.now(UTC),
    )
    return {"deliveries": [o.__dict__ for o in outcomes]}


# --------------------------------------------------------------------------- graph


BriefingGraph = CompiledStateGraph[BriefingState, Context, BriefingState, BriefingState]


def build_graph_builder() -> StateGraph[BriefingState, Context, BriefingState, BriefingState]:
    """The uncompiled briefing graph; `.compile(checkpointer=…)` chooses the persistence."""
    graph = StateGraph(BriefingState, context_schema=Context)
    graph.add_node("gather", gather_node)
    graph.add_node("rank", rank_node)
    graph.add_node("write", write_node)
    graph.add_node("verify", verify_node)
    graph.add_node("render", render_node)
    graph.add_node("persist", persist_node)
    graph.add_node("deliver", deliver_node)
    graph.add_edge(START, "gather")
    graph.add_edge("gather", "rank")
    graph.add_edge("rank", "write")
    graph.add_edge("write", "verify")
    graph.add_edge("render", "persist")
    graph.add_edge("persist", "deliver")
    graph.add_edge("deliver", END)
    return graph


@lru_cache(maxsize=1)
def build_graph() -> BriefingGraph:
    """The compiled briefing graph (no checkpointer: a briefing run is short and idempotent)."""
    return build_graph_builder().compile()


def run_briefing(
    engine: Engine,
    *,
    organization_id: int,
    location_id: int | None,
    for_date: date,
    gatherer: Gatherer,
    writer: WriterName = "template",
    model: BaseChatModel | None = None,
    deliver_now: bool = False,
    channels: Mapping[str, Channel] | None = None,
    targets: list[Target] | None = None,
    slack_recipient: str | None = None,
    app_base_url: str = DEFAULT_APP_BASE_URL,
    now: datetime | None = None,
) -> BriefingResult:
    """Run the graph for one scope and day and return what it stored (and delivered)."""
    state: BriefingState = {
        "organization_id": organization_id,
        "location_id": location_id,
        "for_date": for_date,
        "writer": writer,
        "deliver": deliver_now,
    }
    context = Context(
        engine=engine,
        gatherer=gatherer,
        model=model,
        channels=dict(channels or {}),
        targets=targets,
        slack_recipient=slack_recipient,
        app_base_url=app_base_url,
        now=now,
    )
    # invoke() is typed as returning a plain dict; the output schema is the state.
    final = cast(BriefingState, build_graph().invoke(state, context=context))
    deliveries = [DeliveryOutcome(**d) for d in final.get("deliveries") or []]
    verification = verification_record(final)
    log.info(
        "briefing %s for %s on %s: writer %s, verified %s, fallback %s, %d deliveries",
        final["briefing_id"],
        final["gathered"].scope,
        for_date.isoformat(),
        verification["writer"],
        verification["passed"],
        verification["fallback"],
        len(deliveries),
    )
    return BriefingResult(
        briefing_id=final["briefing_id"],
        written=final["written"],
        outline=final["outline"],
        gathered=final["gathered"],
        rendered=final["rendered"],
        verification=verification,
        deliveries=deliveries,
    )


def rerender_stored(
    engine: Engine, briefing_id: int, *, app_base_url: str
) -> tuple[Briefing, Rendered]:
    """Render a stored briefing again from its stored facts and text (for delivery retries)."""
    with Session(engine) as session:
        briefing = session.get(Briefing, briefing_id)
        if briefing is None:
            raise LookupError(f"no briefing with id {briefing_id}")
        session.expunge(briefing)
    stored = briefing.facts
    rendered = render_briefing(
        WrittenBriefing.model_validate(stored["written"]),
        Outline.model_validate(stored["outline"]),
        Gathered.model_validate(stored["gathered"]),
        verification=briefing.verification,
        app_base_url=app_base_url,
    )
    return briefing, rendered


def retry_deliveries(
    engine: Engine,
    channels: Mapping[str, Channel],
    *,
    app_base_url: str,
    now: datetime | None = None,
) -> list[DeliveryOutcome]:
    """Re-attempt failed briefing deliveries that are due (for the scheduler)."""

    def message_for(briefing_id: int) -> OutgoingMessage:
        _, rendered = rerender_stored(engine, briefing_id, app_base_url=app_base_url)
        return outgoing(engine, briefing_id, rendered)

    return retry_failed_deliveries(engine, channels, message_for, now=now or datetime.now(UTC))
