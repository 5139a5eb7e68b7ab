"""Run a suite for one model and prompt version, and store the run.

Runs are JSON files `var/evals/<run_id>.json` (not a table): an eval run needs no practice
database (the template model and replay run offline, in CI), a file is the artefact CI keeps and
diffs, and no migration has to be chained with the other branches. A run holds: run id, suite,
model, prompt version and hash, dataset hash, git commit, temperature, mode, and per case its
checks, output and verdict.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.cache import Recordings, sha256
from evals.models import DEFAULT_TEMPERATURE, TEMPLATE, CachedModel
from evals.suites import CaseResult, SuiteContext, load_suite

RUNS_DIR = Path("var") / "evals"


class DatasetError(ValueError):
    """A dataset file is missing or a line is not a case."""


def load_dataset(
    path: Path, to_case: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The cases of a JSONL dataset and the hash of its text. `to_case` turns a line of a
    dataset kept in another shape (the chat question set) into a case."""
    if not path.is_file():
        raise DatasetError(f"no dataset file {path}")
    text = path.read_text(encoding="utf-8")
    cases: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if to_case is not None:
                case = to_case(case)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{path}:{number}: not a case ({exc})") from None
        if not isinstance(case, dict) or not {"id", "input", "expect"} <= case.keys():
            raise DatasetError(f"{path}:{number}: a case needs id, input and expect")
        if any(case["id"] == seen["id"] for seen in cases):
            raise DatasetError(f"{path}:{number}: case id {case['id']!r} repeats")
        cases.append(case)
    return cases, sha256(text)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


@dataclass(frozen=True)
class RunOptions:
    suite: str
    model: str = TEMPLATE
    prompt_version: str = "v1"
    prompts_dir: Path | None = None
    replay: bool = False
    temperature: float = DEFAULT_TEMPERATURE
    dataset: Path | None = None
    recordings_dir: Path | None = None
    runs_dir: Path = RUNS_DIR


def run_suite(options: RunOptions, live_model: Any = None) -> dict[str, Any]:
    """Run every case and store the run; returns the stored record. `live_model` is the chat
    model to call on a cache miss (ignored with `replay`)."""
    suite = load_suite(options.suite)
    cases, dataset_hash = load_dataset(
        options.dataset or suite.DATASET, getattr(suite, "to_case", None)
    )
    llm = None
    recordings = None
    if options.model != TEMPLATE:
        recordings = (
            Recordings(options.suite, options.model, options.recordings_dir)
            if options.recordings_dir
            else Recordings(options.suite, options.model)
        )
        llm = CachedModel(
            options.model,
            recordings,
            None if options.replay else live_model,
            replay=options.replay,
            temperature=options.temperature,
        )
    ctx = SuiteContext(options.model, llm, options.prompt_version, options.prompts_dir)
    ctx.prompt_hash = sha256(suite.prompt_sources(ctx))
    results: list[CaseResult] = []
    for case in cases:
        try:
            results.append(suite.run_case(case, ctx))
        except Exception as exc:  # a case that cannot run is recorded, not fatal
            failed = CaseResult(id=case["id"], tags=list(case.get("tags", [])))
            failed.error = f"{type(exc).__name__}: {str(exc)[:300]}"
            results.append(failed)
    if recordings is not None:
        recordings.save()
    passed = sum(1 for r in results if r.passed)
    errors = sum(1 for r in results if r.error)
    record = {
        "run_id": f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{options.suite}-{uuid.uuid4().hex[:6]}",
        "suite": options.suite,
        "model": options.model,
        "prompt_version": options.prompt_version,
        "prompt_hash": ctx.prompt_hash,
        "dataset_hash": dataset_hash,
        "git_commit": git_commit(),
        "temperature": options.temperature,
        "mode": "replay" if options.replay else "live",
        "created_at": datetime.now(UTC).isoformat(),
        "cases": len(results),
        "passed": passed,
        "errors": errors,
        "pass_rate": round(passed / len(results), 4) if results else 0.0,
        "results": [r.as_dict() for r in results],
    }
    save_run(record, options.runs_dir)
    return record


def save_run(record: dict[str, Any], runs_dir: Path = RUNS_DIR) -> Path:
    """Write (or rewrite, after judging) a run's JSON file."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{record['run_id']}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str), "utf-8")
    return path


def load_run(run: str, runs_dir: Path = RUNS_DIR) -> dict[str, Any]:
    """A stored run by id (or a path to its JSON file)."""
    path = Path(run)
    if not path.is_file():
        path = runs_dir / f"{run}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no eval run {run!r} (looked for {path})")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
