"""The manager sees the dashboard heat map in a real browser (Playwright driving Debian's
chromium, headless; see tests/api/test_browser.py), on the hand-built practice of
tests/tools/handmade.py, whose October 2026 slots are computed by hand there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlmodel import Session, SQLModel

from api.app import create_app
from store.db import make_engine
from store.models import User, UserLocation
from tests.api.conftest import PASSWORD, app_settings, password_hash
from tests.api.serving import serving
from tests.api.test_browser import CHROMIUM, _free_port, _require_chromium, screenshot_on_failure
from tests.tools import handmade

MANAGER = "manager@backbay.example.com"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The hand-built practice with a manager of Back Bay (location 1), served on loopback."""
    _require_chromium()
    tmp: Path = tmp_path_factory.mktemp("browser-dashboard")
    engine = make_engine(f"sqlite:///{tmp / 'clarity.db'}")
    SQLModel.metadata.create_all(engine)
    handmade.build(engine)
    with Session(engine) as s:
        user = User(
            organization_id=1,
            email=MANAGER,
            name="Mia Manager",
            role="manager",
            password_hash=password_hash(),
        )
        s.add(user)
        s.flush()
        assert user.id is not None
        s.add(UserLocation(user_id=user.id, location_id=1))
        s.commit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(app_settings(tmp, app_base_url=base), engine=engine)
    try:
        with serving(app, port):
            yield base
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def test_manager_sees_the_dashboard_heat_map(served: str, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, "dashboard-heat-map"):
        page.goto(f"{served}/dashboard?period=2026-10")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.fill("input[name=email]", MANAGER)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        expect(page.get_by_role("heading", name="Utilization by weekday × hour")).to_be_visible()
        heat = page.locator("table.heat")
        expect(heat).to_be_visible()
        # Rows Mon–Sun; hours 10–23 (the first and last booked hour at Back Bay in October).
        expect(heat.locator("tbody tr")).to_have_count(7)
        expect(heat.locator("thead th")).to_have_count(1 + 14 + 1)
        # Thu 10:00: Ben's $800 filler, the busiest slot (25% utilized) → darkest shade;
        # Tue 10:00: $450 at 12.5% → level 2 (tests/tools/test_slots.py by hand).
        thursday = heat.locator('td[data-slot="Thu-10"]')
        expect(thursday).to_have_text("$800")
        expect(thursday).to_have_class("lvl4")
        expect(heat.locator('td[data-slot="Tue-10"]')).to_have_text("$450")
        darkest = thursday.evaluate("el => getComputedStyle(el).backgroundColor")
        lighter = heat.locator('td[data-slot="Tue-10"]').evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        assert darkest == "rgb(31, 79, 209)" and lighter != darkest  # dashboard.css lvl4
        expect(page.locator("#heatmap")).to_contain_text("total $2,750")
        # Drill into a provider from the P&L table: Ana's slots only.
        page.click("#providers a:has-text('Ana')")
        expect(page.get_by_role("heading", name="Ana")).to_be_visible()
        expect(page.locator("#heatmap")).to_contain_text("total $1,950")
    context.close()
