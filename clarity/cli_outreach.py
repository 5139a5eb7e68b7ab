"""`clarity outreach …`: draft messages to patients, review the queue, decide, send once.

    clarity outreach draft [--location ID] [--purpose P] [--limit N] [--json]
    clarity outreach queue [--state S] [--json]
    clarity outreach approve ID --by EMAIL
    clarity outreach edit ID --text TEXT --by EMAIL
    clarity outreach reject ID --reason R --by EMAIL
    clarity outreach send-due [--json]
    clarity outreach reconcile [--json]

Drafting runs the outreach graph up to its approval interrupt (one thread per message; the
checkpointer is SQLite beside the store, or PostgreSQL when the store is). Decisions resume
that thread; the queue is read from the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from clarity.cli_common import fail, open_engine, settings, store_context
from clarity.literal import terminal

app = typer.Typer(help="Outreach: draft, approve / edit / reject, send once.", no_args_is_help=True)
_console = Console()
JSON = typer.Option(False, "--json", help="Print JSON rows instead of a table.")
BY = typer.Option(..., "--by", help="E-mail of the person deciding (audited).")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def row_json(row: dict[str, Any]) -> dict[str, Any]:
    """The `--json` row: id, patient (pseudonym), purpose, channel, state, body, segments,
    policy (passed, violations), scheduled_for — plus the reason in numbers and the error."""
    policy = row.get("policy") or {}
    return {
        "id": row["id"],
        "patient": f"P-{row['patient_id']}",  # store.models.pseudonym, without loading it
        "purpose": row["purpose"],
        "channel": row["channel"],
        "state": row["state"],
        "body": row["body"],
        "segments": row.get("segments"),
        "policy": {
            "passed": bool(policy.get("passed")),
            "violations": policy.get("violations", []),
        },
        "scheduled_for": _iso(row.get("scheduled_for")),
        "reason": (row.get("reasons") or {}).get("reason"),
        "error": row.get("error"),
    }


def _print_rows(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps([row_json(r) for r in rows], indent=2, ensure_ascii=False))
        return
    table = Table(title=title)
    for column in ("id", "patient", "purpose", "channel", "state", "policy", "reason", "body"):
        table.add_column(column)
    for row in rows:
        data = row_json(row)
        policy = data["policy"]
        verdict = "ok" if policy["passed"] else ", ".join(v["rule"] for v in policy["violations"])
        table.add_row(
            str(data["id"]),
            terminal(data["patient"]),
            data["purpose"],
            data["channel"],
            data["state"],
            verdict,
            terminal(data["reason"] or ""),
            terminal(data["body"]),
        )
    _console.print(table)


@contextmanager
def _graph(*, send_now: bool = True) -> Iterator[tuple[Any, Any]]:
    """The compiled outreach graph and its context, from settings."""
    from agent.model import make_chat_model
    from agent.outreach.checkpoint import checkpoint_path, open_checkpointer
    from agent.outreach.graph import Context, build_outreach_graph
    from agent.outreach.writers import llm_recorder
    from channels.registry import message_channels_from_settings

    current = settings()
    engine = open_engine(current)
    model = make_chat_model(current)

    context = Context(
        engine=engine,
        channels=message_channels_from_settings(current),
        base_url=current.app_base_url,
        model=model,
        send_now=send_now,
        llm_record=llm_recorder(engine, model) if model is not None else None,
    )
    with open_checkpointer(
        current.database_url, sqlite_path=checkpoint_path(current.var_dir)
    ) as saver:
        yield build_outreach_graph().compile(checkpointer=saver), context


def draft_candidates(found: list[Any], *, as_of: str) -> tuple[list[int], int]:
    """Run the outreach graph for each candidate up to its approval interrupt (`runner.start`);
    returns the ids of the messages drafted now and how many candidates were not eligible.
    Candidates drafted before (their thread exists) count as neither. Also `clarity demo`."""
    from agent.outreach.runner import start

    ids: list[int] = []
    skipped = 0
    with _graph(send_now=False) as (graph, context):
        for candidate in found:
            result = start(graph, candidate, as_of=as_of, context=context)
            if result.get("existing"):
                continue
            if result.get("message_id"):
                ids.append(int(result["message_id"]))
            else:
                skipped += 1
    return ids, skipped


@app.command("draft")
def draft(
    location: int | None = typer.Option(None, "--location", help="Location id."),
    purpose: list[str] = typer.Option(
        ["win_back", "next_due"], "--purpose", help="win_back, next_due, post_treatment, …"
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N candidates."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day to draft for (YYYY-MM-DD)."),
    as_json: bool = JSON,
) -> None:
    """Draft messages for due patients and queue them for approval."""
    from agent.outreach.candidates import candidates
    from agent.outreach.purposes import PURPOSES
    from store.outreach import messages

    unknown = [p for p in purpose if p not in PURPOSES]
    if unknown:
        fail(f"--purpose {unknown[0]!r} is not one of {', '.join(PURPOSES)}")
    store = store_context(as_of=as_of)
    found = candidates(
        store.engine,
        purpose,
        as_of=store.as_of,
        location_id=location,
        organization_id=store.organization_id,
        limit=limit,
    )
    ids, skipped = draft_candidates(found, as_of=store.as_of.isoformat())
    rows = messages(store.engine, ids=ids)
    if not as_json:
        _console.print(
            f"{len(found)} candidates, {len(ids)} drafted, {skipped} not eligible "
            "(consent, opt-out, recent contact)",
            soft_wrap=True,
        )
    _print_rows(rows, as_json, "Drafted")


@app.command("queue")
def queue(
    state: str = typer.Option("pending_approval", "--state", help="Message state, or 'all'."),
    as_json: bool = JSON,
) -> None:
    """The approval queue (or messages in any state), from the database."""
    from store.models import MessageState
    from store.outreach import messages

    states = None if state == "all" else [state]
    if states and state not in {s.value for s in MessageState}:
        fail(f"--state {state!r} is not a message state")
    _print_rows(messages(open_engine(), states=states), as_json, f"Outreach ({state})")


def _decide(message_id: int, decision: dict[str, Any]) -> dict[str, Any]:
    """Resume the message's graph thread with the decision; returns the stored row."""
    from agent.outreach.runner import resume
    from store.outreach import OutreachError, get_message

    with _graph() as (graph, context):
        try:
            result = resume(graph, message_id, decision, context=context)
        except OutreachError as exc:
            fail(str(exc))
        row = get_message(context.engine, message_id)
    if result.get("error"):
        fail(str(result["error"]))
    return row


@app.command("approve")
def approve(message_id: int = typer.Argument(..., metavar="ID"), by: str = BY) -> None:
    """Approve a pending message; it is sent now if the recipient's window is open."""
    row = _decide(message_id, {"type": "approve", "by": by})
    _console.print(f"message {message_id}: {row['state']}", highlight=False)


@app.command("edit")
def edit(
    message_id: int = typer.Argument(..., metavar="ID"),
    text: str = typer.Option(..., "--text", help="New text; placeholders like {first_name} ok."),
    by: str = BY,
) -> None:
    """Replace the text (re-checked by the policy) and approve it when it passes."""
    from agent.outreach.graph import apply_edit
    from agent.outreach.runner import pending_thread
    from store.outreach import OutreachError

    if not text.strip():
        fail("--text is empty")
    with _graph() as (graph, context):
        try:
            pending_thread(graph, message_id, context)
            result = apply_edit(context, message_id, text, provider_id=None, by=by)
        except OutreachError as exc:
            fail(str(exc))
    if not result["passed"]:
        rules = "; ".join(v["detail"] for v in result["violations"])
        fail(f"message {message_id} edited but not approved — policy: {rules}")
    edited = {"type": "edit", "by": by, "edited_action": {"name": "send_outreach", "args": {}}}
    row = _decide(message_id, edited)
    _console.print(f"message {message_id}: edited, {row['state']}", highlight=False)


@app.command("reject")
def reject(
    message_id: int = typer.Argument(..., metavar="ID"),
    reason: str = typer.Option(..., "--reason", help="Why (audited)."),
    by: str = BY,
) -> None:
    """Reject a pending message with a reason; nothing is sent."""
    if not reason.strip():
        fail("--reason is empty")
    row = _decide(message_id, {"type": "reject", "message": reason, "by": by})
    _console.print(f"message {message_id}: {row['state']}", highlight=False)


@app.command("send-due")
def send_due(as_json: bool = JSON) -> None:
    """Send approved messages whose recipient's window is open (each at most once)."""
    from agent.outreach.delivery import send_due as run
    from store.outreach import messages

    with _graph() as (_graph_app, context):
        outcomes = run(context.engine, context.channels, now=_now())
        rows = messages(context.engine, ids=[o.message_id for o in outcomes])
    if not as_json:
        sent = sum(1 for o in outcomes if o.sent_now)
        _console.print(f"{len(outcomes)} due, {sent} sent")
    _print_rows(rows, as_json, "Sent")


@app.command("reconcile")
def reconcile(as_json: bool = JSON) -> None:
    """Settle sends whose outcome was not seen by asking the provider (never resends)."""
    from agent.outreach.delivery import reconcile as run
    from store.outreach import messages

    with _graph() as (_graph_app, context):
        outcomes = run(context.engine, context.channels, now=_now())
        rows = messages(context.engine, ids=[o.message_id for o in outcomes])
    if not as_json:
        _console.print(f"{len(outcomes)} reconciled")
    _print_rows(rows, as_json, "Reconciled")
