"""Running the outreach graph: start a thread per candidate, resume a message's thread with a
decision. A resume first checks that the thread exists and waits at an interrupt —
`Command(resume=…)` on an unknown thread would silently start a new run."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from agent.outreach.candidates import Candidate
from agent.outreach.graph import Context, input_for
from store.outreach import OutreachError, get_message


def thread_config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def start(app: Any, candidate: Candidate, *, as_of: str, context: Context) -> dict[str, Any]:
    """Run eligibility → draft → policy up to the approval interrupt (or the end). A thread
    that already exists is left alone (new input on a paused thread would abandon its
    interrupt): its current values come back with `"existing": True`."""
    state = input_for(candidate, as_of)
    config = thread_config(state["key"])
    snapshot = app.get_state(config)
    if snapshot.values:
        return {**snapshot.values, "existing": True}
    # durability "exit": one checkpoint write when the run pauses at the interrupt (or ends)
    # instead of one per step; drafting is idempotent by key, so a crash mid-way re-drafts.
    result: dict[str, Any] = app.invoke(state, config, context=context, durability="exit")
    return result


def pending_thread(app: Any, message_id: int, context: Context) -> str:
    """The message's thread id, when that thread waits for a decision; else `OutreachError`."""
    row = get_message(context.engine, message_id)
    thread_id = row["thread_id"]
    if not thread_id:
        raise OutreachError(f"message {message_id} was not drafted by the outreach graph")
    snapshot = app.get_state(thread_config(thread_id))
    if not snapshot.interrupts:
        raise OutreachError(f"message {message_id} is {row['state']}; no decision is pending")
    return str(thread_id)


def resume(
    app: Any, message_id: int, decision: dict[str, Any], *, context: Context
) -> dict[str, Any]:
    """Resume the message's thread with one HITL decision (`{"type": "approve"}`, …)."""
    thread_id = pending_thread(app, message_id, context)
    result: dict[str, Any] = app.invoke(
        Command(resume={"decisions": [decision]}), thread_config(thread_id), context=context
    )
    return result
