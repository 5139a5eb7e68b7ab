"""The chat page in a real browser (Debian's chromium through Playwright, as in
`tests/api/test_browser.py`): a manager opens Ask from the navigation, asks a question, sees
the answer streamed over Server-Sent Events with the facts behind its figure, and a follow-up
about a location she may not see is refused in the same thread. With a model (an
OpenAI-compatible stub on loopback streaming its tokens) the draft shows while the model
writes and is replaced by the verified answer. Screenshots are kept in var/test-screenshots/
(chat.png, chat-draft.png, chat-verified.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import SQLModel

from api.app import create_app
from store.db import make_engine
from tests.agent.chat.fakes import streamed_text, streamed_tool_call
from tests.api.conftest import World, app_settings, build_world
from tests.api.serving import serving
from tests.api.test_browser import (  # noqa: F401  (module-scoped fixtures used below)
    PHONE_WIDTH,
    SCREENSHOTS,
    _free_port,
    _require_chromium,
    browser,
    screenshot_on_failure,
    served,
    sign_in,
)
from tests.http_stub import Reply, StubServer

#: How long the stub model takes to write its second answer: the first draft stays on screen.
RETRY_DELAY = 3.0


def test_manager_asks_and_sees_the_streamed_answer_with_its_facts(
    served: tuple[str, World],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, world = served
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, "chat-failed"):
        page.goto(f"{base}/")
        sign_in(page, world.email["manager"])
        page.get_by_role("link", name="Ask").click()
        expect(page.get_by_role("heading", name="Ask Clarity")).to_be_visible()
        page.fill("input[name=q]", "What was net revenue at Greenwich in October?")
        page.get_by_role("button", name="Ask", exact=True).click()
        turn = page.locator("article.turn").first
        fact_id = f"net_revenue.location-{world.loc['A1']}.2026-10"
        # Greenwich's October sales: 100.00 + 250.00 = $350 (tests/api/conftest.py).
        # The first question in the server process imports the chat and fits the router.
        expect(turn.locator(".answer")).to_contain_text(f"$350 [{fact_id}]", timeout=30_000)
        facts = turn.locator(".facts li")
        expect(facts).to_have_count(1)
        expect(facts.first).to_contain_text(fact_id)
        expect(facts.first).to_contain_text("Net revenue, Greenwich, 2026-10: $350")
        # A follow-up on the same thread about Westport (not hers): refused, no figure.
        page.fill("input[name=q]", "What was Westport's revenue last month?")
        page.get_by_role("button", name="Ask", exact=True).click()
        expect(page.locator("article.turn")).to_have_count(2)
        second = page.locator("article.turn").nth(1)
        expect(second.locator(".answer")).to_contain_text("don't have access to Westport")
        expect(second.locator(".facts")).to_have_count(0)
        assert "$999" not in page.locator("main").inner_text()
        # The first answer is still on the page (the thread is kept).
        expect(turn.locator(".answer")).to_contain_text("$350")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat.png"), full_page=True)
    context.close()


def test_the_chat_page_fits_a_phone(
    served: tuple[str, World],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, world = served
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 812}, is_mobile=True)
    page = context.new_page()
    with screenshot_on_failure(page, "chat-phone-failed"):
        page.goto(f"{base}/chat")
        sign_in(page, world.email["owner"])
        expect(page.get_by_role("heading", name="Ask Clarity")).to_be_visible()
        # The owner sees both locations in the picker.
        expect(page.locator("select[name=location] option")).to_have_count(3)
        page.get_by_role("button", name="Which patients are at risk?").click()
        expect(page.locator("article.turn .answer")).to_have_attribute(
            "data-state", "done", timeout=30_000
        )
        widest = page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        assert widest <= PHONE_WIDTH, f"page is {widest} px wide on a {PHONE_WIDTH} px phone"
    context.close()


@pytest.fixture(scope="module")
def served_with_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """The app with a model configured: a stub that calls the revenue tool, writes an answer
    with an invented figure (verification fails), then — after `RETRY_DELAY` — a correct one."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("browser-chat-model")
    engine = make_engine(f"sqlite:///{tmp / 'clarity.db'}")
    SQLModel.metadata.create_all(engine)
    world = build_world(engine)
    fact_id = f"net_revenue.location-{world.loc['A1']}.2026-10"
    args = {"metric": "net_revenue", "location_id": world.loc["A1"], "period": "2026-10"}
    replies = [
        Reply(body=streamed_tool_call("query_metric", args)),
        Reply(body=streamed_text(["Greenwich made ", "$9,999 in October."])),
        Reply(
            body=streamed_text(["Greenwich made ", f"$350 in October [{fact_id}]."]),
            delay=RETRY_DELAY,
        ),
    ]
    with StubServer(replies) as stub:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        settings = app_settings(
            tmp, app_base_url=base, llm_model="stub", llm_base_url=f"{stub.url}/v1"
        )
        app = create_app(settings, engine=engine)
        try:
            with serving(app, port):
                yield base, world
        finally:
            engine.dispose()


def test_the_models_draft_is_replaced_by_the_verified_answer(
    served_with_model: tuple[str, World],
    browser: Browser,  # noqa: F811
) -> None:
    base, world = served_with_model
    context = browser.new_context()
    page = context.new_page()
    with screenshot_on_failure(page, "chat-draft-failed"):
        page.goto(f"{base}/chat")
        sign_in(page, world.email["manager"])
        expect(page.get_by_role("heading", name="Ask Clarity")).to_be_visible()
        page.fill("input[name=q]", "What was net revenue at Greenwich in October?")
        page.get_by_role("button", name="Ask", exact=True).click()
        answer = page.locator("article.turn .answer")
        # The first answer streams as a draft; its invented figure fails verification and the
        # model is asked again (the stub takes RETRY_DELAY seconds), so the draft stays shown.
        draft = page.locator('article.turn .answer[data-state="draft"]')
        expect(draft).to_have_text("Greenwich made $9,999 in October.", timeout=30_000)
        expect(page.locator("article.turn .status")).to_contain_text("Draft")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "chat-draft.png"), full_page=True)
        fact_id = f"net_revenue.location-{world.loc['A1']}.2026-10"
        expect(answer).to_have_text(f"Greenwich made $350 in October [{fact_id}].")
        expect(answer).to_have_attribute("data-state", "done")
        expect(page.locator("article.turn .status")).to_have_text(
            "Every figure checked against the facts."
        )
        expect(page.locator("article.turn .facts li")).to_contain_text(f"{fact_id} Net revenue")
        page.screenshot(path=str(SCREENSHOTS / "chat-verified.png"), full_page=True)
    context.close()
