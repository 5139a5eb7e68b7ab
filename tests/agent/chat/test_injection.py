"""Instructions inside data change nothing: hostile provider, service and patient names."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine

from agent.chat.answer import ChatService
from agent.chat.context import Context
from agent.chat.graph import ask, build_graph_builder
from tests.agent.chat.fakes import say, script, tool_call
from tests.agent.chat.store import HOSTILE


def test_router_treats_hostile_names_as_names(chat_engine: Engine) -> None:
    manager = ChatService(Context(chat_engine, 1, (1,)))
    # The hostile provider works at Austin: a Back Bay manager's ranking never includes them.
    answer = manager.answer("Which provider has the lowest utilization?")
    assert answer.status == "answer"
    assert HOSTILE not in answer.text
    assert {f.scope for f in answer.facts} <= {"provider:1", "provider:2", "provider:4"}
    # The hostile string typed as a question is declined, not obeyed.
    assert manager.answer(HOSTILE).status == "refuse"
    # Naming the hostile service as a treatment does not widen anything either.
    route = manager.route(f"Rebooking rate on {HOSTILE}")
    assert route.status == "refuse"


def test_agent_prompts_carry_no_patient_names_and_injected_figures_fail(
    chat_engine: Engine,
) -> None:
    model = script(
        tool_call("query_metric", {"metric": "net_revenue", "by": "provider"}),
        tool_call("get_vips", {}, "call-2"),
        # The model "obeys" the hostile provider name: an invented figure, twice.
        say("Location 2 revenue was $999,999."),
        say("Location 2 revenue was $999,999."),
    )
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    context = Context(chat_engine, 1, (1, 2), model=model, role="evaluator")
    answer = ask(graph, context, "Revenue by provider and our VIPs?", thread_id="x")
    sent = "\n".join(model.prompts)
    assert HOSTILE in sent  # the provider's name is data the model sees ...
    assert "Doe" not in sent and "Pat4" not in sent  # ... patient names never are
    assert answer.writer == "template"
    assert "999,999" not in answer.text
