"""The Evals pages: stored runs with pass rates and the matrix, one run's per-case verdicts,
the diff between two runs; the evaluator and the owner may open them, no one else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from evals.runner import RunOptions, run_suite
from tests.api.conftest import World, signed_in


def _case(cid: str, passed: bool, problem: str = "") -> dict[str, Any]:
    return {
        "id": cid,
        "passed": passed,
        "error": None,
        "checks": {"verify": [problem] if problem else []},
    }


def _run(run_id: str, results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    passed = sum(1 for r in results if r["passed"])
    return {
        "run_id": run_id, "suite": "briefing", "model": "template", "prompt_version": "v1",
        "prompt_hash": "a" * 64, "dataset_hash": "b" * 64, "git_commit": "c0ffee1234567",
        "temperature": 0.0, "mode": "live", "created_at": "2026-11-30T21:00:00+00:00",
        "cases": len(results), "passed": passed, "errors": 0,
        "pass_rate": round(passed / len(results), 4), "results": results, **extra,
    }  # fmt: skip


def write_runs(app: FastAPI) -> Path:
    """Two briefing runs of 4 cases. Before: a, b pass; c, d fail. After: a passes, b fails
    (regressed), c passes (fixed), d still fails, e is new (passes). So before 2/4 = 50.0%,
    after 3/5 = 60.0%."""
    runs = app.state.settings.var_dir / "evals"
    runs.mkdir(parents=True, exist_ok=True)
    before = _run(
        "20261130T200000-briefing-aaaaaa",
        [_case("a", True), _case("b", True), _case("c", False, "'$9' matches no fact"),
         _case("d", False, "no headline")],
    )  # fmt: skip
    after = _run(
        "20261130T210000-briefing-bbbbbb",
        [_case("a", True), _case("b", False, "'$999,999' <b>matches</b> no fact"),
         _case("c", True), _case("d", False, "no headline"), _case("e", True)],
        judge={"model": "fake-judge", "graded": 5, "unparseable": 1,
               "tone": {"mean": 3.4, "distribution": {"1": 1, "2": 0, "3": 1, "4": 1, "5": 2}}},
    )  # fmt: skip
    for run in (before, after):
        (runs / f"{run['run_id']}.json").write_text(json.dumps(run))
    (runs / "not-a-run.json").write_text("{broken")  # unreadable files are left out
    return runs


def test_the_evaluator_sees_runs_pass_rates_and_the_matrix(app: FastAPI, world: World) -> None:
    write_runs(app)
    client = signed_in(app, world, "evaluator")
    page = client.get("/evals")
    assert page.status_code == 200
    assert '<a href="/evals">Evals</a>' in page.text  # in the navigation
    assert "2/4" in page.text and "50.0%" in page.text
    assert "3/5" in page.text and "60.0%" in page.text
    assert "not-a-run" not in page.text
    # the matrix keeps the newest run of briefing × template × v1 only: one row, the 21:00 run
    matrix = page.text.split("<h2>Matrix</h2>")[1].split("</table>")[0]
    assert "20261130T210000-briefing-bbbbbb" in matrix
    assert "20261130T200000-briefing-aaaaaa" not in matrix


def test_a_run_page_lists_every_case_failing_first(app: FastAPI, world: World) -> None:
    write_runs(app)
    client = signed_in(app, world, "owner")
    page = client.get("/evals/20261130T210000-briefing-bbbbbb")
    assert page.status_code == 200
    text = page.text
    assert "3/5 passed (60.0%)" in text
    # failing cases (b, d) before passing ones (a, c, e), each in id order
    rows = text.split("<h2>Cases</h2>")[1]
    order = [rows.index(f"<td>{cid}</td>") for cid in ("b", "d", "a", "c", "e")]
    assert order == sorted(order)
    # check text is escaped, never markup
    assert "&#39;$999,999&#39; &lt;b&gt;matches&lt;/b&gt; no fact" in text
    assert "1 unparseable replies" in text and "<td>3.4</td>" in text


def test_the_diff_of_two_runs(app: FastAPI, world: World) -> None:
    write_runs(app)
    client = signed_in(app, world, "evaluator")
    page = client.get(
        "/evals/diff",
        params={"a": "20261130T200000-briefing-aaaaaa", "b": "20261130T210000-briefing-bbbbbb"},
    )
    assert page.status_code == 200
    for badge in ("1 regressed", "1 new", "1 fixed", "1 still failing", "1 passing"):
        assert f'<span class="badge">{badge}</span>' in page.text, badge
    assert '<tr class="regressed">\n      <td>b</td>' in page.text
    # the regression is listed before everything else
    assert (
        page.text.index("<td>b</td>")
        < page.text.index("<td>e</td>")
        < page.text.index("<td>c</td>")
    )


def test_the_html_report_against_a_baseline(app: FastAPI, world: World) -> None:
    write_runs(app)
    client = signed_in(app, world, "evaluator")
    run_page = client.get("/evals/20261130T210000-briefing-bbbbbb").text
    link = "/evals/20261130T210000-briefing-bbbbbb/report?baseline=20261130T200000-briefing-aaaaaa"
    assert f'href="{link}"' in run_page
    report = client.get(link)
    assert report.status_code == 200
    assert "Evals · briefing · template · 20261130T210000-briefing-bbbbbb" in report.text
    assert "50.0% → 60.0%" in report.text  # the baseline's 2/4 against 3/5
    # b passed in the baseline and fails now; d failed in both
    assert "<tr><td>b</td><td>regressed</td>" in report.text
    assert "<tr><td>d</td><td>was failing</td>" in report.text
    assert client.get(link.replace("aaaaaa", "zzzzzz")).status_code == 404


def test_unknown_or_path_like_run_ids_are_404(app: FastAPI, world: World) -> None:
    runs = write_runs(app)
    (runs.parent / "secret.json").write_text(json.dumps(_run("secret", [_case("x", True)])))
    client = signed_in(app, world, "evaluator")
    for path in (
        "/evals/nope",
        "/evals/..%2Fsecret",
        "/evals/.hidden",
        "/evals/not-a-run",
        "/evals/..%2Fsecret/report",
    ):
        assert client.get(path).status_code == 404, path
    bad = client.get(
        "/evals/diff", params={"a": "../secret", "b": "20261130T210000-briefing-bbbbbb"}
    )
    assert bad.status_code == 404


def test_only_the_evaluator_and_owner_may_open_evals(app: FastAPI, world: World) -> None:
    write_runs(app)
    for role, expected in (
        ("owner", 200),
        ("evaluator", 200),
        ("manager", 403),
        ("front_desk", 403),
    ):
        client = signed_in(app, world, role)
        assert client.get("/evals").status_code == expected, role
        nav = client.get("/").text
        assert ('<a href="/evals">Evals</a>' in nav) == (expected == 200), role


def test_a_real_stored_run_shows_up(app: FastAPI, world: World) -> None:
    runs = app.state.settings.var_dir / "evals"
    run = run_suite(RunOptions("outreach", runs_dir=runs))  # the template model, 30 cases
    client = signed_in(app, world, "evaluator")
    page = client.get(f"/evals/{run['run_id']}")
    assert page.status_code == 200
    assert f"{run['passed']}/30 passed" in page.text
    assert page.text.count('<span class="badge badge-') == 30  # one verdict per case
