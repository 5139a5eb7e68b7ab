"""Re-record the committed recordings under `evals/recordings/` (run: `python -m
tests.evals.record [suite ...]`) after a suite's prompt or dataset changes.

Each suite is run in record mode (live, not replay) against a fake chat model of
`tests.evals.fake_llm` — no network, no real model — and its answers are written to
`evals/recordings/<suite>/<fake>.json`; `judge` records the fake judge's grades of the
calibration set and of the template runs (`evals/recordings/judge/fake-judge.json`).
`tests/evals/test_replay_committed.py` then replays them offline in `make test`.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.cache import RECORDINGS_DIR, Recordings
from evals.judge import Judge, calibrate, judge_run
from evals.runner import RunOptions, run_suite
from tests.evals.fake_llm import OutreachWriter, PromptFollower, RouterCaller, RubricJudge

#: suite → (model name, factory of the fake that answers it)
FAKES: dict[str, tuple[str, Callable[[], Any]]] = {
    "briefing": (PromptFollower.model_name, PromptFollower),
    "outreach": (OutreachWriter.model_name, OutreachWriter),
    "chat": (RouterCaller.model_name, RouterCaller),
}


def record(suite: str) -> Path:
    model, fake = FAKES[suite]
    target = RECORDINGS_DIR / suite / f"{model}.json"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as runs:
        run_suite(RunOptions(suite, model, runs_dir=Path(runs)), fake())
    assert target.is_file(), target
    return target


#: the suites whose template runs the judge recording covers
JUDGED = ("briefing", "outreach")


def record_judge() -> Path:
    """The fake judge's grades of the calibration set and of the template runs' texts."""
    target = Recordings("judge", RubricJudge.model_name).path
    target.unlink(missing_ok=True)
    judge = Judge(RubricJudge.model_name, RubricJudge())
    calibrate(judge)
    with tempfile.TemporaryDirectory() as runs:
        for suite in JUDGED:
            judge_run(run_suite(RunOptions(suite, runs_dir=Path(runs))), judge)
    assert target.is_file(), target
    return target


def main(argv: list[str]) -> None:
    for suite in argv or [*FAKES, "judge"]:
        print(f"recorded {record_judge() if suite == 'judge' else record(suite)}")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
