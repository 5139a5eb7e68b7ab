"""The LLM writer: prose from a chat model, given facts only (pseudonymous patient refs).

The model gets the versioned prompt `prompts/briefing_writer.v1.md.j2` filled with the facts,
the ranked points and the call-list size, and answers with JSON (headline, points, call-list
intro). The call list rows and the footer are the template writer's, so the model never sees or
writes anything about a patient but a pseudonym and a count. Every call is logged in `LlmCall`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine

from agent.briefing.state import Gathered, Outline, WrittenBriefing, WrittenPoint
from agent.briefing.writers.template import call_lines, call_total_fact_id, footer
from agent.llm_log import CallRecord, record_llm_call
from agent.model import model_name
from prompts.loader import RenderedPrompt, render_prompt

PROMPT_NAME = "briefing_writer"
PROMPT_VERSION = "v1"
PURPOSE = "briefing"


class _LlmPoint(BaseModel):
    key: str
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    action: str = Field(min_length=1)
    fact_ids: list[str] = Field(default_factory=list)


class _LlmOutput(BaseModel):
    headline: str = Field(min_length=1)
    points: list[_LlmPoint]
    call_list_intro: str = ""


@dataclass(frozen=True)
class LlmWriteResult:
    """What one LLM attempt produced: a briefing, or the outcome and error of a failed call."""

    written: WrittenBriefing | None
    outcome: str  # ok, timeout, error, invalid_output
    error: str | None
    llm_call_id: int | None
    prompt: RenderedPrompt


def build_prompt(outline: Outline, gathered: Gathered, feedback: list[str]) -> RenderedPrompt:
    """The prompt text: facts, points, call-list size and the previous attempt's errors."""
    facts = gathered.facts
    cited = _cited_fact_ids(outline, gathered)
    total_id = call_total_fact_id(outline)
    return render_prompt(
        PROMPT_NAME,
        PROMPT_VERSION,
        scope_label=gathered.scope_label,
        for_date=gathered.for_date.isoformat(),
        facts=[facts[fid] for fid in cited],
        facts_by_id=facts.facts,
        points=outline.points,
        call_count_fact=facts.facts.get(outline.call_count_fact_id or ""),
        call_total_fact=facts.facts.get(total_id or ""),
        feedback=feedback,
    )


def _cited_fact_ids(outline: Outline, gathered: Gathered) -> list[str]:
    """The facts the model may use: KPIs, the points' facts and the call-list totals."""
    wanted: list[str] = [*gathered.kpi_fact_ids]
    for point in outline.points:
        wanted += [point.dollars_fact_id, *point.fact_ids]
        for related in point.related:
            wanted += [related.dollars_fact_id, *related.fact_ids]
    wanted += [fid for fid in (outline.call_count_fact_id, call_total_fact_id(outline)) if fid]
    seen: dict[str, None] = {}
    for fid in wanted:
        if fid in gathered.facts:
            seen.setdefault(fid, None)
    return list(seen)


def parse_output(text: str) -> _LlmOutput:
    """The JSON object in the model's answer (code fences and chatter around it are ignored)."""
    cleaned = re.sub(r"```(?:json)?", "", text)
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer holds no JSON object")
    try:
        data: Any = json.loads(cleaned[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"the answer is not valid JSON ({exc.msg})") from None
    try:
        return _LlmOutput.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"the answer's JSON is missing or has a bad {where}") from None


def _is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower()


def _usage(message: Any) -> tuple[int | None, int | None]:
    usage = getattr(message, "usage_metadata", None) or {}
    return usage.get("input_tokens"), usage.get("output_tokens")


def write_llm(
    model: BaseChatModel,
    outline: Outline,
    gathered: Gathered,
    *,
    engine: Engine,
    feedback: list[str] | None = None,
) -> LlmWriteResult:
    """One model call; never raises for model failures (they become the outcome)."""
    prompt = build_prompt(outline, gathered, feedback or [])
    name = model_name(model)
    started = perf_counter()
    message: Any = None
    outcome, error = "ok", None
    try:
        message = model.invoke([HumanMessage(content=prompt.text)])
    except Exception as exc:  # any failure of the model call means "fall back"
        outcome = "timeout" if _is_timeout(exc) else "error"
        error = f"{type(exc).__name__}: {str(exc)[:200]}"
    latency_ms = int((perf_counter() - started) * 1000)
    written: WrittenBriefing | None = None
    if message is not None:
        try:
            parsed = parse_output(str(message.content))
            written = _to_written(parsed, outline, gathered)
        except ValueError as exc:
            outcome, error = "invalid_output", str(exc)
    input_tokens, output_tokens = _usage(message)
    call_id = record_llm_call(
        engine,
        CallRecord(
            model=name,
            prompt_name=prompt.name,
            prompt_version=prompt.version,
            purpose=PURPOSE,
            latency_ms=latency_ms,
            outcome=outcome,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            error=error,
        ),
    )
    return LlmWriteResult(written, outcome, error, call_id, prompt)


def _to_written(parsed: _LlmOutput, outline: Outline, gathered: Gathered) -> WrittenBriefing:
    if outline.call_list and not parsed.call_list_intro.strip():
        raise ValueError("the answer has no call_list_intro")
    repeats = {c.key for c in outline.points if c.news == "repeat"}  # rendered in one line
    return WrittenBriefing(
        headline=parsed.headline.strip(),
        points=[
            WrittenPoint(
                key=p.key,
                title=p.title.strip(),
                text=p.text.strip(),
                action=p.action.strip(),
                fact_ids=p.fact_ids,
                repeat=p.key in repeats,
            )
            for p in parsed.points
        ],
        call_list_intro=parsed.call_list_intro.strip()
        or "No patient is overdue enough to call today.",
        call_list=call_lines(outline, gathered),
        footer=footer(outline, gathered),
        writer="llm",
    )
