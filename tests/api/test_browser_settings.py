"""Settings, Sent & audit in a real browser (Debian's chromium through Playwright, as in
`tests/api/test_browser.py`): the owner changes a briefing subscription's local time on
Settings, sees it saved, and finds it saved after a reload and in the audit log; changes
Greenwich's outreach send window and sees it saved; job failures are on the page; Patients
loads tomorrow's no-show list. Screenshots in var/test-screenshots/ (settings.png,
settings-policy.png, audit.png, patients-no-show.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlmodel import Session, SQLModel, select

from agent.outreach.location_policy import policy_for
from api.app import create_app
from store.db import make_engine
from store.models import Subscription
from tests.api.conftest import World, app_settings, build_world
from tests.api.serving import serving
from tests.api.test_admin_pages import add_admin_data
from tests.api.test_browser import (
    CHROMIUM,
    SCREENSHOTS,
    _free_port,
    _require_chromium,
    screenshot_on_failure,
    sign_in,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    _require_chromium()
    tmp = tmp_path_factory.mktemp("browser-settings")
    engine = make_engine(f"sqlite:///{tmp / 'clarity.db'}")
    SQLModel.metadata.create_all(engine)
    world = build_world(engine)
    add_admin_data(world)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(app_settings(tmp, app_base_url=base), engine=engine)
    try:
        with serving(app, port):
            yield base, world
    finally:
        engine.dispose()


def test_owner_changes_a_subscription_time_and_sees_it_saved(
    served: tuple[str, World],
) -> None:
    base, world = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            with screenshot_on_failure(page, "settings-failure"):
                page.goto(f"{base}/login")
                sign_in(page, world.email["owner"])
                page.get_by_role("link", name="Settings").click()
                expect(
                    page.get_by_role("heading", name="Your briefing subscriptions")
                ).to_be_visible()
                expect(page.locator("#failures")).to_contain_text("Greenwich job failed")
                row = page.locator(".subscription").filter(has_text="Greenwich").first
                row.get_by_label("Send hour for Greenwich").select_option("9")
                row.get_by_role("button", name="Save").click()
                saved = page.locator(".subscription").filter(has_text="Greenwich").first
                expect(saved.get_by_role("status")).to_have_text("Saved: email at 09:00")
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOTS / "settings.png"), full_page=True)
                page.reload()
                again = page.locator(".subscription").filter(has_text="Greenwich").first
                expect(again.get_by_label("Send hour for Greenwich")).to_have_value("9")
                # Greenwich's outreach policy: texts only 10:00–12:00 from now on.
                policy = page.locator(f"#policy-{world.loc['A1']}")
                policy.get_by_label("Send window start for Greenwich").select_option("10")
                policy.get_by_label("Send window end for Greenwich").select_option("12")
                policy.get_by_role("button", name="Save policy").click()
                saved_policy = page.locator(f"#policy-{world.loc['A1']}")
                # The waiting drafts are checked again; this world's drafts link to
                # http://testserver, not this server, so the `links` rule now blocks them.
                expect(saved_policy.get_by_role("status")).to_have_text(
                    re.compile(
                        r"^Saved: window start 9 → 10, window end 20 → 12; "
                        r"\d+ waiting drafts? checked again, \d+ now blocked$"
                    )
                )
                expect(saved_policy).to_contain_text("Send window 10:00–12:00 (America/New_York)")
                page.screenshot(path=str(SCREENSHOTS / "settings-policy.png"), full_page=True)
                page.get_by_role("link", name="Audit").click()
                page.locator("select[name=action]").select_option("subscription.update")
                page.get_by_role("button", name="Filter").click()
                expect(page.locator("table.audit tbody")).to_contain_text(world.email["owner"])
                expect(page.locator("table.audit tbody")).to_contain_text("send_hour_local")
                page.screenshot(path=str(SCREENSHOTS / "audit.png"), full_page=True)
                # Patients: tomorrow's no-show list is loaded into the page by htmx.
                page.get_by_role("link", name="Patients").click()
                page.wait_for_url("**/patients")
                calls = page.locator("#no-show-list")
                # The first scoring imports scikit-learn and fits: allow it more than 5 s.
                expect(calls).to_contain_text("Alice Adams", timeout=20_000)
                expect(calls).to_contain_text("20% · $80")
                expect(page).to_have_title("Patients · Clarity")
                page.screenshot(path=str(SCREENSHOTS / "patients-no-show.png"), full_page=True)
        finally:
            browser.close()
    with Session(world.engine) as s:
        sub = s.exec(
            select(Subscription).where(
                Subscription.user_id == world.user["owner"],
                Subscription.scope == f"location:{world.loc['A1']}",
            )
        ).one()
    assert sub.send_hour_local == 9
    assert policy_for(world.engine, world.loc["A1"]).window == (10, 12)
