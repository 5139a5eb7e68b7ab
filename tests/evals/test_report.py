"""JUnit XML and HTML reports of a stored run."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from typer.testing import CliRunner

from clarity.cli import app
from evals.report import html_report
from evals.runner import RunOptions, run_suite


def test_junit_and_html_of_a_briefing_run(tmp_path: Path) -> None:
    run = run_suite(RunOptions("briefing", runs_dir=tmp_path))
    xml, html = tmp_path / "r.xml", tmp_path / "r.html"
    result = CliRunner().invoke(
        app,
        ["eval", "report", run["run_id"], "--baseline", run["run_id"], "--junit", str(xml),
         "--html", str(html), "--runs-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    suite = ET.fromstring(xml.read_text())
    failed = run["cases"] - run["passed"]
    assert suite.get("tests") == "30" and suite.get("failures") == str(failed)
    assert len(suite.findall("testcase")) == 30
    assert len(suite.findall("testcase/failure")) == failed
    page = html.read_text()
    assert page.startswith("<!doctype html>") and run["run_id"] in page
    # The template model passes every case (adv-no-data, a day with no facts, failed until the
    # verifier accepted the text's own day without a dated fact), so no case is listed.
    assert failed == 0 and "<h2>Failing cases</h2>" in page
    assert "adv-no-data" not in page


def test_html_escapes_problem_text() -> None:
    case = {"id": "c<1>", "passed": False, "error": None, "checks": {"verify": ["<script>x"]}}
    run = {
        "run_id": "r", "suite": "briefing", "model": "m", "cases": 1, "passed": 0, "errors": 0,
        "pass_rate": 0.0, "prompt_version": "v1", "prompt_hash": "p", "dataset_hash": "d",
        "results": [case],
    }  # fmt: skip
    page = html_report(run)
    assert "<script>" not in page and "&lt;script&gt;x" in page and "c&lt;1&gt;" in page


def test_matrix_runs_every_model_and_version(tmp_path: Path) -> None:
    import json

    result = CliRunner().invoke(
        app,
        ["eval", "matrix", "--suite", "briefing", "--models", "template,fake-follower",
         "--prompt-versions", "v1", "--replay", "--json", "--runs-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = json.loads(result.output)
    # template (1 cell, version ignored) + fake-follower replayed from committed recordings
    assert [(c["model"], c["prompt_version"]) for c in cells] == [
        ("template", "v1"),
        ("fake-follower", "v1"),
    ]
    assert all(c["errors"] == 0 and c["pass_rate"] >= 0.95 for c in cells)


def test_html_shows_the_judges_score_distribution() -> None:
    run = {
        "run_id": "r1", "suite": "briefing", "model": "template", "prompt_version": "v1",
        "prompt_hash": "p" * 12, "dataset_hash": "d" * 12, "cases": 0, "passed": 0,
        "pass_rate": 0.0, "results": [],
        "judge": {
            "model": "judge-<x>", "graded": 3, "unparseable": 1,
            "tone": {"mean": 3.0, "distribution": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 1}},
        },
    }  # fmt: skip
    page = html_report(run)
    assert "LLM judge · judge-&lt;x&gt;" in page
    assert "3 texts graded, 1 unparseable replies (scored 1)" in page
    # tone row: mean 3.0, then counts for scores 1..5
    assert "<td>tone</td><td>3.0</td><td>1</td><td>0</td><td>0</td><td>1</td><td>1</td>" in page
    assert "<td>clarity</td>" not in page  # no clarity scores given, no row
    assert html_report({**run, "judge": None}).count("LLM judge") == 0
