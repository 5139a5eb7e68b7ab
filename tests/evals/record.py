"""Re-record the committed recordings under `evals/recordings/` (run: `python -m
tests.evals.record [suite ...]`) after a suite's prompt or dataset changes.

Each suite is run in record mode (live, not replay) against a fake chat model of
`tests.evals.fake_llm` — no network, no real model — and its answers are written to
`evals/recordings/<suite>/<fake>.json`. `tests/evals/test_replay_committed.py` then replays
them offline in `make test`.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.cache import RECORDINGS_DIR
from evals.runner import RunOptions, run_suite
from tests.evals.fake_llm import OutreachWriter, PromptFollower, RouterCaller

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


def main(argv: list[str]) -> None:
    for suite in argv or list(FAKES):
        print(f"recorded {record(suite)}")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1:])
