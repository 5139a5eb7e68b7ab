"""The outreach graph (LangGraph), one thread per drafted message:

    eligibility → draft → policy → approval (interrupt) ⟲ → schedule → send

- eligibility: consent, opt-out, open messages, frequency cap (`eligibility.decide`); an
  ineligible candidate ends the run with its refusals and nothing is written.
- draft: the LLM writer when a model is in the context, else the template writer; the
  template (placeholders, no PHI) is verified, then filled with the patient's first name,
  provider, practice and booking link and stored as an `OutreachMessage` (insert-once by key).
- policy: checks the filled text; drafted → pending_approval with the result.
- approval: `interrupt()` with a LangChain human-in-the-loop request (`action_requests` +
  `review_configs`); the resume value is `{"decisions": [{"type": "approve" | "edit" |
  "reject", ...}]}`. Nothing before the interrupt writes (the node re-runs on resume); the
  decision is applied through the store's guarded transitions, so a second or concurrent
  resume changes nothing. A blocked approval (policy violations) or an edit that still
  violates the policy loops back for another decision.
- schedule: approved → scheduled at the next opening of the location's send window (its
  stored policy, `location_policy.policy_for`; auto-approval reads it too).
- send: when due and `send_now`, `delivery.send_message` (scheduled → sending is the guard).

The state holds ids, the purpose, the channel and the candidate's facts (numbers); never a
name, phone, e-mail or message body. Engine, channels, model and clock come in the typed
`Context` (`context=` on every invoke and resume). `build_outreach_graph()` returns the
uncompiled builder; the caller compiles it with its checkpointer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from sqlalchemy import Engine

from agent.outreach import practice
from agent.outreach.autonomy import AutoApprovePolicy, allows
from agent.outreach.candidates import Candidate
from agent.outreach.delivery import send_message
from agent.outreach.eligibility import FrequencyCap, decide
from agent.outreach.location_policy import policy_for
from agent.outreach.policy import PolicyConfig, check_message
from agent.outreach.quiet_hours import next_window_opening
from agent.outreach.writers import Draft, fill, write_llm, write_template
from channels.base import Channel
from store.models import pseudonym
from store.outreach import (
    NewDraft,
    OutreachError,
    PolicyBlocked,
    approve,
    edit,
    get_message,
    insert_draft,
    pending_ids,
    reject,
    schedule,
    store_recheck,
    submit_for_approval,
)

ACTION = "send_outreach"
DECIDED = {
    "approved": "approved",
    "scheduled": "approved",
    "sending": "approved",
    "sent": "approved",
    "delivered": "approved",
    "failed": "approved",
    "undelivered": "approved",
    "unknown": "approved",
    "rejected": "rejected",
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """What the nodes need, passed on every invoke/resume; never checkpointed."""

    engine: Engine
    channels: Mapping[str, Channel]
    base_url: str = "http://127.0.0.1:8000"
    model: Any = None  # a LangChain chat model, or None for the template writer
    clock: Callable[[], datetime] = _utc_now
    reviewer: str = "reviewer"
    send_now: bool = True
    cap: FrequencyCap = field(default_factory=FrequencyCap)
    llm_record: Callable[..., None] | None = None
    # The auto-approval default of locations without a stored policy; its kill switch and
    # purposes apply everywhere (`location_policy.policy_for`).
    autonomy: AutoApprovePolicy = field(default_factory=AutoApprovePolicy)


class OutreachState(TypedDict, total=False):
    key: str
    patient_id: int
    location_id: int
    provider_id: int | None
    purpose: str
    facts: list[dict[str, Any]]
    reason: str
    details: dict[str, Any]
    channel: str | None
    refusals: dict[str, list[str]]
    message_id: int | None
    writer: str
    decision: str  # approved, rejected, pending
    error: str | None
    outcome: str  # the message's state when the run stopped


def input_for(candidate: Candidate, as_of: str) -> OutreachState:
    """The graph input for a candidate; `key` is the thread id and the idempotency key."""
    return {
        "key": f"{candidate.key}:{as_of}",
        "patient_id": candidate.patient_id,
        "location_id": candidate.location_id,
        "provider_id": candidate.provider_id,
        "purpose": candidate.purpose,
        "facts": candidate.facts,
        "reason": candidate.reason,
        "details": candidate.details,
    }


def _candidate(state: OutreachState) -> Candidate:
    return Candidate(
        patient_id=state["patient_id"],
        location_id=state["location_id"],
        purpose=state["purpose"],
        facts=state["facts"],
        reason=state.get("reason", ""),
        provider_id=state.get("provider_id"),
        details=state.get("details", {}),
    )


def eligibility_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    facts = practice.contact_facts(ctx.engine, state["patient_id"])
    if facts is None:
        return {"channel": None, "refusals": {"any": ["no_patient"]}, "outcome": "ineligible"}
    history = practice.history(ctx.engine, state["patient_id"], exclude_key=state["key"])
    decision = decide(facts, state["purpose"], history, ctx.clock(), cap=ctx.cap)
    return {
        "channel": decision.channel,
        "refusals": decision.refusals,
        "outcome": "eligible" if decision.eligible else "ineligible",
    }


def _write(ctx: Context, candidate: Candidate, channel: str) -> Draft:
    if ctx.model is not None:
        return write_llm(candidate, channel, ctx.model, record=ctx.llm_record)
    return write_template(candidate, channel)


def draft_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    channel = state["channel"]
    assert channel is not None
    candidate = _candidate(state)
    written = _write(ctx, candidate, channel)
    name, _tz, _org = practice.location_info(ctx.engine, candidate.location_id)
    values = practice.identity_values(
        ctx.engine,
        patient_id=candidate.patient_id,
        provider_id=candidate.provider_id,
        practice_name=name,
        link=practice.booking_url(ctx.base_url, candidate.location_id),
    )
    message_id, _created = insert_draft(
        ctx.engine,
        NewDraft(
            key=state["key"],
            patient_id=candidate.patient_id,
            location_id=candidate.location_id,
            channel=channel,
            purpose=candidate.purpose,
            template=written.template,
            body=fill(written.template, values),
            subject=fill(written.subject, values) if written.subject else None,
            reasons={
                "reason": candidate.reason,
                "facts": candidate.facts,
                "details": candidate.details,
                "writer_notes": list(written.notes),
                "prompt": written.prompt,
                "provider_id": candidate.provider_id,
            },
            writer=written.writer,
            thread_id=state["key"],
            drafted_at=ctx.clock(),
        ),
    )
    return {"message_id": message_id, "writer": written.writer}


def check_row(
    ctx: Context, row: Mapping[str, Any], config: PolicyConfig | None = None
) -> dict[str, Any]:
    """The policy result for a stored message (its filled text), under its location's policy
    (`config`, read for the row's location when not given); an e-mail may name the patient's
    last service when the location allows it."""
    if config is None:
        config = practice.policy_config(ctx.engine, row["location_id"], ctx.base_url)
    named = row["channel"] == "email" and config.allow_service_in_email
    result = check_message(
        row["body"],
        channel=row["channel"],
        purpose=row["purpose"],
        config=config,
        subject=row["subject"],
        last_service=practice.last_service(ctx.engine, row["patient_id"]) if named else None,
    )
    return result.as_dict()


@dataclass(frozen=True)
class Recheck:
    """Drafts of a location checked again after its policy changed: how many were waiting,
    and how many of them the policy now blocks."""

    checked: int
    blocked: int


def recheck_pending(engine: Engine, location_id: int, base_url: str) -> Recheck:
    """Check every draft of the location that waits for approval against the policy now in
    force and store the result, so a draft the new rules forbid cannot be approved (and one
    they now allow can)."""
    ctx = Context(engine=engine, channels={}, base_url=base_url)
    config = practice.policy_config(engine, location_id, base_url)
    checked = blocked = 0
    for message_id in pending_ids(engine, location_id):
        result = check_row(ctx, get_message(engine, message_id), config)
        if store_recheck(engine, message_id, policy=result, segments=result["segments"]):
            checked += 1
            blocked += not result["passed"]
    return Recheck(checked, blocked)


def policy_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    message_id = state["message_id"]
    assert message_id is not None
    row = get_message(ctx.engine, message_id)
    if row["state"] == "drafted":
        result = check_row(ctx, row)
        submit_for_approval(ctx.engine, message_id, policy=result, segments=result["segments"])
    return {"outcome": get_message(ctx.engine, message_id)["state"]}


def approval_request(row: Mapping[str, Any], state: OutreachState) -> dict[str, Any]:
    """The interrupt payload (LangChain HITL shape). Holds the template — placeholders, not
    the filled text — and the policy's rule ids, so the checkpoint carries no PHI."""
    policy = row["policy"] or {}
    rules = [v["rule"] for v in policy.get("violations", [])]
    description = (
        f"{pseudonym(row['patient_id'])} · {row['purpose']} by {row['channel']} · "
        f"{state.get('reason', '')} · policy "
        + ("passed" if policy.get("passed") else "violations: " + ", ".join(rules))
    )
    return {
        "action_requests": [
            {
                "name": ACTION,
                "args": {
                    "message_id": row["id"],
                    "channel": row["channel"],
                    "purpose": row["purpose"],
                    "template": row["template"],
                },
                "description": description,
            }
        ],
        "review_configs": [
            {"action_name": ACTION, "allowed_decisions": ["approve", "edit", "reject"]}
        ],
    }


def _first_decision(response: Any) -> dict[str, Any]:
    decisions = response.get("decisions") if isinstance(response, dict) else None
    if not decisions or not isinstance(decisions[0], dict):
        raise ValueError('resume with {"decisions": [{"type": "approve"|"edit"|"reject"}]}')
    return dict(decisions[0])


def apply_edit(
    ctx: Context, message_id: int, template: str, *, provider_id: int | None, by: str
) -> dict[str, Any]:
    """Fill and re-check an edited template, store it (audited); returns the policy result."""
    row = get_message(ctx.engine, message_id)
    if provider_id is None:
        provider_id = (row["reasons"] or {}).get("provider_id")
    name, _tz, _org = practice.location_info(ctx.engine, row["location_id"])
    values = practice.identity_values(
        ctx.engine,
        patient_id=row["patient_id"],
        provider_id=provider_id,
        practice_name=name,
        link=practice.booking_url(ctx.base_url, row["location_id"]),
    )
    body = fill(template, values)
    result = check_row(ctx, {**row, "body": body})
    edit(
        ctx.engine,
        message_id,
        template=template,
        body=body,
        policy=result,
        segments=result["segments"],
        by=by,
        at=ctx.clock(),
    )
    return result


def approval_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    message_id = state["message_id"]
    assert message_id is not None
    row = get_message(ctx.engine, message_id)
    if row["state"] != "pending_approval":  # decided already (another resume, the CLI)
        return {"decision": DECIDED.get(row["state"], "pending"), "error": None}
    auto = policy_for(ctx.engine, row["location_id"], autonomy=ctx.autonomy).auto_approve
    rule = allows(auto, row, engine=ctx.engine, now=ctx.clock())
    if rule is not None:
        with suppress(OutreachError):  # decided meanwhile: the stored state says how
            approve(ctx.engine, message_id, by="clarity:autonomy", at=ctx.clock(), rule=rule)
        current = get_message(ctx.engine, message_id)["state"]
        return {"decision": DECIDED.get(current, "pending"), "error": None}
    decision = _first_decision(interrupt(approval_request(row, state)))
    by = str(decision.get("by") or ctx.reviewer)
    kind = decision.get("type")
    try:
        if kind == "approve":
            approve(ctx.engine, message_id, by=by, at=ctx.clock())
        elif kind == "reject":
            reason = str(decision.get("message") or decision.get("reason") or "no reason given")
            reject(ctx.engine, message_id, reason=reason, by=by, at=ctx.clock())
        elif kind == "edit":
            args = (decision.get("edited_action") or {}).get("args") or {}
            if "template" in args:
                apply_edit(
                    ctx,
                    message_id,
                    str(args["template"]),
                    provider_id=state.get("provider_id"),
                    by=by,
                )
            approve(ctx.engine, message_id, by=by, at=ctx.clock())
        else:
            return {"decision": "pending", "error": f"unknown decision type {kind!r}"}
    except PolicyBlocked as exc:
        return {"decision": "pending", "error": str(exc)}
    except OutreachError:
        pass  # someone else decided meanwhile; the stored state says what happened
    current = get_message(ctx.engine, message_id)["state"]
    return {"decision": DECIDED.get(current, "pending"), "error": None}


def schedule_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    message_id = state["message_id"]
    assert message_id is not None
    row = get_message(ctx.engine, message_id)
    if row["state"] == "approved":
        policy = policy_for(ctx.engine, row["location_id"])
        at = next_window_opening(ctx.clock(), policy.timezone, *policy.window)
        schedule(ctx.engine, message_id, at=at)
    return {"outcome": get_message(ctx.engine, message_id)["state"]}


def send_node(state: OutreachState, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    message_id = state["message_id"]
    assert message_id is not None
    if ctx.send_now:
        send_message(ctx.engine, message_id, ctx.channels, now=ctx.clock())
    return {"outcome": get_message(ctx.engine, message_id)["state"]}


def _after_eligibility(state: OutreachState) -> str:
    return "draft" if state.get("channel") else END


def _after_approval(state: OutreachState) -> str:
    decision = state.get("decision")
    if decision == "approved":
        return "schedule"
    if decision == "rejected":
        return END
    return "approval"


def build_outreach_graph() -> StateGraph[OutreachState, Context, OutreachState, OutreachState]:
    """The uncompiled graph; compile with a checkpointer (`checkpoint.open_checkpointer`)."""
    graph = StateGraph(OutreachState, context_schema=Context)
    graph.add_node("eligibility", eligibility_node)
    graph.add_node("draft", draft_node)
    graph.add_node("policy", policy_node)
    graph.add_node("approval", approval_node)
    graph.add_node("schedule", schedule_node)
    graph.add_node("send", send_node)
    graph.add_edge(START, "eligibility")
    graph.add_conditional_edges("eligibility", _after_eligibility, ["draft", END])
    graph.add_edge("draft", "policy")
    graph.add_edge("policy", "approval")
    graph.add_conditional_edges("approval", _after_approval, ["schedule", "approval", END])
    graph.add_edge("schedule", "send")
    graph.add_edge("send", END)
    return graph
