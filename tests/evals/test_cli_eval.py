"""`clarity eval run|gate` end to end: the template model live, an LLM (a fake that follows
the prompt) recorded then replayed, and a deliberately broken prompt caught by the gate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clarity.cli import app
from evals.runner import RunOptions, run_suite
from tests.evals.fake_llm import PromptFollower

BROKEN = Path(__file__).resolve().parent / "fixtures" / "prompts"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["eval", *args])
    return result.exit_code, result.output


def test_template_briefing_json_and_gate_against_itself(tmp_path: Path) -> None:
    code, out = _run("run", "--suite", "briefing", "--json", "--runs-dir", str(tmp_path))
    assert code == 0, out
    summary = json.loads(out)
    assert set(summary) >= {"run_id", "cases", "passed", "pass_rate"}
    assert summary["cases"] == 30 and summary["pass_rate"] >= 0.95
    stored = json.loads((tmp_path / f"{summary['run_id']}.json").read_text())
    assert stored["model"] == "template" and len(stored["results"]) == 30
    assert {"git_commit", "prompt_hash", "dataset_hash"} <= stored.keys()
    code, out = _run(
        "gate", "--run", summary["run_id"], "--baseline", summary["run_id"],
        "--runs-dir", str(tmp_path),
    )  # fmt: skip
    assert code == 0, out


def test_template_outreach_suite(tmp_path: Path) -> None:
    code, out = _run("run", "--suite", "outreach", "--json", "--runs-dir", str(tmp_path))
    assert code == 0, out
    assert json.loads(out)["cases"] == 30


def test_unknown_suite_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, out = _run("run", "--suite", "nope", "--runs-dir", str(tmp_path))
    assert code == 2 and "unknown suite 'nope'" in out


def test_record_replay_and_broken_prompt_gate(tmp_path: Path) -> None:
    runs, recordings = tmp_path / "runs", tmp_path / "rec"
    fake = PromptFollower()
    good = run_suite(
        RunOptions("briefing", "fake-follower", recordings_dir=recordings, runs_dir=runs), fake
    )
    assert fake.calls == 30 and good["pass_rate"] >= 0.95
    # replay: the same results, no model at all
    replayed = run_suite(
        RunOptions(
            "briefing", "fake-follower", replay=True, recordings_dir=recordings, runs_dir=runs
        )
    )
    assert replayed["passed"] == good["passed"] and replayed["errors"] == 0
    # a different temperature is a different key: every case misses in replay
    missed = run_suite(
        RunOptions(
            "briefing",
            "fake-follower",
            replay=True,
            temperature=0.7,
            recordings_dir=recordings,
            runs_dir=runs,
        )
    )
    assert missed["errors"] == 30 and "CacheMiss" in missed["results"][0]["error"]
    code, _ = _run("gate", "--run", missed["run_id"], "--baseline", good["run_id"],
                   "--runs-dir", str(runs))  # fmt: skip
    assert code == 2  # errored cases
    broken = run_suite(
        RunOptions(
            "briefing", "fake-follower", prompts_dir=BROKEN, recordings_dir=recordings,
            runs_dir=runs,
        ),
        PromptFollower(),
    )  # fmt: skip
    assert broken["pass_rate"] < 0.5
    code, out = _run("gate", "--run", broken["run_id"], "--baseline", good["run_id"],
                     "--runs-dir", str(runs))  # fmt: skip
    assert code == 1, out
    assert "regression" in out


def test_gate_incomplete_when_cases_are_missing(tmp_path: Path) -> None:
    full = run_suite(RunOptions("outreach", runs_dir=tmp_path))
    lines = Path("evals/datasets/outreach.jsonl").read_text().splitlines()[:10]
    part_file = tmp_path / "part.jsonl"
    part_file.write_text("\n".join(lines) + "\n")
    part = run_suite(RunOptions("outreach", dataset=part_file, runs_dir=tmp_path))
    code, out = _run("gate", "--run", part["run_id"], "--baseline", full["run_id"],
                     "--runs-dir", str(tmp_path))  # fmt: skip
    assert code == 3, out
