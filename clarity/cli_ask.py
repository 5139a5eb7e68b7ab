"""`clarity ask "question"`: ask the practice's numbers a question from the terminal.

The scope is the organization (`--org`, or the store's only one) and, with `--location`, only
that location: a question about another one is refused. With a model configured (CLARITY_LLM_*)
the chat agent answers, verified against the tools' facts; otherwise — or when its answer fails
verification — the intent router answers from a template. The terminal user is the operator, so
patients' names and phones are shown (`--pseudonyms` keeps P-123). The agent loads only when a
question is asked.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console

from clarity.cli_common import settings, store_context

console = Console()


def ask(
    question: str = typer.Argument(..., help="The question, in quotes."),
    location: int | None = typer.Option(
        None, "--location", help="Only this location (default: every location)."
    ),
    org: int | None = typer.Option(
        None, "--org", help="Organization id (needed when the store holds several)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print JSON: answer, facts (ids and values), tools called."
    ),
    no_llm: bool = typer.Option(
        False, "--no-llm", help="Answer with the router even if a model is configured."
    ),
    pseudonyms: bool = typer.Option(
        False, "--pseudonyms", help="Show patients as P-123, without names or phones."
    ),
) -> None:
    """Ask a question about the practice's numbers; every figure cites its fact."""
    from langgraph.checkpoint.memory import InMemorySaver

    from agent.chat.context import Context
    from agent.chat.graph import ask as ask_graph
    from agent.chat.graph import build_graph_builder
    from agent.model import make_chat_model

    ctx = store_context(org=org, location=location)
    model = None if no_llm else make_chat_model(settings())
    context = Context(
        engine=ctx.engine,
        organization_id=ctx.organization_id,
        allowed_location_ids=ctx.location_ids,
        location_id=location,
        role="evaluator" if pseudonyms else "owner",
        model=model,
    )
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    answer = ask_graph(graph, context, question, thread_id="cli")
    if as_json:
        print(json.dumps(answer.as_json(), indent=2, default=str))
        return
    console.print(answer.text, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
