"""The HTML eval report opens in a real browser (Debian's chromium through Playwright) and
shows the run: its title, the pass count and a failing case from the run record."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from evals.report import html_report
from tests.api.test_browser import CHROMIUM, SCREENSHOTS, _require_chromium


def _run() -> dict:
    # A hand-made run record: 2 cases, one failing on a grounding check.
    return {
        "run_id": "r-test",
        "suite": "briefing",
        "model": "template",
        "prompt_version": "v1",
        "prompt_hash": "abc123def456abc",
        "dataset_hash": "0123456789abcdef",
        "git_commit": "deadbeefcafe",
        "cases": 2,
        "passed": 1,
        "errors": 0,
        "pass_rate": 0.5,
        "results": [
            {"id": "ok-case", "passed": True, "checks": {"grounded": []}},
            {
                "id": "adv-<script>",
                "passed": False,
                "checks": {"grounded": ["headline: '$999,999' matches no fact"]},
            },
        ],
    }


def test_the_report_opens_in_chromium(tmp_path: Path) -> None:
    _require_chromium()
    report = tmp_path / "report.html"
    report.write_text(html_report(_run()), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        try:
            page.goto(report.as_uri())
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Evals · briefing · template · r-test"
            )
            expect(page.locator("body")).to_contain_text("1/2 passed (50.0%)")
            # The hostile case id is shown as text, not run as markup.
            expect(page.locator("td", has_text="adv-<script>")).to_have_count(1)
            expect(page.locator("body")).to_contain_text("'$999,999' matches no fact")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / "eval-report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 1000  # a real rendering, not an empty image
        finally:
            browser.close()
