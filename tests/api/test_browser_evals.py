"""The Evals pages in a real browser (Debian's chromium through Playwright, as in
`tests/api/test_browser.py`): the evaluator opens the run list from the navigation, a run's
per-case verdicts, the diff of two runs and the run's HTML report; a screenshot of each is kept
in var/test-screenshots/ (evals-runs.png, evals-diff.png, evals-run.png, evals-report.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import SQLModel

from api.app import create_app
from store.db import make_engine
from tests.api.conftest import World, app_settings, build_world
from tests.api.serving import serving
from tests.api.test_browser import (
    CHROMIUM,
    PHONE_WIDTH,
    SCREENSHOTS,
    _free_port,
    _require_chromium,
    screenshot_on_failure,
    sign_in,
)
from tests.api.test_evals_page import write_runs


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    _require_chromium()
    tmp = tmp_path_factory.mktemp("browser-evals")
    engine = make_engine(f"sqlite:///{tmp / 'clarity.db'}")
    SQLModel.metadata.create_all(engine)
    world = build_world(engine)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(app_settings(tmp, app_base_url=base), engine=engine)
    write_runs(app)
    try:
        with serving(app, port):
            yield base, world
    finally:
        engine.dispose()


def _shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    assert path.stat().st_size > 1000  # a real rendering, not an empty image


def test_the_evaluator_opens_runs_a_run_and_a_diff(served: tuple[str, World]) -> None:
    base, world = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        try:
            with screenshot_on_failure(page, "evals-failure"):
                page.goto(f"{base}/")
                sign_in(page, world.email["evaluator"])
                page.get_by_role("link", name="Evals").click()
                expect(page.get_by_role("heading", name="Eval runs")).to_be_visible()
                expect(page.locator("table.runs tr")).to_have_count(3)  # header + 2 runs
                expect(page.locator("table.runs")).to_contain_text("60.0%")
                _shot(page, "evals-runs")
                # the form compares the older run (before) with the newer (after)
                page.click("form.diff-form button")
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    "20261130T200000-briefing-aaaaaa → 20261130T210000-briefing-bbbbbb"
                )
                expect(page.locator("tr.regressed")).to_contain_text("'$999,999' <b>matches</b>")
                _shot(page, "evals-diff")
                page.goto(f"{base}/evals")
                page.locator("table.runs a", has_text="bbbbbb").click()
                expect(page.locator("main")).to_contain_text("3/5 passed (60.0%)")
                expect(page.locator("table.cases .badge-unverified")).to_have_count(2)
                _shot(page, "evals-run")
                # the HTML report (as `clarity eval report` writes it), against the older run
                page.get_by_role("link", name="against 20261130T200000-briefing-aaaaaa").click()
                expect(page.get_by_role("heading", level=1)).to_have_text(
                    "Evals · briefing · template · 20261130T210000-briefing-bbbbbb"
                )
                expect(page.locator("body")).to_contain_text("50.0% → 60.0%")
                expect(page.locator("tr", has_text="regressed")).to_contain_text("b")
                _shot(page, "evals-report")
        finally:
            browser.close()


def test_the_run_list_fits_a_phone(served: tuple[str, World]) -> None:
    base, world = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(
            viewport={"width": PHONE_WIDTH, "height": 812}, is_mobile=True
        )
        page = context.new_page()
        try:
            with screenshot_on_failure(page, "evals-phone"):
                page.goto(f"{base}/evals")
                sign_in(page, world.email["owner"])
                expect(page.get_by_role("heading", name="Eval runs")).to_be_visible()
                # wide tables scroll inside their card; the page itself does not
                widest = page.evaluate(
                    "() => Math.max(document.documentElement.scrollWidth,"
                    " document.body.scrollWidth)"
                )
                assert widest <= PHONE_WIDTH, f"page is {widest} px wide"
        finally:
            browser.close()
