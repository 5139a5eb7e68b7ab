"""A fake chat model that follows the briefing writer prompt literally: it writes each point
from the prompt's POINTS block (title, the dollars shown, the suggested action) and the call
list from the CALL LIST line. It never sees the outline, only the prompt — so a prompt that
leaves out the dollars gets points without dollars, as a real model would."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


@dataclass
class Answer:
    content: str
    usage_metadata: None = None


_CALL = re.compile(r"CALL LIST: (\S+) patients \([^)]*\), (\S+) at stake")


class PromptFollower:
    model_name = "fake-follower"

    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, prompt: str) -> Answer:
        self.calls += 1
        points: list[dict[str, object]] = []
        current: dict[str, str] = {}
        for line in prompt.splitlines():
            if line.startswith("- key: "):
                current = {"key": line[7:].strip()}
                points.append(current)  # type: ignore[arg-type]
            elif line.startswith("  about: "):
                current["about"] = line[9:].strip()
            elif line.startswith("  dollars: "):
                current["shown"] = line.rsplit("(", 1)[-1].rstrip(")")
            elif line.startswith("  suggested action: "):
                current["action"] = line[20:].strip()
        written = []
        for point in points:
            about, shown = str(point["about"]), point.get("shown")
            text = f"{about} puts {shown} at stake." if shown else f"{about} needs attention."
            written.append(
                {"key": point["key"], "title": about, "text": text, "action": point["action"]}
            )
        call = _CALL.search(prompt)
        intro = (
            f"Call these {call.group(1)} patients: {call.group(2)} at stake."
            if call
            else "No patient is overdue enough to call today."
        )
        headline = written[0]["text"] if written else "Nothing urgent today."
        answer = {"headline": headline, "points": written, "call_list_intro": intro}
        return Answer(json.dumps(answer))


class OutreachWriter:
    """A fake that answers the outreach writer prompt with a fixed compliant draft (SMS) or
    subject + body (e-mail), using only placeholders."""

    model_name = "fake-outreach"

    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, prompt: str) -> Answer:
        self.calls += 1
        body = "Hi {first_name}, {practice_name} here. We'd love to see you: {booking_link}"
        if "one short email message" in prompt:
            body = "A note from {practice_name}\n" + body
        return Answer(json.dumps({"text": body}))


class RouterCaller:
    """A fake that answers the chat tool-call prompt with the no-LLM router's reading of the
    prompt's QUESTION line (for the allowed locations the prompt states). It keeps the chat
    suite's LLM path — prompt, record, replay, parse, check — tested offline; it says nothing
    about a real model's choices."""

    model_name = "fake-router"

    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, prompt: str) -> Answer:
        from agent.chat.router import Router
        from evals.suites.chat import load_directory

        self.calls += 1
        directory, last_day = load_directory()
        question = prompt.rsplit("QUESTION: ", 1)[1].split("\n", 1)[0]
        seen = re.search(r"This user may see locations: ([\d, ]+)\.", prompt)
        assert seen is not None, "the prompt states the allowed locations"
        allowed = tuple(int(x) for x in seen.group(1).split(","))
        route = Router(directory).route(question, allowed_location_ids=allowed, last_day=last_day)
        return Answer(json.dumps({"status": route.status, "tool": route.tool, "args": route.args}))


_CONCRETE = re.compile(
    r"\b(ask|have|call|book|confirm|reallocate|review|pick|text|schedule|move)\b", re.I
)
_VAGUE = re.compile(r"look into|keep an eye|consider|at some point|let us know", re.I)
_HYPE = re.compile(r"great news|amazing|superstar|huge|last chance|don't miss", re.I)
_JARGON = re.compile(r"\b(kpi|delta|cohort|ltv|cac|vs\.|trailing-12)\b", re.I)


class RubricJudge:
    """A fake judge that grades the text between the judge prompt's <<< >>> markers by rules
    of thumb (shouting and hype lower tone; long sentences and jargon lower clarity; concrete
    verbs or a booking link raise actionability). It stands in for a judge model so the judge
    path — prompt, record, replay, parse, calibration — runs offline; its agreement with the
    hand labels measures these rules, not a model."""

    model_name = "fake-judge"

    def __init__(self) -> None:
        self.calls = 0

    def invoke(self, prompt: str) -> Answer:
        self.calls += 1
        text = prompt.split("<<<\n", 1)[1].rsplit("\n>>>", 1)[0]
        shouting = len(re.findall(r"\b[A-Z]{4,}\b", text.replace("STOP", "")))
        tone = 5 - 2 * ("!!" in text) - 2 * bool(_HYPE.search(text)) - (shouting > 1)
        sentences = [s for s in re.split(r"[.!?\n]+", text) if s.strip()]
        words = sum(len(s.split()) for s in sentences) / max(len(sentences), 1)
        clarity = 5 if words <= 18 else 4 if words <= 25 else 3 if words <= 35 else 1
        clarity -= 2 * (len(_JARGON.findall(text)) >= 2) + ("!!!" in text)
        if "{booking_link}" in text:
            actionability = 5
        else:
            actions = [line for line in text.splitlines() if "Action:" in line]
            concrete = sum(1 for a in actions if _CONCRETE.search(a) and not _VAGUE.search(a))
            actionability = 1 if not actions else 2 + 3 * concrete // len(actions)
        scores = {"tone": tone, "clarity": clarity, "actionability": actionability}
        answer = {
            dim: {"score": max(1, min(5, score)), "reason": "rule of thumb"}
            for dim, score in scores.items()
        }
        return Answer(json.dumps(answer))
