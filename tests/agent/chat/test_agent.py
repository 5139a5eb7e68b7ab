"""The agent path with a scripted model (the LLM edge only): tool calls, verification, retry,
template fallback, scope, limits, thread memory."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine

from agent.chat.answer import ChatAnswer
from agent.chat.context import Context
from agent.chat.graph import ask, build_graph_builder, stream_ask
from tests.agent.chat.fakes import say, script, tool_call

# Back Bay, October 2026 (tests/tools/handmade.py): 3 of 5 eligible visits rebooked = 60.0%;
# net revenue = 500 + 450 + 500 + 800 + 500 − 450 + 99 = $2,399.
REBOOK = "rebooking_rate.location-1.2026-10"
REVENUE = "net_revenue.location-1.2026-10"


def run(
    engine: Engine, model: object, question: str, allowed: tuple[int, ...] = (1, 2), **kw: object
) -> tuple[ChatAnswer, object, Context]:
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    context = Context(engine, 1, allowed, model=model, **kw)  # type: ignore[arg-type]
    return ask(graph, context, question, thread_id="t1"), graph, context


def test_the_model_calls_the_right_tool_and_the_answer_is_verified(chat_engine: Engine) -> None:
    model = script(
        tool_call(
            "query_metric", {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"}
        ),
        say(f"Back Bay rebooked 60.0% of eligible visits in October [{REBOOK}]."),
    )
    answer, _, _ = run(chat_engine, model, "What was Back Bay's rebooking rate in October?")
    assert answer.status == "answer" and answer.writer == "llm"
    assert answer.tools == [
        {
            "name": "query_metric",
            "args": {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"},
        }
    ]
    assert REBOOK in {f.id for f in answer.facts}
    assert "query_metric" in model.bound and "get_at_risk" in model.bound
    assert answer.verification["passed"] is True


def test_an_invented_number_gets_one_retry_then_the_template(chat_engine: Engine) -> None:
    model = script(
        tool_call("query_metric", {"metric": "net_revenue", "location_id": 1, "period": "2026-10"}),
        say("Back Bay made $9,999 in October."),
        say("Back Bay made about $10,000 in October."),
    )
    answer, _, _ = run(chat_engine, model, "How much revenue did Back Bay make in October?")
    assert answer.writer == "template"
    assert f"$2,399 [{REVENUE}]" in answer.text
    assert "9,999" not in answer.text
    # The retry prompt named the invented figure.
    assert "'$9,999' matches no fact" in model.prompts[2]


def test_drafts_stream_and_the_template_replaces_an_unverified_answer(
    chat_engine: Engine,
) -> None:
    model = script(
        tool_call("query_metric", {"metric": "net_revenue", "location_id": 1, "period": "2026-10"}),
        say("Back Bay made $9,999 in October."),
        say("Back Bay made about $10,000 in October."),
    )
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    context = Context(chat_engine, 1, (1, 2), model=model)
    question = "How much revenue did Back Bay make in October?"
    events = list(stream_ask(graph, context, question, thread_id="t1"))
    # The tool call writes no text; each written answer is a new draft; the answer comes last.
    assert [kind for kind, _ in events] == ["redraft", "draft", "redraft", "draft", "answer"]
    assert [value for kind, value in events if kind == "draft"] == [
        "Back Bay made $9,999 in October.",
        "Back Bay made about $10,000 in October.",
    ]
    answer = events[-1][1]
    assert isinstance(answer, ChatAnswer) and answer.writer == "template"
    assert f"$2,399 [{REVENUE}]" in answer.text and "9,999" not in answer.text


def test_a_retry_that_fixes_the_number_is_kept(chat_engine: Engine) -> None:
    model = script(
        tool_call("query_metric", {"metric": "net_revenue", "location_id": 1, "period": "2026-10"}),
        say("Back Bay made $9,999 in October."),
        say(f"Back Bay made $2,399 in October [{REVENUE}]."),
    )
    answer, _, _ = run(chat_engine, model, "How much revenue did Back Bay make in October?")
    assert answer.writer == "llm" and answer.text.startswith("Back Bay made $2,399")


def test_a_manager_of_back_bay_asking_about_austin_is_refused(chat_engine: Engine) -> None:
    # The question names Austin: refused before the model is called.
    model = script(say("never used"))
    answer, _, _ = run(chat_engine, model, "What was Austin's revenue last month?", allowed=(1,))
    assert answer.status == "refuse" and model.prompts == []
    assert answer.facts == [] and answer.tools == []


def test_the_model_cannot_widen_the_scope(chat_engine: Engine) -> None:
    # The question does not name Austin, but the model asks for location 2 anyway, then
    # invents a figure: the tool refuses, verification fails twice, the template answers
    # with Back Bay's figure only.
    model = script(
        tool_call("query_metric", {"metric": "net_revenue", "location_id": 2}),
        say("The other location made $300."),
        say("The other location made $300."),
    )
    answer, _, _ = run(chat_engine, model, "How did revenue do at the other place?", allowed=(1,))
    tool_message = model.prompts[1]
    assert "location 2 is not one you may see" in tool_message
    assert all(f.scope != "location:2" for f in answer.facts)
    assert "location-2" not in answer.text and "$300" not in answer.text


def test_step_limit_falls_back_to_the_template(chat_engine: Engine) -> None:
    calls = [tool_call("get_kpis", {"location_id": 1}, f"c{i}") for i in range(5)]
    model = script(*calls)
    answer, _, _ = run(chat_engine, model, "Rebooking rate at Back Bay in October", max_steps=3)
    assert len(model.prompts) == 3
    assert answer.writer == "template" and f"60.0% [{REBOOK}]" in answer.text


def test_time_limit_falls_back_to_the_template(chat_engine: Engine) -> None:
    model = script(say("never used"))
    answer, _, _ = run(
        chat_engine, model, "Rebooking rate at Back Bay in October", time_limit_seconds=-1
    )
    assert model.prompts == [] and answer.writer == "template"


def test_without_a_model_the_router_answers(chat_engine: Engine) -> None:
    answer, _, _ = run(chat_engine, None, "Rebooking rate at Back Bay in October")
    assert answer.writer == "template" and f"60.0% [{REBOOK}]" in answer.text


def test_thread_memory_keeps_the_conversation(chat_engine: Engine) -> None:
    model = script(
        tool_call(
            "query_metric", {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"}
        ),
        say(f"60.0% [{REBOOK}]."),
        say(f"As I said, 60.0% [{REBOOK}]."),
    )
    graph = build_graph_builder().compile(checkpointer=InMemorySaver())
    context = Context(chat_engine, 1, (1, 2), model=model)
    ask(graph, context, "Rebooking at Back Bay in October?", thread_id="t")
    second = ask(graph, context, "Say that again?", thread_id="t")
    # The second turn's prompt holds the first question; the fact from the first turn verifies.
    assert "Rebooking at Back Bay in October?" in model.prompts[2]
    assert second.writer == "llm" and second.text.startswith("As I said")
