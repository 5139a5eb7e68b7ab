"""Eval runs as the Evals page shows them: the stored runs (`evals.runner`: JSON files under
`VAR_DIR/evals/`), one run's per-case verdicts, and the difference between two runs.

Runs are not practice data (their cases are synthetic datasets), so they are not scoped by
location; the page is for the roles that may open the evals area. A run id from a URL is
checked against `RUN_ID` before any file is opened, so it cannot name a path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_RUNS = 500  # newest first; older files stay on disk


class RunNotFound(LookupError):
    pass


class RunLine(BaseModel):
    run_id: str
    suite: str
    model: str
    prompt_version: str
    mode: str
    cases: int
    passed: int
    errors: int
    pass_rate: float
    created_at: str
    git_commit: str | None
    judged: bool


class CaseLine(BaseModel):
    id: str
    passed: bool
    problems: list[str]
    judge: dict[str, int] | None


class RunView(BaseModel):
    run: RunLine
    prompt_hash: str
    dataset_hash: str
    temperature: float | None
    cases: list[CaseLine]
    judge: dict[str, Any] | None
    same_suite: list[str]  # other runs of the suite, to compare with


class DiffLine(BaseModel):
    id: str
    before: bool | None  # None: the case is not in that run
    after: bool | None
    change: str  # regressed, fixed, still failing, passing, new, missing
    problems: list[str]


class DiffView(BaseModel):
    a: RunLine
    b: RunLine
    lines: list[DiffLine]
    counts: dict[str, int]


class MatrixCell(BaseModel):
    suite: str
    model: str
    prompt_version: str
    run_id: str
    pass_rate: float
    passed: int
    cases: int


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    needed = {"run_id", "suite", "model", "cases", "passed", "pass_rate", "results"}
    return data if isinstance(data, dict) and needed <= data.keys() else None


def _line(data: dict[str, Any]) -> RunLine:
    return RunLine(
        run_id=str(data["run_id"]),
        suite=str(data["suite"]),
        model=str(data["model"]),
        prompt_version=str(data.get("prompt_version", "")),
        mode=str(data.get("mode", "")),
        cases=int(data["cases"]),
        passed=int(data["passed"]),
        errors=int(data.get("errors", 0)),
        pass_rate=float(data["pass_rate"]),
        created_at=str(data.get("created_at", ""))[:19].replace("T", " "),
        git_commit=(str(data["git_commit"])[:10] if data.get("git_commit") else None),
        judged=bool(data.get("judge")),
    )


def problems(case: dict[str, Any]) -> list[str]:
    if case.get("error"):
        return [f"error: {case['error']}"]
    return [f"{name}: {p}" for name, items in (case.get("checks") or {}).items() for p in items]


def list_runs(runs_dir: Path) -> list[RunLine]:
    """Readable runs, newest first (run ids start with their UTC time)."""
    if not runs_dir.is_dir():
        return []
    files = sorted(runs_dir.glob("*.json"), key=lambda p: p.name, reverse=True)[:MAX_RUNS]
    return [_line(data) for data in map(_read, files) if data is not None]


def matrix(runs: list[RunLine]) -> list[MatrixCell]:
    """The newest run of each suite × model × prompt version."""
    cells: dict[tuple[str, str, str], MatrixCell] = {}
    for run in runs:  # newest first: the first seen wins
        key = (run.suite, run.model, run.prompt_version)
        if key not in cells:
            cells[key] = MatrixCell(
                suite=run.suite,
                model=run.model,
                prompt_version=run.prompt_version,
                run_id=run.run_id,
                pass_rate=run.pass_rate,
                passed=run.passed,
                cases=run.cases,
            )
    return sorted(cells.values(), key=lambda c: (c.suite, c.model, c.prompt_version))


def load(runs_dir: Path, run_id: str) -> dict[str, Any]:
    if not RUN_ID.match(run_id):
        raise RunNotFound(f"no eval run {run_id!r}")
    data = _read(runs_dir / f"{run_id}.json")
    if data is None:
        raise RunNotFound(f"no eval run {run_id!r}")
    return data


def get_run(runs_dir: Path, run_id: str) -> RunView:
    data = load(runs_dir, run_id)
    cases = [
        CaseLine(
            id=str(case["id"]),
            passed=bool(case["passed"]),
            problems=problems(case),
            judge=(case.get("judge") or {}).get("scores"),
        )
        for case in data["results"]
    ]
    cases.sort(key=lambda c: (c.passed, c.id))  # failing cases first
    others = [r.run_id for r in list_runs(runs_dir) if r.suite == data["suite"]]
    return RunView(
        run=_line(data),
        prompt_hash=str(data.get("prompt_hash", "")),
        dataset_hash=str(data.get("dataset_hash", "")),
        temperature=data.get("temperature"),
        cases=cases,
        judge=data.get("judge"),
        same_suite=[r for r in others if r != run_id],
    )


def _change(before: bool | None, after: bool | None) -> str:
    if before is None:
        return "new"
    if after is None:
        return "missing"
    if before and not after:
        return "regressed"
    if not before and after:
        return "fixed"
    return "passing" if after else "still failing"


def diff_runs(runs_dir: Path, a: str, b: str) -> DiffView:
    """Case by case from run `a` (before) to run `b` (after); changes first."""
    first, second = load(runs_dir, a), load(runs_dir, b)
    before = {str(c["id"]): c for c in first["results"]}
    after = {str(c["id"]): c for c in second["results"]}
    lines = []
    for cid in sorted(before.keys() | after.keys()):
        was = bool(before[cid]["passed"]) if cid in before else None
        now = bool(after[cid]["passed"]) if cid in after else None
        lines.append(
            DiffLine(
                id=cid,
                before=was,
                after=now,
                change=_change(was, now),
                problems=problems(after[cid]) if cid in after else [],
            )
        )
    order = ["regressed", "missing", "new", "fixed", "still failing", "passing"]
    lines.sort(key=lambda line: (order.index(line.change), line.id))
    counts = {name: sum(1 for line in lines if line.change == name) for name in order}
    return DiffView(a=_line(first), b=_line(second), lines=lines, counts=counts)
