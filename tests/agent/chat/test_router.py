"""The no-LLM path: routing accuracy over the question set, scope, contact data, templates."""

from __future__ import annotations

import re

from sqlalchemy import Engine, update

from agent.chat.answer import ChatService
from agent.chat.context import Context
from agent.chat.dataset import load_cases, mismatch
from store import tables as t

ACCURACY_FLOOR = 0.85


def service(engine: Engine, allowed: tuple[int, ...] = (1, 2), **kwargs: object) -> ChatService:
    return ChatService(Context(engine, 1, allowed, **kwargs))  # type: ignore[arg-type]


def test_the_question_set_is_big_enough() -> None:
    cases = load_cases()
    assert len(cases) >= 60
    assert sum(c.expect["status"] != "answer" for c in cases) >= 10
    tools = {c.expect.get("tool") for c in cases}
    assert {"query_metric", "get_provider_pnl", "get_at_risk", "get_vips"} <= tools
    assert {"get_anomalies", "get_forecast", "get_kpis"} <= tools
    metrics = {c.expect["args"].get("metric") for c in cases if c.expect["status"] == "answer"}
    assert {
        "net_revenue",
        "rebooking_rate",
        "retention_12m",
        "no_show_rate",
        "late_cancel_rate",
        "utilization",
        "revenue_per_provider_hour",
        "comp_to_production",
        "vip_concentration",
        "new_patients",
        "cac",
        "membership_mrr",
        "membership_churn",
    } <= metrics


def test_router_accuracy_on_the_question_set(chat_engine: Engine) -> None:
    services: dict[tuple[int, ...], ChatService] = {}
    cases = load_cases()
    misses = []
    cited_ok = 0
    for case in cases:
        allowed = case.allowed or (1, 2)
        chat = services.setdefault(allowed, service(chat_engine, allowed))
        route = chat.route(case.question)
        why = mismatch(case, route.status, route.tool, route.args)
        if why:
            misses.append(f"{case.question!r}: {why}")
            continue
        # The figures: computed by the tools now; every cited fact id is a fact of the answer.
        answer = chat.answer(case.question)
        facts = {f.id: f for f in answer.facts}
        cited = re.findall(r"\[([\w.:\-]+)\]", answer.text)
        assert all(c in facts for c in cited), (case.question, answer.text)
        if cited:
            cited_ok += 1
        if case.allowed == (1,):
            assert all(f.scope != "location:2" for f in answer.facts)
            assert "location-2" not in answer.text
    rate = 1 - len(misses) / len(cases)
    # The issue asks this test to print the rate (hence the prints).
    print(f"\nchat router accuracy: {len(cases) - len(misses)}/{len(cases)} = {rate:.1%}")  # noqa: T201
    print(f"answers with cited figures: {cited_ok}")  # noqa: T201
    for miss in misses:
        print("  miss:", miss)  # noqa: T201
    assert rate >= ACCURACY_FLOOR


def test_a_manager_of_back_bay_never_gets_austins_numbers(chat_engine: Engine) -> None:
    chat = service(chat_engine, (1,))
    for question in (
        "How much revenue did Austin make last month?",
        "What's Cy's no-show rate?",
        "Which patients are at risk at Austin?",
        "Austin forecast",
    ):
        answer = chat.answer(question)
        assert answer.status == "refuse", question
        assert answer.tools == [] and answer.facts == []
        assert "don't have access to Austin" in answer.text
    # A comparison across locations only covers the one they may see.
    answer = chat.answer("Which location has the highest no-show rate?")
    assert answer.status == "answer"
    assert {f.scope for f in answer.facts} <= {"location:1"}
    assert "Austin" not in answer.text


def test_a_figure_is_the_tools_figure(chat_engine: Engine) -> None:
    answer = service(chat_engine).answer("Rebooking rate at Back Bay in October")
    # 3 of 5 eligible October visits at Back Bay were rebooked (tests/tools/handmade.py) = 60.0%.
    assert "60.0% [rebooking_rate.location-1.2026-10]" in answer.text
    assert answer.tools == [
        {
            "name": "query_metric",
            "args": {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"},
        }
    ]


def test_provider_found_by_first_name(chat_engine: Engine) -> None:
    route = service(chat_engine).route("What is Marcus's P&L after comp this quarter?")
    assert route.entities["provider"] == "Marcus Delacroix"
    # Last day with data 2026-11-02 → this quarter is 2026-10-01..2026-11-02.
    assert route.args == {"location_id": 1, "period": "2026-10-01..2026-11-02"}
    answer = service(chat_engine).answer("What is Marcus's P&L after comp this quarter?")
    # Marcus has no sales or payroll rows: the answer says so and shows nobody else's P&L.
    assert answer.text.endswith("Marcus Delacroix has no production or payroll in this period.")
    assert "Ana Test" not in answer.text


def test_not_understood_suggests_questions(chat_engine: Engine) -> None:
    answer = service(chat_engine).answer("Blorp zap quux?")
    assert answer.status == "unknown"
    assert "didn't understand" in answer.text
    assert "rebooking rate last month" in answer.text


def test_contact_data_only_for_roles_that_may_see_it(chat_engine: Engine) -> None:
    with chat_engine.begin() as conn:
        conn.execute(update(t.patient).where(t.patient.c.id == 4).values(phone_e164="+16175550104"))
    # P-4 is the only VIP (the Filler sale of $800 is the top ⌈10%⌉ of paying patients).
    evaluator = service(chat_engine, role="evaluator").answer("Who are my top VIPs?")
    assert "P-4" in evaluator.text and "Pat4" not in evaluator.text
    assert "555" not in evaluator.text
    manager = service(chat_engine, role="manager").answer("Who are my top VIPs?")
    assert "Pat4 Test" in manager.text and "(617) 555-0104" in manager.text


def test_seed_metrics_and_opportunity_questions(chat_engine: Engine) -> None:
    answer = service(chat_engine).answer("What was our cost per lead at Back Bay in October?")
    # Back Bay, October: spend $600 + $300 over 4 leads = $225 (tests/tools/test_seed_metrics.py).
    assert answer.tools[0]["name"] == "get_more_metrics"
    assert "Cost per lead, Back Bay, 2026-10: $225" in answer.text
    answer = service(chat_engine).answer("What is our total opportunity?")
    assert answer.tools[0]["name"] == "get_opportunity"
    assert "Total opportunity per year" in answer.text
