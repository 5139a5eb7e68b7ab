"""Briefing suite: writer input (`Outline` + `Gathered`) → a `WrittenBriefing`, checked for
structure, verification (every number a fact, names, ranked points with their dollars) and no
PHI in the prompt or the text. `template` runs `write_template`; a chat model gets the briefing
writer prompt and its JSON answer is parsed as the LLM writer does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.briefing.state import Gathered, Outline, WrittenBriefing
from agent.briefing.writers import llm as llm_writer
from agent.briefing.writers.template import TEMPLATE_NAME, TEMPLATES_DIR, write_template
from evals import checkers
from evals.cache import canonical, sha256
from evals.prompting import prompt_source, render
from evals.suites import CaseResult, SuiteContext

NAME = "briefing"
DATASET = Path(__file__).resolve().parents[1] / "datasets" / "briefing.jsonl"


def prompt_sources(ctx: SuiteContext) -> str:
    if ctx.llm is None:
        return (TEMPLATES_DIR / TEMPLATE_NAME).read_text(encoding="utf-8")
    return prompt_source(llm_writer.PROMPT_NAME, ctx.prompt_version, ctx.prompts_dir)


def build_prompt(outline: Outline, gathered: Gathered, ctx: SuiteContext) -> str:
    """The LLM writer's prompt variables (`agent.briefing.writers.llm.build_prompt`), rendered
    from the chosen version and directory."""
    facts = gathered.facts
    cited = llm_writer._cited_fact_ids(outline, gathered)
    total_id = llm_writer.call_total_fact_id(outline)
    return render(
        llm_writer.PROMPT_NAME,
        ctx.prompt_version,
        ctx.prompts_dir,
        scope_label=gathered.scope_label,
        for_date=gathered.for_date.isoformat(),
        facts=[facts[fid] for fid in cited],
        facts_by_id=facts.facts,
        points=outline.points,
        call_count_fact=facts.facts.get(outline.call_count_fact_id or ""),
        call_total_fact=facts.facts.get(total_id or ""),
        feedback=[],
    )


def _written_texts(written: WrittenBriefing) -> list[str]:
    return [text for _, text in written.checked_texts()]


def run_case(case: dict[str, Any], ctx: SuiteContext) -> CaseResult:
    result = CaseResult(id=case["id"], tags=list(case.get("tags", [])))
    outline = Outline.model_validate(case["input"]["outline"])
    gathered = Gathered.model_validate(case["input"]["gathered"])
    prompt = ""
    if ctx.llm is None:
        written = write_template(outline, gathered)
    else:
        prompt = build_prompt(outline, gathered, ctx)
        response = ctx.llm.complete(
            prompt,
            prompt_hash=ctx.prompt_hash,
            input_hash=sha256(canonical(case["input"])),
            case_id=case["id"],
        )
        try:
            parsed = llm_writer.parse_output(response)
            written = llm_writer._to_written(parsed, outline, gathered)
        except ValueError as exc:
            result.checks["parse"] = [str(exc)]
            result.output = {"response": response[:2000]}
            return result
        result.checks["parse"] = []
    expect = case.get("expect", {})
    result.checks["structure"] = checkers.briefing_structure(written)
    max_points = int(expect.get("max_points", checkers.MAX_POINTS))
    result.checks["expect"] = (
        [f"{len(written.points)} points; expected at most {max_points}"]
        if len(written.points) > max_points
        else []
    )
    if expect.get("verifies", True):
        result.checks["verify"] = checkers.briefing_verifies(written, outline, gathered)
    result.checks["no_phi"] = checkers.no_phi([prompt, *_written_texts(written)])
    result.output = written.model_dump(mode="json", exclude={"footer", "call_list"})
    return result
