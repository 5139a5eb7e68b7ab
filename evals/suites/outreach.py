"""Outreach suite: a patient situation (facts, consent, history, channels, purpose) → the
eligibility decision and, when eligible, a draft filled with the case's values. Checks: the
channel or refusals expected; no policy violation (segments, opt-out text, no treatment/health
terms, links, placeholders) but the ones the case allows for a hostile value; every number in
the draft a fact; no PHI canary in the prompt or the draft template (the patient's own name
belongs only in the filled message). `template` runs the template writer; a chat model runs
`write_llm`, whose fallback to the template counts as a failure of the model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.outreach import writers
from agent.outreach.candidates import Candidate
from agent.outreach.eligibility import ContactFacts, History, decide
from agent.outreach.policy import PolicyConfig
from evals import checkers
from evals.cache import canonical, sha256
from evals.canaries import CANARIES
from evals.prompting import prompt_source
from evals.suites import CaseResult, SuiteContext
from prompts.loader import PROMPTS_DIR

NAME = "outreach"
DATASET = Path(__file__).resolve().parents[1] / "datasets" / "outreach.jsonl"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def prompt_sources(ctx: SuiteContext) -> str:
    if ctx.llm is None:
        return "".join(
            (PROMPTS_DIR / f"{name}.v1.md.j2").read_text(encoding="utf-8")
            for name in ("outreach_sms", "outreach_email")
        )
    if ctx.prompt_version != "v1" or ctx.prompts_dir is not None:
        raise ValueError("the outreach suite runs the outreach_writer prompt v1 only")
    return prompt_source(*writers.LLM_PROMPT)


class _Adapter:
    """`.invoke(prompt)` for `write_llm`, answered by the cached model."""

    def __init__(self, ctx: SuiteContext, case: dict[str, Any]) -> None:
        self.ctx, self.case = ctx, case

    def invoke(self, prompt: str) -> Any:
        assert self.ctx.llm is not None
        text = self.ctx.llm.complete(
            prompt,
            prompt_hash=self.ctx.prompt_hash,
            input_hash=sha256(canonical(self.case["input"])),
            case_id=self.case["id"],
        )
        return type("Answer", (), {"content": text, "usage_metadata": None})()


def run_case(case: dict[str, Any], ctx: SuiteContext) -> CaseResult:
    result = CaseResult(id=case["id"], tags=list(case.get("tags", [])))
    data, expect = case["input"], case["expect"]
    contact = ContactFacts(patient_id=1, **data["contact"])
    history = History(
        open_messages=data["history"]["open_messages"],
        sent_at=tuple(NOW - timedelta(days=d) for d in data["history"]["sent_days_ago"]),
    )
    decision = decide(contact, data["purpose"], history, NOW, channels=tuple(data["channels"]))
    result.output = {"channel": decision.channel, "refusals": decision.refusals}
    if decision.channel != expect["channel"]:
        result.checks["eligibility"] = [
            f"channel {decision.channel} (refusals {decision.refusals}); "
            f"expected {expect['channel']}"
        ]
        return result
    if decision.channel is None:
        wanted = expect.get("refusals", {})
        result.checks["eligibility"] = [
            f"{ch}: refused for {decision.refusals.get(ch)}; expected {reasons}"
            for ch, reasons in wanted.items()
            if sorted(decision.refusals.get(ch, [])) != sorted(reasons)
        ]
        return result
    result.checks["eligibility"] = []
    channel = decision.channel
    candidate = Candidate(
        patient_id=1,
        location_id=1,
        purpose=data["purpose"],
        facts=data["facts"],
        reason="eval",
        last_service=data.get("last_service"),
    )
    prompt = ""
    if ctx.llm is None:
        draft = writers.write_template(candidate, channel)
    else:
        prompt = writers.prompt_for(candidate, channel)
        draft = writers.write_llm(candidate, channel, _Adapter(ctx, case))
        result.checks["llm_used"] = [f"fell back to the template: {n}" for n in draft.notes]
    practice = data["practice"]
    values = {
        **data["patient"],
        "practice_name": practice["name"],
        "booking_link": practice["booking_url"],
    }
    body = writers.fill(draft.template, values)
    subject = writers.fill(draft.subject, values) if draft.subject else None
    config = PolicyConfig(
        practice_name=practice["name"],
        booking_url=practice["booking_url"],
        catalog_terms=tuple(practice["catalog_terms"]),
    )
    found = checkers.sms_compliance(
        body, channel=channel, purpose=data["purpose"], config=config, subject=subject
    )
    # `violations` lists the rules a hostile value may trip (the policy then blocks the send,
    # which is the right outcome); whether it does depends on the writer's wording
    allowed = set(expect.get("violations", []))
    result.checks["policy"] = [p for p in found if p.split(":", 1)[0] not in allowed]
    result.output["violations"] = found
    result.checks["grounded"] = writers.verify_template(
        f"{draft.subject or ''}\n{draft.template}", candidate
    )
    canaries = [*CANARIES, *expect.get("canaries", [])]
    result.checks["no_phi"] = checkers.no_phi(
        [prompt, draft.template, draft.subject or ""], canaries
    )
    result.output.update(
        {
            "writer": draft.writer,
            "subject": subject,
            "body": body,
            # the unfilled draft: what the LLM judge grades (no patient name in it)
            "template": draft.template,
            "subject_template": draft.subject,
        }
    )
    return result
