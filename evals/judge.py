"""The optional LLM judge: a chat model grades a written output for tone, clarity and
actionability, 1–5 each with a reason, by the rubric prompt `prompts/eval_judge.v1.md.j2`.

- What it grades: the briefing's written parts (headline, points with their actions, call-list
  intro) and the outreach draft *template* (placeholders, never a patient's name). Chat cases
  are tool calls, not prose: not judged.
- A reply that is not the rubric's JSON (or a score outside 1–5, a missing dimension) scores
  the minimum, 1, on every dimension and is counted in `unparseable`.
- Its responses go through the same record/replay cache as the suites (`evals/recordings/
  judge/<model>.json`, keyed by judge model, judge prompt hash, the graded text and the
  temperature).
- Its scores are a model's opinion about wording. They live only in eval runs and reports;
  no product output (briefing, draft, answer, KPI) is ever computed from them.
- Calibration: `calibrate` compares the judge's scores with hand labels of
  `evals/datasets/judge_calibration.jsonl` — per dimension the share of exact agreement, of
  agreement within one point, and the mean absolute difference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.cache import Recordings, sha256
from evals.models import DEFAULT_TEMPERATURE, CachedModel
from evals.prompting import prompt_source, render

PROMPT_NAME = "eval_judge"
DIMENSIONS = ("tone", "clarity", "actionability")
MIN_SCORE, MAX_SCORE = 1, 5
CALIBRATION = Path(__file__).resolve().parent / "datasets" / "judge_calibration.jsonl"
AUDIENCE = {
    "briefing": "a practice owner's morning briefing, read on a phone",
    "outreach": "a message to a patient; {placeholders} are filled in later",
}


@dataclass
class Verdict:
    """Scores per dimension (1–5), a reason each, and whether the reply could be read."""

    scores: dict[str, int]
    reasons: dict[str, str]
    parsed: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"scores": self.scores, "reasons": self.reasons, "parsed": self.parsed}


def parse_verdict(text: str) -> Verdict:
    """The rubric JSON of a judge reply; anything else scores the minimum everywhere."""
    cleaned = re.sub(r"```(?:json)?", "", text)
    start, end = cleaned.find("{"), cleaned.rfind("}")
    try:
        data = json.loads(cleaned[start : end + 1]) if 0 <= start < end else None
        scores, reasons = {}, {}
        for dim in DIMENSIONS:
            item = data[dim]  # type: ignore[index]
            score = item["score"]
            if isinstance(score, bool) or not isinstance(score, int):
                raise TypeError(dim)
            if not MIN_SCORE <= score <= MAX_SCORE:
                raise ValueError(dim)
            scores[dim], reasons[dim] = score, str(item.get("reason", ""))[:300]
        return Verdict(scores, reasons)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        why = "unparseable judge reply: scored the minimum"
        return Verdict(dict.fromkeys(DIMENSIONS, MIN_SCORE), dict.fromkeys(DIMENSIONS, why), False)


def judged_text(suite: str, output: Any) -> str | None:
    """The prose of a case's output the judge grades; None when there is none."""
    if not isinstance(output, dict):
        return None
    if suite == "briefing" and output.get("headline"):
        lines = [str(output["headline"])]
        for point in output.get("points") or []:
            lines.append(f"- {point.get('title', '')}: {point.get('text', '')}")
            if point.get("action"):
                lines.append(f"  Action: {point['action']}")
        if output.get("call_list_intro"):
            lines.append(str(output["call_list_intro"]))
        return "\n".join(lines)
    if suite == "outreach" and output.get("template"):
        subject = (
            f"Subject: {output['subject_template']}\n" if output.get("subject_template") else ""
        )
        return subject + str(output["template"])
    return None


@dataclass
class Judge:
    """A judge model behind the recordings (`live` None: replay only)."""

    model: str
    live: Any = None
    replay: bool = False
    prompt_version: str = "v1"
    prompts_dir: Path | None = None
    recordings_dir: Path | None = None
    temperature: float = DEFAULT_TEMPERATURE
    _cached: CachedModel | None = field(default=None, init=False)

    @property
    def prompt_hash(self) -> str:
        return sha256(prompt_source(PROMPT_NAME, self.prompt_version, self.prompts_dir))

    def _model(self) -> CachedModel:
        if self._cached is None:
            recordings = (
                Recordings("judge", self.model, self.recordings_dir)
                if self.recordings_dir
                else Recordings("judge", self.model)
            )
            self._cached = CachedModel(
                self.model,
                recordings,
                None if self.replay else self.live,
                replay=self.replay,
                temperature=self.temperature,
            )
        return self._cached

    def grade(self, kind: str, text: str, case_id: str) -> Verdict:
        prompt = render(
            PROMPT_NAME,
            self.prompt_version,
            self.prompts_dir,
            kind=kind,
            audience=AUDIENCE.get(kind, kind),
            text=text,
        )
        reply = self._model().complete(
            prompt,
            prompt_hash=self.prompt_hash,
            input_hash=sha256(f"{kind}\n{text}"),
            case_id=case_id,
        )
        return parse_verdict(reply)

    def save(self) -> None:
        if self._cached is not None:
            self._cached.recordings.save()


def summarize(verdicts: list[Verdict]) -> dict[str, Any]:
    """Mean and distribution (score → count) per dimension, and the unparseable count."""
    summary: dict[str, Any] = {"graded": len(verdicts)}
    summary["unparseable"] = sum(1 for v in verdicts if not v.parsed)
    for dim in DIMENSIONS:
        values = [v.scores[dim] for v in verdicts]
        summary[dim] = {
            "mean": round(sum(values) / len(values), 2) if values else None,
            "distribution": {str(s): values.count(s) for s in range(MIN_SCORE, MAX_SCORE + 1)},
        }
    return summary


def judge_run(run: dict[str, Any], judge: Judge) -> dict[str, Any]:
    """Grade every case of a stored run that has prose; adds `judge` to those results and a
    `judge` summary to the run (returned; the caller stores it)."""
    verdicts = []
    for result in run["results"]:
        text = judged_text(run["suite"], result.get("output"))
        if text is None:
            continue
        verdict = judge.grade(run["suite"], text, result["id"])
        result["judge"] = verdict.as_dict()
        verdicts.append(verdict)
    judge.save()
    run["judge"] = {
        "model": judge.model,
        "prompt_version": judge.prompt_version,
        "prompt_hash": judge.prompt_hash,
        **summarize(verdicts),
    }
    return run


@dataclass(frozen=True)
class Agreement:
    """Judge vs hand labels on the calibration set, per dimension."""

    items: int
    exact: dict[str, float]
    within_one: dict[str, float]
    mean_abs_diff: dict[str, float]
    unparseable: int


def load_calibration(path: Path = CALIBRATION) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
        labels = item.get("labels") if isinstance(item, dict) else None
        if (
            not isinstance(labels, dict)
            or not {"id", "kind", "text"} <= item.keys()
            or set(labels) != set(DIMENSIONS)
        ):
            raise ValueError(f"{path}:{number}: needs id, kind, text and labels for {DIMENSIONS}")
        if not all(type(v) is int and MIN_SCORE <= v <= MAX_SCORE for v in labels.values()):
            raise ValueError(f"{path}:{number}: labels are whole numbers from 1 to 5")
        items.append(item)
    return items


def agreement(labels: list[dict[str, int]], verdicts: list[Verdict]) -> Agreement:
    n = len(labels)
    exact, within, mad = {}, {}, {}
    for dim in DIMENSIONS:
        diffs = [abs(lab[dim] - v.scores[dim]) for lab, v in zip(labels, verdicts, strict=True)]
        exact[dim] = round(sum(d == 0 for d in diffs) / n, 3) if n else 0.0
        within[dim] = round(sum(d <= 1 for d in diffs) / n, 3) if n else 0.0
        mad[dim] = round(sum(diffs) / n, 3) if n else 0.0
    return Agreement(n, exact, within, mad, sum(1 for v in verdicts if not v.parsed))


def calibrate(judge: Judge, path: Path = CALIBRATION) -> Agreement:
    items = load_calibration(path)
    verdicts = [judge.grade(item["kind"], item["text"], item["id"]) for item in items]
    judge.save()
    return agreement([item["labels"] for item in items], verdicts)
