"""Drafting with placeholders, then filling them after verification.

Both writers produce a *template*: text with `{first_name}`, `{provider_name}`,
`{practice_name}` and `{booking_link}` in place of anything that identifies someone. The writer
only ever sees the purpose, the channel and the candidate's facts (numbers and categories with
ids) — never a name, phone or e-mail.

- Template writer: `prompts/outreach_sms.v1.md.j2` / `outreach_email.v1.md.j2` (Jinja2,
  StrictUndefined) — deterministic, always available.
- LLM writer: `prompts/outreach_writer.v1.md.j2` to the configured chat model; its answer is
  verified (`verify_template`): only known placeholders, `{practice_name}` present, and every
  number one of the facts' values. A failure, an error or garbage falls back to the template
  writer; each call is an `LlmCall` row (prompt name/version, tokens, latency — no text).
- `fill` replaces the placeholders in one pass, so a value that itself looks like a
  placeholder (a hostile name "{booking_link}") is inserted literally and never expanded.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.outreach.candidates import Candidate
from agent.outreach.policy import OPT_OUT_TEXT
from agent.outreach.purposes import basis_of
from prompts.loader import render_prompt

PLACEHOLDERS = ("first_name", "provider_name", "practice_name", "booking_link")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ANY_BRACES = re.compile(r"\{([^{}]*)\}")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LLM_PROMPT = ("outreach_writer", "v1")
SMS_MAX_CHARS = 240
PURPOSE_TEXT = {
    "win_back": "invite a patient who has not been back for a while to book again",
    "next_due": "remind a patient that the next session of their usual cycle is due",
    "post_treatment": "check in on how the patient is feeling a few days after a visit",
    "vip_check_in": "say hello to a valued patient who has gone quiet",
}


@dataclass(frozen=True)
class Draft:
    template: str  # with placeholders; no PHI
    subject: str | None  # e-mail subject template
    writer: str  # "template" or "llm"
    prompt: str  # "outreach_sms.v1"
    notes: tuple[str, ...] = ()  # why the LLM draft was not used, …


def fact_values(candidate: Candidate) -> dict[str, Any]:
    return {f["id"]: f["value"] for f in candidate.facts}


def write_template(candidate: Candidate, channel: str) -> Draft:
    name = "outreach_sms" if channel == "sms" else "outreach_email"
    rendered = render_prompt(
        name, "v1", purpose=candidate.purpose, facts=fact_values(candidate)
    ).text.strip()
    if channel == "sms":
        return Draft(" ".join(rendered.split()), None, "template", f"{name}.v1")
    subject, _, body = rendered.partition("\n")
    return Draft(body.strip(), subject.strip(), "template", f"{name}.v1")


def verify_template(text: str, candidate: Candidate) -> list[str]:
    """Problems of a written template: unknown placeholders, the practice not named, numbers
    that are not facts."""
    problems = []
    unknown = sorted({m for m in _ANY_BRACES.findall(text) if m not in PLACEHOLDERS})
    if unknown:
        problems.append(f"unknown placeholder(s): {', '.join(unknown)}")
    if "{practice_name}" not in text:
        problems.append("the practice is not named ({practice_name} missing)")
    allowed = {float(v) for v in fact_values(candidate).values() if isinstance(v, int | float)}
    for number in _NUMBER.findall(_ANY_BRACES.sub(" ", text)):
        if float(number.replace(",", "")) not in allowed:
            problems.append(f"number {number} is not one of the facts")
    return problems


def prompt_for(candidate: Candidate, channel: str) -> str:
    """The exact prompt text sent to the model (facts and placeholders only)."""
    return render_prompt(
        *LLM_PROMPT,
        channel=channel,
        purpose_text=PURPOSE_TEXT[candidate.purpose],
        basis=basis_of(candidate.purpose),
        facts=candidate.facts,
        max_chars=SMS_MAX_CHARS,
    ).text


def _answer_text(content: Any) -> str:
    text = content if isinstance(content, str) else json.dumps(content)
    text = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text
    return str(data.get("text", "")) if isinstance(data, dict) else text


def write_llm(
    candidate: Candidate,
    channel: str,
    model: Any,
    *,
    record: Any = None,
) -> Draft:
    """The model's draft when it verifies, else the template writer's (with the reason).
    `record(outcome, latency_ms, usage, error)` logs the call (an `LlmCall` row)."""
    prompt = prompt_for(candidate, channel)
    started = time.perf_counter()
    try:
        answer = model.invoke(prompt)
    except Exception as exc:  # any model failure falls back; the reason is kept
        if record:
            record("error", _ms(started), None, type(exc).__name__)
        fallback = write_template(candidate, channel)
        return Draft(**{**fallback.__dict__, "notes": (f"LLM error: {type(exc).__name__}",)})
    text = _answer_text(answer.content)
    subject = None
    if channel == "email":
        subject, _, text = text.partition("\n")
        subject, text = subject.strip(), text.strip()
    marketing_sms = channel == "sms" and basis_of(candidate.purpose) == "marketing"
    if marketing_sms and OPT_OUT_TEXT.lower() not in text.lower():
        text = f"{text.rstrip()} {OPT_OUT_TEXT}"
    problems = verify_template(f"{subject or ''}\n{text}", candidate)
    usage = getattr(answer, "usage_metadata", None)
    if record:
        record(
            "verification_failed" if problems else "ok", _ms(started), usage, "; ".join(problems)
        )
    if problems or not text:
        fallback = write_template(candidate, channel)
        notes = tuple(problems) or ("empty answer",)
        return Draft(**{**fallback.__dict__, "notes": notes})
    return Draft(text, subject, "llm", "outreach_writer.v1")


def llm_recorder(engine: Any, model: Any) -> Any:
    """A `record` callback for `write_llm` that writes one `LlmCall` row per call (prompt name
    and version, tokens, latency, outcome — no text)."""
    from agent.llm_log import CallRecord, record_llm_call
    from agent.model import model_name

    def record(outcome: str, latency_ms: int, usage: Any, error: str | None) -> None:
        usage = usage or {}
        record_llm_call(
            engine,
            CallRecord(
                model=model_name(model),
                prompt_name=LLM_PROMPT[0],
                prompt_version=LLM_PROMPT[1],
                purpose="outreach",
                latency_ms=latency_ms,
                outcome=outcome,
                input_tokens=usage.get("input_tokens"),
                output_tokens=usage.get("output_tokens"),
                error=error or None,
            ),
        )

    return record


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace every known placeholder in one pass; values are inserted literally."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
