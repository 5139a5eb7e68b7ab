"""Manager chat: the page `GET /chat` and its Server-Sent Events `GET /api/v1/chat/stream?q=…`.

The page (owner and manager, like the stream) asks each question from the browser with an
`EventSource` (api/static/app.js), shows the answer as it streams, then the facts behind every
figure it cites, and keeps the thread: every question of one page visit goes to the same thread
id, so follow-ups have the conversation's memory.

The signed-in user's scope (`api.deps.Scope`: organization, allowed locations, role) becomes the
chat `Context`; nothing in the question can widen it. With a model configured, its tokens
stream first as `draft` events (a `redraft` event starts each new message: a retry after a
failed verification starts over); drafts are unverified and hold pseudonyms only. The answer —
the agent's verified one, else the template answer — then comes as `chunk` events (one line
each; the page replaces the draft with them), one `facts` event (JSON: `facts` with ids and
values, `tools` called, `status`, `writer`) and a `done` event. Patients' names and phones
appear only in the answer, and only for roles that may see them.

Conversation memory: one `InMemorySaver` per app process, keyed by user and thread, so a thread
id never reaches another user's conversation.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select

from api.deps import EngineDep, Scope, SettingsDep, require
from api.roles import Area
from api.templating import render
from store import tables as t

router = APIRouter(
    prefix="/api/v1/chat",
    tags=["chat"],
    responses={
        401: {"description": "Not signed in (no session, no valid Bearer token)."},
        403: {"description": "The user's role may not open this."},
    },
)


pages = APIRouter(include_in_schema=False, dependencies=[require(Area.dashboard)])

#: Example questions the page offers (each answerable by the router alone).
EXAMPLES = (
    "What was our net revenue last month?",
    "Which provider has the lowest rebooking rate?",
    "Which patients are at risk?",
    "Anything unusual lately?",
)


@pages.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request, engine: EngineDep, scope: Scope) -> HTMLResponse:
    """The chat page: a question box over the user's locations, the thread below it."""
    loc = t.location
    with engine.connect() as conn:
        locations = conn.execute(
            select(loc.c.id, loc.c.name)
            .where(loc.c.id.in_(sorted(scope.location_ids) or [-1]))
            .order_by(loc.c.name)
        ).all()
    context = {
        "thread": secrets.token_urlsafe(12),
        "locations": [{"id": int(row.id), "name": str(row.name)} for row in locations],
        "examples": EXAMPLES,
    }
    return render(request, "chat.html", context, user=scope.user)


def _graph(request: Request) -> Any:
    graph = getattr(request.app.state, "chat_graph", None)
    if graph is None:
        from langgraph.checkpoint.memory import InMemorySaver

        from agent.chat.graph import build_graph_builder

        graph = build_graph_builder().compile(checkpointer=InMemorySaver())
        request.app.state.chat_graph = graph
    return graph


def _event(name: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n"


@router.get(
    "/stream",
    dependencies=[require(Area.dashboard)],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The SSE stream."}},
)
def stream(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    scope: Scope,
    q: Annotated[str, Query(min_length=1, max_length=500, description="The question.")],
    thread: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "default",
    location: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> StreamingResponse:
    """Answer one question as an SSE stream (see the module docstring)."""
    from agent.chat.answer import ChatAnswer
    from agent.chat.context import Context
    from agent.chat.graph import stream_ask
    from agent.model import make_chat_model
    from store.scope import ScopeError

    context = Context(
        engine=engine,
        organization_id=scope.organization_id,
        allowed_location_ids=tuple(sorted(scope.location_ids)),
        location_id=location if location in scope.location_ids else None,
        role=str(scope.user.role),
        model=make_chat_model(settings),
    )
    graph = _graph(request)

    def events() -> Iterator[str]:
        if location is not None and location not in scope.location_ids:
            yield _event("chunk", "You don't have access to that location.")
            yield _event("done", "")
            return
        answer: ChatAnswer | None = None
        try:
            for kind, value in stream_ask(
                graph, context, q, thread_id=f"user-{scope.user.id}:{thread}"
            ):
                if isinstance(value, ChatAnswer):
                    answer = value
                else:  # the model's unverified draft, replaced by the answer below
                    yield _event(kind, value)
        except ScopeError as exc:  # e.g. no data yet at the user's locations
            yield _event("chunk", str(exc))
            yield _event("done", "")
            return
        assert answer is not None
        for line in answer.text.split("\n"):
            yield _event("chunk", line)
        payload = answer.as_json()
        yield _event(
            "facts",
            json.dumps({k: payload[k] for k in ("status", "writer", "facts", "tools")}),
        )
        yield _event("done", "")

    return StreamingResponse(events(), media_type="text/event-stream")
