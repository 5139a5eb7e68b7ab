"""The LLM judge: rubric replies parsed (an unreadable one scores the minimum and is counted),
the texts it grades, agreement with hand labels, the CLI in replay, and that no product code
depends on it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from clarity.cli import app
from evals.judge import (
    DIMENSIONS,
    Judge,
    Verdict,
    agreement,
    judge_run,
    judged_text,
    load_calibration,
    parse_verdict,
)
from evals.runner import RunOptions, run_suite

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _reply(tone: object = 4, clarity: object = 5, actionability: object = 3) -> str:
    return json.dumps(
        {
            "tone": {"score": tone, "reason": "calm"},
            "clarity": {"score": clarity, "reason": "plain"},
            "actionability": {"score": actionability, "reason": "one vague step"},
        }
    )


def test_a_rubric_reply_is_read() -> None:
    verdict = parse_verdict("Here you go:\n```json\n" + _reply() + "\n```")
    assert verdict.parsed
    assert verdict.scores == {"tone": 4, "clarity": 5, "actionability": 3}
    assert verdict.reasons["actionability"] == "one vague step"


def test_an_unreadable_reply_scores_the_minimum() -> None:
    for reply in (
        "I think it reads well.",
        _reply(tone=7),  # outside 1-5
        _reply(clarity="5"),  # not an integer
        _reply(actionability=True),
        json.dumps({"tone": {"score": 3}, "clarity": {"score": 3}}),  # a dimension missing
        "{not json}",
    ):
        verdict = parse_verdict(reply)
        assert not verdict.parsed, reply
        assert verdict.scores == {"tone": 1, "clarity": 1, "actionability": 1}


class _Garbage:
    def invoke(self, prompt: str) -> str:
        return "Looks fine to me!"


def test_unparseable_replies_are_counted_in_the_run(tmp_path: Path) -> None:
    run = run_suite(RunOptions("briefing", runs_dir=tmp_path))
    judge_run(run, Judge("garbage", _Garbage(), recordings_dir=tmp_path / "rec"))
    # every one of the 30 briefing cases has a headline, so 30 graded, all unreadable → 1.0
    assert run["judge"]["graded"] == 30 and run["judge"]["unparseable"] == 30
    assert run["judge"]["tone"] == {
        "mean": 1.0,
        "distribution": {"1": 30, "2": 0, "3": 0, "4": 0, "5": 0},
    }
    assert run["results"][0]["judge"]["parsed"] is False


def test_the_judge_grades_draft_templates_never_a_patients_name(tmp_path: Path) -> None:
    run = run_suite(RunOptions("outreach", runs_dir=tmp_path))
    drafted = [r for r in run["results"] if r["output"].get("template")]
    assert drafted
    for result in drafted:
        text = judged_text("outreach", result["output"])
        assert text is not None and "{first_name}" in text
        assert result["output"]["body"] not in text  # the filled message is not graded
    # chat cases are tool calls: nothing to grade
    assert judged_text("chat", {"status": "answer", "tool": "query_metric"}) is None


def test_agreement_with_hand_labels() -> None:
    labels = [
        {"tone": 5, "clarity": 5, "actionability": 5},
        {"tone": 1, "clarity": 3, "actionability": 2},
    ]
    verdicts = [
        Verdict({"tone": 5, "clarity": 4, "actionability": 5}, {}),
        Verdict({"tone": 3, "clarity": 3, "actionability": 2}, {}, parsed=True),
    ]
    result = agreement(labels, verdicts)
    # tone: 5=5, |1-3|=2 → exact 1/2, within one 1/2, mean |diff| (0+2)/2 = 1.0
    # clarity: |5-4|=1, 3=3 → exact 1/2, within one 2/2, mean 0.5; actionability: all equal
    assert result.exact == {"tone": 0.5, "clarity": 0.5, "actionability": 1.0}
    assert result.within_one == {"tone": 0.5, "clarity": 1.0, "actionability": 1.0}
    assert result.mean_abs_diff == {"tone": 1.0, "clarity": 0.5, "actionability": 0.0}


def test_the_calibration_set_is_labelled_on_every_dimension() -> None:
    items = load_calibration()
    assert len(items) >= 10
    assert {i["kind"] for i in items} == {"briefing", "outreach"}
    for item in items:
        assert all(1 <= item["labels"][d] <= 5 for d in DIMENSIONS)
        # both ends of each scale are represented somewhere
    for dim in DIMENSIONS:
        values = {i["labels"][dim] for i in items}
        assert 1 in values and 5 in values, dim


def test_calibrate_prints_agreement_from_the_committed_recording() -> None:
    result = runner.invoke(app, ["eval", "calibrate", "--judge", "fake-judge", "--replay"])
    assert result.exit_code == 0, result.output
    assert "12 texts, 0 unparseable replies" in result.output
    # The fake judge's tone matches the hand label on b-clear, b-nothing-changed,
    # b-no-actions, o-good-sms, o-pushy-sms, o-plain-email: 6 of 12 = 50%.
    assert re.search(r"tone\s+exact 50%", result.output), result.output


def test_judge_a_stored_run_in_replay(tmp_path: Path) -> None:
    run = run_suite(RunOptions("briefing", runs_dir=tmp_path))
    args = ["eval", "judge", run["run_id"], "--judge", "fake-judge", "--replay"]
    result = runner.invoke(app, [*args, "--runs-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["graded"] == 30 and summary["unparseable"] == 0
    stored = json.loads((tmp_path / f"{run['run_id']}.json").read_text())
    assert stored["judge"]["model"] == "fake-judge"
    assert all("judge" in r for r in stored["results"])
    # an unknown judge in replay has no recording: one line, exit 2
    bad = runner.invoke(app, ["eval", "judge", run["run_id"], "--judge", "nobody", "--replay",
                              "--runs-dir", str(tmp_path)])  # fmt: skip
    assert bad.exit_code == 2 and "no recording" in bad.output


def test_no_product_code_reads_the_judge() -> None:
    # Judge scores are a model's numbers: nothing that builds what users see may import evals.
    offenders = []
    for package in ("agent", "tools", "channels", "store", "schedules", "prompts"):
        for path in (ROOT / package).rglob("*.py"):
            if re.search(r"^\s*(from|import) evals\b", path.read_text(), re.MULTILINE):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"id": "x", "kind": "briefing", "text": "t", "labels": {"tone": 3}}\n{oops\n'
    )
    args = ["eval", "calibrate", "--judge", "fake-judge", "--replay", "--labels", str(labels)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"{labels}:1: needs id, kind, text and labels" in result.output
    labels.write_text(
        '{"id": "x", "kind": "b", "text": "t", '
        '"labels": {"tone": 6, "clarity": 1, "actionability": 1}}\n'
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and f"{labels}:1: labels are whole numbers" in result.output
    labels.write_text("{oops\n")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and f"{labels}:1: not JSON" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["eval", "judge", "nope", "--judge", "fake-judge", "--replay",
                                  "--runs-dir", str(tmp_path)])  # fmt: skip
    assert missing.exit_code == 2 and "no eval run 'nope'" in missing.output
