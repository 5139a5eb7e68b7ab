"""The graph's seams: a typed run context, and a builder the caller compiles."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine

from agent.briefing.context import Context
from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import build_graph, build_graph_builder
from agent.briefing.state import BriefingState
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store


def test_the_briefing_compiles_without_a_checkpointer() -> None:
    assert build_graph_builder().context_schema is Context
    assert build_graph().checkpointer is None


def test_a_caller_may_compile_the_builder_with_a_checkpointer(engine: Engine) -> None:
    seed_store(engine)
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    state: BriefingState = {
        "organization_id": 1,
        "location_id": 2,
        "for_date": DAY,
        "writer": "template",
        "deliver": False,
    }
    context = Context(engine=engine, gatherer=StaticGatherer(sample_gathered()))
    config: RunnableConfig = {"configurable": {"thread_id": "t1"}}
    final = graph.invoke(state, config, context=context)
    assert final["briefing_id"] == 1
    # The checkpoint holds the state; the context (engine, gatherer) is not part of it.
    saved = graph.get_state(config).values
    assert saved["briefing_id"] == 1
    assert not any(isinstance(value, Engine | StaticGatherer) for value in saved.values())
