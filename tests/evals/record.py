"""Re-record `evals/recordings/briefing/fake-follower.json` (run: `python -m
tests.evals.record`) after the briefing prompt or dataset changes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from evals.cache import RECORDINGS_DIR
from evals.runner import RunOptions, run_suite
from tests.evals.fake_llm import PromptFollower


def main() -> None:
    target = RECORDINGS_DIR / "briefing" / "fake-follower.json"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as runs:
        run_suite(RunOptions("briefing", "fake-follower", runs_dir=Path(runs)), PromptFollower())
    assert target.is_file()


if __name__ == "__main__":
    main()
