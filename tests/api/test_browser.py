"""The pages in a real browser: Playwright for Python driving Debian's chromium (headless), the
app served by uvicorn on loopback from a thread. SQLite only: the browser checks pages and
htmx, the store is covered on both databases by the other API tests.

Chromium comes from `apt-get install -y chromium`; without it these tests skip, except under
CI=true where they fail. A failing test leaves a screenshot in var/test-screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import SQLModel

from api.app import create_app
from store.db import make_engine
from tests.api.conftest import PASSWORD, World, app_settings, build_world
from tests.api.serving import free_port, serving

CHROMIUM = os.environ.get("CLARITY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE_WIDTH = 375
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test-screenshots"


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


_free_port = free_port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The app with the hand-built world on SQLite, served on a free loopback port."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("browser")
    engine = make_engine(f"sqlite:///{tmp / 'clarity.db'}")
    SQLModel.metadata.create_all(engine)
    world = build_world(engine)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(app_settings(tmp, app_base_url=base), engine=engine)
    try:
        with serving(app, port):
            yield base, world
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser(served: tuple[str, World]) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def screenshot_on_failure(page: Page, name: str) -> Iterator[None]:
    try:
        yield
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        raise


def sign_in(page: Page, email: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def test_owner_opens_a_briefing_from_its_email_link(
    served: tuple[str, World], browser: Browser
) -> None:
    base, world = served
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, "email-link"):
        # The link as agent/render.py builds it for e-mail and Slack.
        link = f"{base}/briefings/location:{world.loc['A1']}/2026-11-24"
        page.goto(link)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.fill("input[name=email]", world.email["owner"])
        page.fill("input[name=password]", "not the password")
        page.click("main button[type=submit]")
        # htmx swaps the 401 answer in (htmx-config in base.html), so the reason is shown.
        expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
        sign_in(page, world.email["owner"])
        expect(page.get_by_role("heading", name="Headline for Greenwich")).to_be_visible()
        assert page.url == link
        expect(page.locator(".call").first).to_contain_text("Alice Adams")
        expect(page.locator(".badge").first).to_have_text("Verified: all 7 figures match the data")
        # Sign out is a POST through htmx carrying the CSRF header.
        page.click("form.signout button")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.goto(f"{base}/api/v1/me")
        assert "not signed in" in page.content()
    context.close()


def test_today_fits_a_phone_without_horizontal_scrolling(
    served: tuple[str, World], browser: Browser
) -> None:
    base, world = served
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 812}, is_mobile=True)
    page = context.new_page()
    with screenshot_on_failure(page, "phone-today"):
        page.goto(f"{base}/")
        sign_in(page, world.email["owner"])
        expect(page.get_by_role("heading", name="Today")).to_be_visible()
        expect(page.locator("article.briefing")).to_have_count(3)  # org, Greenwich, Westport
        # Widest content vs the phone's 375 px layout width (innerWidth can grow with content
        # on a mobile viewport, so compare with the fixed width).
        widest = page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        assert widest <= PHONE_WIDTH, f"page is {widest} px wide on a {PHONE_WIDTH} px phone"
    context.close()


def test_front_desk_sees_no_dashboard_and_evaluator_no_names(
    served: tuple[str, World], browser: Browser
) -> None:
    base, world = served
    for role, sees_names in (("front_desk", True), ("evaluator", False)):
        context = browser.new_context()
        page = context.new_page()
        with screenshot_on_failure(page, f"today-{role}"):
            page.goto(f"{base}/")
            sign_in(page, world.email[role])
            expect(page.get_by_role("heading", name="Headline for Greenwich")).to_be_visible()
            expect(page.get_by_role("link", name="Dashboard")).to_have_count(0)
            text = page.locator("main").inner_text()
            assert ("Alice Adams" in text) is sees_names
            assert f"P-{world.patient['A1']}" in text
        context.close()


def test_front_desk_approves_one_draft_and_edits_another(
    served: tuple[str, World], browser: Browser
) -> None:
    base, world = served
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, "queue-front-desk"):
        page.goto(f"{base}/queue")
        sign_in(page, world.email["front_desk"])
        expect(page.get_by_role("heading", name="Approval queue")).to_be_visible()
        # Greenwich's three pending drafts (A1, A1-second, A1-blocked); Westport's is not hers.
        expect(page.locator("article.msg")).to_have_count(3)
        counts = page.locator("#counts")
        expect(counts.get_by_text("pending approval")).to_contain_text("3")
        first = page.locator(f"#msg-{world.message['A1']}")
        expect(first).to_contain_text("Alice Adams")
        # Keyboard: j selects the first draft, a approves it.
        page.keyboard.press("j")
        expect(first).to_have_class(re.compile(r"\bselected\b"))
        page.keyboard.press("a")
        expect(first.locator(".state")).to_have_text("scheduled")
        expect(counts.get_by_text("pending approval")).to_contain_text("2")
        # The blocked draft: approval disabled; edit it, the policy re-checked as she types.
        blocked = page.locator(f"#msg-{world.message['A1-blocked']}")
        expect(blocked.locator("button.approve")).to_be_disabled()
        blocked.locator("details.edit summary").click()
        area = blocked.locator("textarea[name=template]")
        area.fill("Hi {first_name}, your filler is due at {practice_name}")
        expect(blocked.locator(".check")).to_contain_text("health_detail")
        area.fill(
            "Hi {first_name}, {practice_name} here. Book: {booking_link} Reply STOP to opt out"
        )
        expect(blocked.locator(".check")).to_contain_text("Policy passed")
        expect(blocked.locator(".check")).to_contain_text("Hi Alice, Glow Medspa here.")
        blocked.locator("button.save").click()
        expect(blocked.locator(".state")).to_have_text("scheduled")
        expect(blocked).to_contain_text(f"by {world.email['front_desk']}")
        expect(counts.get_by_text("pending approval")).to_contain_text("1")
        expect(counts.get_by_text("scheduled")).to_contain_text("2")
        # Reload: the states are stored, not just swapped in.
        page.goto(f"{base}/queue?state=scheduled")
        expect(page.locator("article.msg")).to_have_count(2)
    context.close()
