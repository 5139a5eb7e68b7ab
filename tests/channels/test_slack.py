"""Slack delivery against a local webhook / Web API stub."""

from __future__ import annotations

import pytest

from agent.briefing.render import (
    SLACK_HEADER_LIMIT,
    SLACK_MAX_BLOCKS,
    SLACK_SECTION_LIMIT,
    slack_blocks,
)
from agent.briefing.state import CallLine, WrittenBriefing, WrittenPoint
from channels.base import DeliveryError, OutgoingMessage
from channels.slack import SlackBotChannel, SlackWebhookChannel
from tests.agent.briefing.sample import CANARY_PATIENTS, sample_gathered
from tests.http_stub import Reply, StubServer


def test_webhook_success_needs_200_and_ok(message: OutgoingMessage) -> None:
    with StubServer([Reply(200, "ok")]) as stub:
        assert SlackWebhookChannel(f"{stub.url}/hook").send(message, "webhook") == "ok"
    payload = stub.requests[0].json()
    assert payload["text"] == message.slack_text
    assert payload["blocks"] == list(message.slack_blocks)
    # Slack keeps pseudonyms: no patient name or phone in a third-party chat log.
    sent = stub.requests[0].body.decode()
    for first, last, phone, email in CANARY_PATIENTS.values():
        assert first not in sent and last not in sent and phone not in sent and email not in sent
    assert "P-101" in sent


def test_webhook_429_is_retried_after_retry_after(message: OutgoingMessage) -> None:
    replies = [Reply(429, "rate_limited", headers={"Retry-After": "0"}), Reply(200, "ok")]
    with StubServer(replies) as stub:
        SlackWebhookChannel(f"{stub.url}/hook").send(message, "webhook")
    assert len(stub.requests) == 2


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(500, "server_error"), "answered 500"),
        (Reply(400, "invalid_blocks"), "answered 400: invalid_blocks"),
        (Reply(200, "not ok"), "answered 200: not ok"),  # 200 alone is not success
    ],
)
def test_webhook_failures_raise(message: OutgoingMessage, reply: Reply, error: str) -> None:
    with StubServer([reply]) as stub, pytest.raises(DeliveryError, match=error):
        SlackWebhookChannel(f"{stub.url}/hook").send(message, "webhook")
    assert len(stub.requests) == 1  # only 429 is retried in-process


def test_bot_token_posts_to_chat_post_message(message: OutgoingMessage) -> None:
    with StubServer([Reply(200, {"ok": True, "ts": "1732500000.0001"})]) as stub:
        channel = SlackBotChannel("xoxb-test", "#briefings", base_url=f"{stub.url}/api/")
        assert channel.send(message, "#briefings") == "1732500000.0001"
    request = stub.requests[0]
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-test"


def test_bot_token_api_error_raises(message: OutgoingMessage) -> None:
    with StubServer([Reply(200, {"ok": False, "error": "channel_not_found"})]) as stub:
        channel = SlackBotChannel("xoxb-test", "#nope", base_url=f"{stub.url}/api/")
        with pytest.raises(DeliveryError, match="channel_not_found"):
            channel.send(message, "#nope")


def test_blocks_stay_within_slack_limits_for_an_oversized_briefing() -> None:
    long = "word " * 1500  # 7,500 characters
    written = WrittenBriefing(
        headline="H" * 400,
        points=[WrittenPoint(key=f"k{i}", title=long, text=long, action=long) for i in range(5)],
        call_list_intro="Call these patients.",
        call_list=[
            CallLine(patient_id=i, pseudonym=f"P-{i}", why="x" * 120, dollars_fact_id="d")
            for i in range(300)
        ],
        footer=long,
        writer="template",
    )
    blocks = slack_blocks(written, sample_gathered(), url="http://app/b", status="ok")
    assert len(blocks) <= SLACK_MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= SLACK_HEADER_LIMIT
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    texts += [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert max(len(text) for text in texts) <= SLACK_SECTION_LIMIT
    call_section = next(text for text in texts if text.startswith("Call these patients."))
    assert call_section.endswith("… more in Clarity")
