"""Every channel carries any `OutgoingMessage`, not only briefings: a plain-text message (a
patient reminder, say) with no subject, HTML, images or Slack content."""

from __future__ import annotations

import json
from pathlib import Path

from aiosmtpd.controller import Controller
from pydantic import SecretStr

from channels.base import Channel, OutgoingMessage
from channels.email import EmailChannel, SmtpConfig
from channels.outbox import OutboxChannel
from channels.registry import FACTORIES, channels_from_settings
from channels.slack import SlackWebhookChannel
from clarity.settings import Settings
from tests.channels.conftest import free_port
from tests.channels.test_email import Inbox, parsed
from tests.http_stub import Reply, StubServer

PLAIN = OutgoingMessage(key="outreach-7", text="Time for your touch-up: reply YES to book.")


def test_email_of_a_plain_message_is_text_only() -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        EmailChannel(SmtpConfig(host="127.0.0.1", port=port, security="none")).send(
            PLAIN, "patient@example.com"
        )
    finally:
        controller.stop()
    [(_, raw)] = inbox.messages
    msg = parsed(raw)
    assert msg.get_content_type() == "text/plain"
    assert msg["Subject"] is None
    assert msg.get_content().strip() == PLAIN.text
    assert "outreach-7" in msg["Message-ID"]


def test_slack_posts_the_plain_text_when_there_is_no_slack_text() -> None:
    with StubServer([Reply(200, "ok")]) as stub:
        assert SlackWebhookChannel(f"{stub.url}/hook").send(PLAIN, "webhook") == "ok"
    payload = stub.requests[0].json()
    assert payload["text"] == PLAIN.text
    assert "blocks" not in payload or payload["blocks"] in (None, [])


def test_outbox_writes_only_the_email_for_a_message_without_slack_content(
    tmp_path: Path,
) -> None:
    receipt = OutboxChannel(tmp_path, sender="Clarity <c@example.com>").send(PLAIN, "P 1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outreach-7--P_1.eml"]
    assert receipt == str(tmp_path / "outreach-7--P_1.eml")
    with_slack = OutgoingMessage(key="k", text="t", slack_text="s", slack_blocks=({"a": 1},))
    OutboxChannel(tmp_path, sender="c@example.com").send(with_slack, "r")
    payload = json.loads((tmp_path / "k--r.slack.json").read_text())
    assert payload == {"text": "s", "blocks": [{"a": 1}]}


def test_registry_builds_enabled_and_configured_channels(tmp_path: Path) -> None:
    settings = Settings(
        outbox_dir=tmp_path,
        delivery_channels=["outbox", "slack"],
        slack_webhook_url=SecretStr("http://127.0.0.1:9/hook"),
        smtp_host="127.0.0.1",  # configured, but e-mail is not enabled
    )
    assert sorted(channels_from_settings(settings)) == ["outbox", "slack"]
    assert sorted(channels_from_settings(Settings(outbox_dir=tmp_path))) == ["outbox"]


def test_a_new_channel_is_one_factory() -> None:
    class Pigeon:
        name = "pigeon"

        def send(self, message: OutgoingMessage, recipient: str) -> str:
            return "coo"

    def pigeon(settings: Settings) -> Channel | None:
        return Pigeon()

    built = channels_from_settings(Settings(), {**FACTORIES, "pigeon": pigeon})
    assert built["pigeon"].send(PLAIN, "roof") == "coo"
