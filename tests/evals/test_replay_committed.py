"""The committed recordings (`evals/recordings/`) replay offline: no model is called, and a
prompt or dataset edit without re-recording shows up here as cache misses. Re-record with
`python -m tests.evals.record` after changing the briefing prompt or dataset."""

from __future__ import annotations

from pathlib import Path

from evals.runner import RunOptions, run_suite
from tests.evals.fake_llm import OutreachWriter


def test_briefing_replays_from_committed_recordings(tmp_path: Path) -> None:
    run = run_suite(RunOptions("briefing", "fake-follower", replay=True, runs_dir=tmp_path))
    assert run["errors"] == 0, [r["error"] for r in run["results"] if r["error"]][:3]
    assert run["pass_rate"] >= 0.95


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
