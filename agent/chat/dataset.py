"""The chat question set (`evals/datasets/chat.jsonl`) and how the router is scored on it.

Each line: `question`; `expect` with `status` (answer, refuse, clarify, unknown) and, for an
answer, `tool`, `args` (exactly the arguments the tool must get) and optionally `intent`;
optional `allowed` (the asking user's location ids; default every location) and `location`.
A question is correct when the status matches and, for an answer, the tool and its arguments
match exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASET = Path(__file__).resolve().parents[2] / "evals" / "datasets" / "chat.jsonl"


@dataclass(frozen=True)
class Case:
    question: str
    expect: dict[str, Any]
    allowed: tuple[int, ...] | None
    location: int | None


def load_cases(path: Path = DATASET) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.append(
                Case(
                    question=row["question"],
                    expect=row["expect"],
                    allowed=tuple(row["allowed"]) if row.get("allowed") else None,
                    location=row.get("location"),
                )
            )
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: not a chat case ({exc})") from None
    return cases


def mismatch(case: Case, status: str, tool: str | None, args: dict[str, Any]) -> str | None:
    """Why the routed result differs from the case's expectation; None when it matches."""
    want = case.expect
    if status != want["status"]:
        return f"status {status} != {want['status']}"
    if status != "answer":
        return None
    if tool != want["tool"]:
        return f"tool {tool} != {want['tool']}"
    if args != want["args"]:
        return f"args {args} != {want['args']}"
    return None
