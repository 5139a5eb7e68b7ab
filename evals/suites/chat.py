"""Chat suite: a manager's question → the tool call that answers it (or a refusal, a
clarifying question, "not understood"), checked against the question set's expectation
(`agent.chat.dataset.mismatch`: status, tool and exactly its arguments).

The question set is `evals/datasets/chat.jsonl` (shape in `agent.chat.dataset`); it is written
against the names of the chat tests' store, kept in `evals/datasets/chat_directory.json` so the
suite runs with no database. `template` is the no-LLM router (`agent.chat.router.Router`); a
chat model gets `prompts/chat_tool_call.v1.md.j2` (the chat agent's system prompt, the
practice's names, the tools) and answers with the call as JSON. The figures the tools return
are not checked here (they need a store): `tests/agent/chat/test_router.py` checks them.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.chat import router as router_module
from agent.chat.dataset import Case, mismatch
from agent.chat.directory import Directory, Person
from agent.chat.router import Router
from evals import checkers
from evals.cache import canonical, sha256
from evals.prompting import prompt_source, render
from evals.suites import CaseResult, SuiteContext

NAME = "chat"
DATASET = Path(__file__).resolve().parents[1] / "datasets" / "chat.jsonl"
DIRECTORY = DATASET.with_name("chat_directory.json")
PROMPT_NAME = "chat_tool_call"
STATUSES = ("answer", "refuse", "clarify", "unknown")


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:60] or "empty"


def to_case(row: dict[str, Any]) -> dict[str, Any]:
    """A line of the question set as an eval case (id: the question's words, plus the allowed
    locations when the line restricts them)."""
    allowed = row.get("allowed")
    suffix = f"-as-{'-'.join(str(a) for a in allowed)}" if allowed else ""
    return {
        "id": _slug(row["question"]) + suffix,
        "tags": [row["expect"]["status"]],
        "input": {
            "question": row["question"],
            "allowed": allowed,
            "location": row.get("location"),
        },
        "expect": row["expect"],
    }


@lru_cache(maxsize=2)
def load_directory(path: Path = DIRECTORY) -> tuple[Directory, date]:
    """The store's names the questions are written against, and the last day with data."""
    data = json.loads(path.read_text(encoding="utf-8"))
    directory = Directory(
        locations={int(k): str(v) for k, v in data["locations"].items()},
        providers=[
            Person(int(p["id"]), p["first"], p["last"], int(p["location_id"]))
            for p in data["providers"]
        ],
        categories={k: set(v) for k, v in data["categories"].items()},
    )
    return directory, date.fromisoformat(data["last_day"])


def _tool_catalog() -> list[dict[str, Any]]:
    """Name, parameters and description of each chat tool (their definitions only: no store)."""
    from tools.langchain_tools import make_tools

    return [
        {
            "name": tool.name,
            "params": sorted(tool.args),
            "description": " ".join(tool.description.split()),
        }
        for tool in make_tools(None)  # type: ignore[arg-type]  # definitions, never invoked
    ]


def _system_prompt() -> str:
    from agent.chat.graph import SYSTEM_PROMPT

    return SYSTEM_PROMPT


def prompt_sources(ctx: SuiteContext) -> str:
    if ctx.llm is None:  # the router's rules are the template model's "prompt"
        return Path(router_module.__file__ or "").read_text(encoding="utf-8")
    return (
        prompt_source(PROMPT_NAME, ctx.prompt_version, ctx.prompts_dir)
        + _system_prompt()
        + canonical(_tool_catalog())
    )


def build_prompt(question: str, allowed: tuple[int, ...], ctx: SuiteContext) -> str:
    directory, last_day = load_directory()
    return render(
        PROMPT_NAME,
        ctx.prompt_version,
        ctx.prompts_dir,
        system_prompt=_system_prompt(),
        locations=sorted(directory.locations.items()),
        providers=directory.providers,
        categories=sorted(directory.categories),
        allowed=allowed,
        last_day=last_day.isoformat(),
        tools=_tool_catalog(),
        question=question,
    )


def parse_call(text: str) -> tuple[str, str | None, dict[str, Any]]:
    """(status, tool, args) from a model's JSON answer; ValueError when it is not one."""
    cleaned = re.sub(r"```(?:json)?", "", text)
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer holds no JSON object")
    try:
        data = json.loads(cleaned[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not valid JSON ({exc.msg})") from None
    status, tool, args = data.get("status"), data.get("tool"), data.get("args") or {}
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    if tool is not None and not isinstance(tool, str):
        raise ValueError("tool is not a name")
    if not isinstance(args, dict):
        raise ValueError("args is not an object")
    return status, tool, args


def run_case(case: dict[str, Any], ctx: SuiteContext) -> CaseResult:
    result = CaseResult(id=case["id"], tags=list(case.get("tags", [])))
    data = case["input"]
    directory, last_day = load_directory()
    allowed = tuple(data["allowed"] or sorted(directory.locations))
    question = Case(data["question"], case["expect"], allowed, data.get("location"))
    prompt = ""
    status: str
    if ctx.llm is None:
        route = Router(directory).route(
            question.question,
            allowed_location_ids=allowed,
            last_day=last_day,
            location_id=question.location,
        )
        status, tool, args = route.status, route.tool, route.args
    else:
        prompt = build_prompt(question.question, allowed, ctx)
        response = ctx.llm.complete(
            prompt,
            prompt_hash=ctx.prompt_hash,
            input_hash=sha256(canonical(data)),
            case_id=case["id"],
        )
        try:
            status, tool, args = parse_call(response)
        except ValueError as exc:
            result.checks["parse"] = [str(exc)]
            result.output = {"response": response[:2000]}
            return result
        result.checks["parse"] = []
    why = mismatch(question, status, tool, args)
    result.checks["tool_call"] = [why] if why else []
    result.checks["no_phi"] = checkers.no_phi([prompt, canonical(args)])
    result.output = {"status": status, "tool": tool, "args": args}
    return result
