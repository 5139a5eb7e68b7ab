"""Eval suites. A suite is a module with `NAME`, `DATASET` (a JSONL path),
`prompt_sources(ctx) -> str` (the prompt text its hash is taken of) and
`run_case(case, ctx) -> CaseResult`; register it with one line in `SUITES`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from evals.models import CachedModel

SUITES: dict[str, str] = {
    "briefing": "evals.suites.briefing",
    "outreach": "evals.suites.outreach",
    "chat": "evals.suites.chat",
}


class UnknownSuiteError(LookupError):
    pass


def load_suite(name: str) -> ModuleType:
    if name not in SUITES:
        raise UnknownSuiteError(f"unknown suite {name!r}; use one of {', '.join(sorted(SUITES))}")
    return importlib.import_module(SUITES[name])


@dataclass
class SuiteContext:
    """What a suite needs to run a case: the model (None for `template`), the prompt version
    and directory, and the prompt hash (part of the cache key)."""

    model: str
    llm: CachedModel | None
    prompt_version: str = "v1"
    prompts_dir: Path | None = None
    prompt_hash: str = ""


@dataclass
class CaseResult:
    """One case: its checks (checker → problems; empty list = passed) and the output."""

    id: str
    checks: dict[str, list[str]] = field(default_factory=dict)
    output: Any = None
    error: str | None = None  # the case could not run (cache miss, writer error)
    tags: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and not any(self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "passed": self.passed,
            "error": self.error,
            "checks": self.checks,
            "output": self.output,
            "tags": self.tags,
        }
