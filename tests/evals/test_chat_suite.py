"""The chat suite: the question set as eval cases, the router (template model) and a chat
model's JSON tool call checked against each question's expectation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from agent.chat.directory import Directory
from evals import checkers
from evals.cache import Recordings
from evals.models import CachedModel
from evals.runner import RunOptions, load_dataset, run_suite
from evals.suites import SuiteContext, chat
from store.scope import resolve_scope
from tests.agent.chat import store


def test_the_directory_file_is_the_chat_stores_names(engine: Engine) -> None:
    store.build(engine)
    directory, last_day = chat.load_directory()
    loaded = Directory.load(engine, 1)
    assert directory.locations == loaded.locations == {1: "Back Bay", 2: "Austin"}
    assert directory.providers == loaded.providers
    assert directory.categories == loaded.categories
    assert last_day == resolve_scope(engine, org=1).last_data_day


def test_the_question_set_loads_as_76_cases_with_unique_ids() -> None:
    cases, digest = load_dataset(chat.DATASET, chat.to_case)
    assert len(cases) == 76 and len(digest) == 64
    assert len({c["id"] for c in cases}) == 76
    first = cases[0]
    assert first["id"] == "what-was-our-net-revenue-last-month"
    assert first["input"] == {
        "question": "What was our net revenue last month?",
        "allowed": None,
        "location": None,
    }


def test_template_router_passes_the_question_set(tmp_path: Path) -> None:
    run = run_suite(RunOptions("chat", runs_dir=tmp_path))
    # the router was tuned on this set (agent/chat: 76/76); the suite must agree
    assert (run["cases"], run["passed"], run["errors"]) == (76, 76, 0)


class _Fixed:
    """A chat model that always answers with the same text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def invoke(self, prompt: str) -> str:
        return self.text


def _one(text: str, question: str, expect: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    ctx = SuiteContext(
        "fixed", CachedModel("fixed", Recordings("chat", "fixed", tmp_path), _Fixed(text))
    )
    ctx.prompt_hash = "h"
    row = {"question": question, "expect": expect}
    return chat.run_case(chat.to_case(row), ctx).as_dict()


def test_a_right_tool_call_passes_and_a_wrong_one_fails(tmp_path: Path) -> None:
    expect = {"status": "answer", "tool": "query_metric", "args": {"metric": "rebooking_rate"}}
    call = '{"status": "answer", "tool": "query_metric", "args": {"metric": "rebooking_rate"}}'
    good = f"```json\n{call}\n```"
    result = _one(good, "What's our rebooking rate?", expect, tmp_path)
    assert result["passed"] and result["checks"]["tool_call"] == []
    wrong = '{"status": "answer", "tool": "query_metric", "args": {"metric": "no_show_rate"}}'
    result = _one(wrong, "What's our rebooking rate?", expect, tmp_path / "b")
    assert not result["passed"]
    assert result["checks"]["tool_call"][0].startswith("args {'metric': 'no_show_rate'}")


def test_an_unparseable_or_off_menu_answer_fails_parse(tmp_path: Path) -> None:
    expect = {"status": "refuse"}
    result = _one("Sure! Here is a joke.", "tell me a joke", expect, tmp_path)
    assert result["checks"]["parse"] == ["the answer holds no JSON object"]
    result = _one('{"status": "maybe"}', "tell me a joke", expect, tmp_path / "b")
    assert result["checks"]["parse"][0].startswith("status 'maybe' is not one of")


def test_the_prompt_names_the_tools_and_scope_and_no_phi(tmp_path: Path) -> None:
    ctx = SuiteContext("fixed", None)
    prompt = chat.build_prompt("Rebooking at Back Bay?", (1,), ctx)
    assert "QUESTION: Rebooking at Back Bay?" in prompt
    assert "This user may see locations: 1." in prompt
    assert "- query_metric(" in prompt and "Back Bay" in prompt
    assert "2026-11-02" in prompt
    assert checkers.no_phi([prompt]) == []
