"""`clarity eval run|gate|report|matrix`: prompt evals (suites in `evals.suites`; runs are
JSON files under `var/evals/`).

`run` evaluates one suite with one model (`template`, the no-LLM writers, by default; any other
name is a chat model from the settings' endpoint, with responses recorded under
`evals/recordings/`); `--replay` never calls a model and a missing recording fails the case.
`gate` compares a run with a baseline run; exit 0 pass, 1 regression, 2 error, 3 incomplete.
Heavy imports stay inside the commands (`import clarity.cli` must stay light).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from clarity.cli_common import fail

app = typer.Typer(help="Prompt evals: run suites, gate a run against a baseline.")
_out = Console()
_err = Console(stderr=True)


def _live_model(model: str, temperature: float) -> object:
    from clarity.cli_common import settings

    current = settings()
    if not current.llm_base_url:
        fail(f"model {model!r} needs CLARITY_LLM_BASE_URL (or run with --replay)")
    from langchain_openai import ChatOpenAI

    key = current.llm_api_key.get_secret_value() if current.llm_api_key else None
    return ChatOpenAI(
        model=model,
        base_url=current.llm_base_url,
        api_key=key or "not-needed",
        timeout=current.llm_timeout_seconds,
        max_retries=0,
        temperature=temperature,
    )


@app.command("run")
def run(
    suite: str = typer.Option(..., "--suite", help="briefing, outreach or chat."),
    model: str = typer.Option("template", "--model", help="'template' or a chat model name."),
    prompt_version: str = typer.Option("v1", "--prompt-version"),
    prompts_dir: Path | None = typer.Option(
        None, "--prompts-dir", help="Read the prompt from this directory instead of prompts/."
    ),
    replay: bool = typer.Option(False, "--replay", help="Only recorded responses; never call."),
    temperature: float = typer.Option(0.0, "--temperature"),
    dataset: Path | None = typer.Option(None, "--dataset", help="Another JSONL dataset."),
    runs_dir: Path = typer.Option(Path("var/evals"), "--runs-dir"),
    recordings_dir: Path | None = typer.Option(
        None, "--recordings-dir", help="Record/replay here instead of evals/recordings/."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print run_id, cases, passed, pass_rate."),
) -> None:
    """Run one eval suite and store the run."""
    from evals.runner import DatasetError, RunOptions, run_suite
    from evals.suites import UnknownSuiteError
    from prompts.loader import PromptError

    live = None
    if model != "template" and not replay:
        live = _live_model(model, temperature)
    options = RunOptions(
        suite=suite,
        model=model,
        prompt_version=prompt_version,
        prompts_dir=prompts_dir,
        replay=replay,
        temperature=temperature,
        dataset=dataset,
        runs_dir=runs_dir,
        recordings_dir=recordings_dir,
    )
    try:
        record = run_suite(options, live)
    except (UnknownSuiteError, DatasetError, PromptError, ValueError) as exc:
        fail(str(exc))
    summary = {k: record[k] for k in ("run_id", "cases", "passed", "pass_rate")}
    if as_json:
        typer.echo(json.dumps({**summary, "errors": record["errors"]}))
        return
    _out.print(
        f"{record['suite']} · {record['model']} · prompt {record['prompt_version']} "
        f"({record['prompt_hash'][:10]}): {record['passed']}/{record['cases']} passed "
        f"({record['pass_rate']:.1%}), {record['errors']} errored — run {record['run_id']}",
        highlight=False,
    )
    for case in record["results"]:
        if not case["passed"]:
            problems = case["error"] or "; ".join(
                f"{name}: {p}" for name, items in case["checks"].items() for p in items
            )
            _out.print(f"  ✗ {case['id']}: {problems[:300]}", highlight=False, markup=False)


@app.command("gate")
def gate_command(
    run_id: str | None = typer.Option(None, "--run", help="The candidate run (default: latest)."),
    baseline: str = typer.Option(..., "--baseline", help="The baseline run id or file."),
    config: Path | None = typer.Option(None, "--config", help="Thresholds (evals/gate.toml)."),
    runs_dir: Path = typer.Option(Path("var/evals"), "--runs-dir"),
) -> None:
    """Exit 0 pass, 1 regression, 2 error, 3 incomplete."""
    from evals.gate import ERROR, GATE_CONFIG, gate, thresholds
    from evals.runner import load_run

    try:
        base = load_run(baseline, runs_dir)
        if run_id is None:
            runs = sorted(runs_dir.glob(f"*-{base['suite']}-*.json"), key=lambda p: p.name)
            if not runs:
                raise FileNotFoundError(f"no {base['suite']} run under {runs_dir}")
            run_id = str(runs[-1])
        candidate = load_run(run_id, runs_dir)
        limits = thresholds(base["suite"], config or GATE_CONFIG)
    except (OSError, ValueError, KeyError) as exc:
        _err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(ERROR) from None
    result = gate(candidate, base, limits)
    verdict = {0: "pass", 1: "regression", 2: "error", 3: "incomplete"}[result.code]
    _out.print(
        f"gate {verdict}: {candidate['run_id']} ({candidate['pass_rate']:.1%}) vs baseline "
        f"{base['run_id']} ({base['pass_rate']:.1%})",
        highlight=False,
    )
    for reason in result.reasons:
        _out.print(f"  - {reason}", highlight=False, markup=False)
    raise typer.Exit(result.code)


@app.command("judge")
def judge_command(
    run_id: str = typer.Argument(..., help="The run id (or its JSON file) to grade."),
    judge: str = typer.Option(..., "--judge", help="The judge chat model."),
    replay: bool = typer.Option(False, "--replay", help="Only recorded responses; never call."),
    runs_dir: Path = typer.Option(Path("var/evals"), "--runs-dir"),
    as_json: bool = typer.Option(False, "--json", help="Print the judge summary as JSON."),
) -> None:
    """Grade a stored run's texts with the LLM judge (tone, clarity, actionability 1-5) and
    store the scores in the run. Scores are the judge's opinion, shown in eval reports and the
    Evals page only."""
    from evals.cache import CacheMiss
    from evals.judge import Judge, judge_run
    from evals.runner import load_run, save_run

    try:
        run = load_run(run_id, runs_dir)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    live = None if replay else _live_model(judge, 0.0)
    try:
        judge_run(run, Judge(judge, live, replay=replay))
    except CacheMiss as exc:
        fail(str(exc))
    save_run(run, runs_dir)
    summary = run["judge"]
    if as_json:
        typer.echo(json.dumps(summary))
        return
    means = ", ".join(f"{d} {summary[d]['mean']}" for d in ("tone", "clarity", "actionability"))
    _out.print(
        f"judge {judge} on {run['run_id']}: {summary['graded']} graded, "
        f"{summary['unparseable']} unparseable; means {means}",
        highlight=False,
    )


@app.command("calibrate")
def calibrate_command(
    judge: str = typer.Option(..., "--judge", help="The judge chat model."),
    replay: bool = typer.Option(False, "--replay", help="Only recorded responses; never call."),
    labels: Path | None = typer.Option(None, "--labels", help="Another hand-labelled JSONL."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The judge's agreement with hand labels (evals/datasets/judge_calibration.jsonl)."""
    from dataclasses import asdict

    from evals.cache import CacheMiss
    from evals.judge import CALIBRATION, DIMENSIONS, Judge, calibrate

    live = None if replay else _live_model(judge, 0.0)
    try:
        result = calibrate(Judge(judge, live, replay=replay), labels or CALIBRATION)
    except (OSError, ValueError, CacheMiss) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(asdict(result)))
        return
    _out.print(
        f"judge {judge} vs hand labels: {result.items} texts, "
        f"{result.unparseable} unparseable replies",
        highlight=False,
    )
    for dim in DIMENSIONS:
        _out.print(
            f"  {dim:<14} exact {result.exact[dim]:.0%}  within 1 point "
            f"{result.within_one[dim]:.0%}  mean |diff| {result.mean_abs_diff[dim]:.2f}",
            highlight=False,
        )


@app.command("report")
def report(
    run_id: str = typer.Argument(..., help="The run id (or its JSON file)."),
    baseline: str | None = typer.Option(None, "--baseline", help="Compare with this run."),
    html: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here."),
    runs_dir: Path = typer.Option(Path("var/evals"), "--runs-dir"),
) -> None:
    """Write the HTML report and/or JUnit XML of a stored run."""
    from evals.report import html_report, junit_xml
    from evals.runner import load_run

    try:
        run = load_run(run_id, runs_dir)
        base = load_run(baseline, runs_dir) if baseline else None
    except (OSError, ValueError) as exc:
        fail(str(exc))
    if html is None and junit is None:
        fail("give --html PATH and/or --junit PATH")
    if html is not None:
        html.write_text(html_report(run, base), encoding="utf-8")
    if junit is not None:
        junit.write_text(junit_xml(run), encoding="utf-8")


@app.command("matrix")
def matrix(
    suite: str = typer.Option(..., "--suite", help="briefing, outreach or chat."),
    models: str = typer.Option("template", "--models", help="Comma-separated model names."),
    prompt_versions: str = typer.Option("v1", "--prompt-versions", help="Comma-separated."),
    replay: bool = typer.Option(False, "--replay", help="Only recorded responses; never call."),
    runs_dir: Path = typer.Option(Path("var/evals"), "--runs-dir"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run a suite for every model × prompt version (`template` ignores the prompt version)."""
    from evals.runner import DatasetError, RunOptions, run_suite
    from evals.suites import UnknownSuiteError
    from prompts.loader import PromptError

    cells = []
    for model in [m.strip() for m in models.split(",") if m.strip()]:
        versions = ["v1"] if model == "template" else prompt_versions.split(",")
        for version in [v.strip() for v in versions if v.strip()]:
            live = None if model == "template" or replay else _live_model(model, 0.0)
            options = RunOptions(
                suite=suite, model=model, prompt_version=version, replay=replay, runs_dir=runs_dir
            )
            try:
                record = run_suite(options, live)
            except (UnknownSuiteError, DatasetError, PromptError, ValueError) as exc:
                fail(str(exc))
            cells.append(
                {
                    k: record[k]
                    for k in (
                        "run_id",
                        "model",
                        "prompt_version",
                        "cases",
                        "passed",
                        "errors",
                        "pass_rate",
                    )
                }
            )
    if as_json:
        typer.echo(json.dumps(cells))
        return
    for cell in cells:
        _out.print(
            f"{cell['model']:<24} {cell['prompt_version']:<4} "
            f"{cell['passed']:>3}/{cell['cases']:<3} {cell['pass_rate']:>6.1%}  "
            f"errors {cell['errors']:<3} {cell['run_id']}",
            highlight=False,
        )
