"""The Evals pages (evaluator and owner): stored eval runs with pass rates and the latest run
of each suite × model × prompt version, one run's per-case verdicts, the diff between two runs,
and the HTML report of `clarity eval report`. Runs are read from `VAR_DIR/evals/`, where
`clarity eval run` stores them by default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, SettingsDep, require
from api.roles import Area
from api.templating import render
from api.views import evals as ev

router = APIRouter(include_in_schema=False, dependencies=[require(Area.evals)])


def runs_dir(settings: SettingsDep) -> Path:
    return settings.var_dir / "evals"


@router.get("/evals", response_class=HTMLResponse)
def evals_page(request: Request, settings: SettingsDep, user: CurrentUser) -> HTMLResponse:
    runs = ev.list_runs(runs_dir(settings))
    return render(request, "evals.html", {"runs": runs, "matrix": ev.matrix(runs)}, user=user)


@router.get("/evals/diff", response_class=HTMLResponse)
def eval_diff_page(
    request: Request,
    settings: SettingsDep,
    user: CurrentUser,
    a: Annotated[str, Query(max_length=100)],
    b: Annotated[str, Query(max_length=100)],
) -> HTMLResponse:
    try:
        view = ev.diff_runs(runs_dir(settings), a, b)
    except ev.RunNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return render(request, "eval_diff.html", {"d": view}, user=user)


@router.get("/evals/{run_id}/report", response_class=HTMLResponse)
def eval_report(
    settings: SettingsDep,
    run_id: str,
    baseline: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """The self-contained HTML report of `clarity eval report` (against `baseline` if given)."""
    from evals.report import html_report

    try:
        run = ev.load(runs_dir(settings), run_id)
        base = ev.load(runs_dir(settings), baseline) if baseline else None
    except ev.RunNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return HTMLResponse(html_report(run, base))


@router.get("/evals/{run_id}", response_class=HTMLResponse)
def eval_run_page(
    request: Request, settings: SettingsDep, user: CurrentUser, run_id: str
) -> HTMLResponse:
    try:
        view = ev.get_run(runs_dir(settings), run_id)
    except ev.RunNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    return render(request, "eval_run.html", {"v": view}, user=user)
