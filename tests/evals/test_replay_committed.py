"""Every suite replays offline from its committed recording (`evals/recordings/<suite>/`): no
model is called, and a prompt or dataset edit without re-recording shows up here as cache
misses. Re-record with `python -m tests.evals.record [suite]` (see docs/evals.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cache import RECORDINGS_DIR
from evals.runner import RunOptions, run_suite
from evals.suites import SUITES
from tests.evals.fake_llm import OutreachWriter
from tests.evals.record import FAKES


def test_every_registered_suite_has_a_committed_recording() -> None:
    assert set(FAKES) == set(SUITES)
    for suite, (model, _) in FAKES.items():
        assert (RECORDINGS_DIR / suite / f"{model}.json").is_file(), suite


@pytest.mark.parametrize("suite", sorted(FAKES))
def test_suite_replays_from_committed_recordings(suite: str, tmp_path: Path) -> None:
    model, _ = FAKES[suite]
    run = run_suite(RunOptions(suite, model, replay=True, runs_dir=tmp_path))
    assert run["mode"] == "replay" and run["cases"] >= 30
    misses = [r["error"] for r in run["results"] if r["error"]]
    # a prompt, tool catalogue or dataset edit changes the keys: re-record the suite
    assert misses == [], f"re-record: python -m tests.evals.record {suite}; {misses[:3]}"
    assert run["pass_rate"] >= 0.95, [r["id"] for r in run["results"] if not r["passed"]]


def test_outreach_llm_path(tmp_path: Path) -> None:
    fake = OutreachWriter()
    run = run_suite(
        RunOptions("outreach", "fake-outreach", recordings_dir=tmp_path, runs_dir=tmp_path), fake
    )
    # 9 cases are refused by eligibility and never drafted; 21 are drafted
    refused = sum(1 for r in run["results"] if r["output"]["channel"] is None)
    # canary-contact has the same input as post_treatment-sms-consented: one call for both
    assert refused == 9 and fake.calls == 20
    # the fake writes no opt-out text: write_llm appends it to marketing SMS, so they pass
    failing = sorted(r["id"] for r in run["results"] if not r["passed"])
    assert failing == [], failing
