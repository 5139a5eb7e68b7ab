"""Reports of a stored run: JUnit XML (one testcase per case, a failure per failed check) and a
self-contained HTML page (pass rate, per-check failures, failing cases, and the comparison with
a baseline run when one is given). All text is escaped."""

from __future__ import annotations

from html import escape
from typing import Any
from xml.etree import ElementTree as ET


def _problems(case: dict[str, Any]) -> list[str]:
    if case.get("error"):
        return [f"error: {case['error']}"]
    return [f"{name}: {p}" for name, items in case["checks"].items() for p in items]


def junit_xml(run: dict[str, Any]) -> str:
    failures = sum(1 for c in run["results"] if not c["passed"] and not c.get("error"))
    suite = ET.Element(
        "testsuite",
        name=f"evals.{run['suite']}.{run['model']}",
        tests=str(run["cases"]),
        failures=str(failures),
        errors=str(run.get("errors", 0)),
    )
    for case in run["results"]:
        element = ET.SubElement(
            suite, "testcase", classname=f"evals.{run['suite']}", name=case["id"]
        )
        if case.get("error"):
            ET.SubElement(element, "error", message=case["error"][:200]).text = case["error"]
        elif not case["passed"]:
            problems = _problems(case)
            ET.SubElement(element, "failure", message=problems[0][:200]).text = "\n".join(problems)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def _judge_section(summary: dict[str, Any] | None) -> str:
    """Score distributions of the LLM judge (a model's opinion of the wording, 1–5)."""
    if not summary:
        return ""
    head = "".join(f"<th>{score}</th>" for score in range(1, 6))
    rows = "".join(
        f"<tr><td>{escape(dim)}</td><td>{summary[dim]['mean']}</td>"
        + "".join(f"<td>{summary[dim]['distribution'].get(str(s), 0)}</td>" for s in range(1, 6))
        + "</tr>"
        for dim in ("tone", "clarity", "actionability")
        if dim in summary
    )
    return (
        f"<h2>LLM judge · {escape(str(summary.get('model')))}</h2>"
        f"<p>{summary['graded']} texts graded, {summary['unparseable']} unparseable replies "
        "(scored 1). A model's opinion of the wording, not a check.</p>"
        f"<table><tr><th>dimension</th><th>mean</th>{head}</tr>{rows}</table>"
    )


def html_report(run: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    by_check: dict[str, int] = {}
    for case in run["results"]:
        for name, items in case["checks"].items():
            if items:
                by_check[name] = by_check.get(name, 0) + 1
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{count}</td></tr>"
        for name, count in sorted(by_check.items())
    )
    before = {c["id"]: c["passed"] for c in (baseline or {}).get("results", [])}
    failing = "".join(
        "<tr><td>{}</td><td>{}</td><td><ul>{}</ul></td></tr>".format(
            escape(case["id"]),
            ""
            if case["id"] not in before
            else ("regressed" if before[case["id"]] else "was failing"),
            "".join(f"<li>{escape(p)}</li>" for p in _problems(case)),
        )
        for case in run["results"]
        if not case["passed"]
    )
    compare = ""
    if baseline:
        compare = (
            f"<p>Baseline {escape(baseline['run_id'])} ({escape(baseline['model'])}): "
            f"{baseline['pass_rate']:.1%} → {run['pass_rate']:.1%}</p>"
        )
    judged = _judge_section(run.get("judge"))
    title = f"Evals · {run['suite']} · {run['model']} · {run['run_id']}"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f"<p>{run['passed']}/{run['cases']} passed ({run['pass_rate']:.1%}), "
        f"{run.get('errors', 0)} errored · prompt {escape(run['prompt_version'])} "
        f"{escape(run['prompt_hash'][:12])} · dataset {escape(run['dataset_hash'][:12])} · "
        f"commit {escape(str(run.get('git_commit'))[:12])}</p>{compare}"
        "<h2>Failures by check</h2><table><tr><th>check</th><th>cases</th></tr>"
        f"{rows}</table><h2>Failing cases</h2>"
        "<table><tr><th>case</th><th>vs baseline</th><th>problems</th></tr>"
        f"{failing}</table>{judged}</body></html>"
    )
