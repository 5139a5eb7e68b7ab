"""SMTP delivery against a real local SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import re
import ssl
from email.message import EmailMessage
from email.policy import default
from typing import Any, cast

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from channels.base import DeliveryError, OutgoingMessage
from channels.email import EmailChannel, SmtpConfig
from tests.agent.briefing.sample import CANARY_PATIENTS
from tests.channels.conftest import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=default)


def test_mime_structure_text_html_and_inline_images(message: OutgoingMessage) -> None:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=port, security="none"))
        receipt = channel.send(message, "owner@practice.example")
    finally:
        controller.stop()
    [(recipients, raw)] = inbox.messages
    assert recipients == ["owner@practice.example"]
    msg = parsed(raw)
    assert msg["Message-ID"] == receipt
    assert msg.get_content_type() == "multipart/alternative"
    plain, related = cast(list[Any], msg.get_payload())
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = cast(list[Any], related.get_payload())
    assert html.get_content_type() == "text/html"
    # The revenue trend, the dollars-per-point bars and the first point's own series.
    assert [i.get_content_type() for i in images] == ["image/png"] * 3
    body = html.get_content()
    for image in images:
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in body
        assert image.get_payload(decode=True).startswith(b"\x89PNG")
    assert "<script" not in body.lower()
    # Names are resolved for the owner's e-mail (inside the practice's own delivery).
    first, last, _, _ = CANARY_PATIENTS[101]
    assert f"{first} {last}" in plain.get_content() and f"{first} {last}" in body
    assert "(203) 555-0147" in plain.get_content()


def test_starttls_with_auth_and_a_wrong_password(message: OutgoingMessage) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"clarity",
            b"s3cret",
        )
        return AuthResult(success=ok, handled=False)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        good = SmtpConfig(host="127.0.0.1", port=port, username="clarity", password="s3cret")
        EmailChannel(good, ssl_context=client_context).send(message, "owner@practice.example")
        bad = SmtpConfig(host="127.0.0.1", port=port, username="clarity", password="nope")
        with pytest.raises(DeliveryError, match="SMTPAuthenticationError"):
            EmailChannel(bad, ssl_context=client_context).send(message, "owner@practice.example")
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_unreachable_server_is_a_delivery_error(message: OutgoingMessage) -> None:
    port = free_port()  # nothing listens here
    channel = EmailChannel(SmtpConfig(host="127.0.0.1", port=port, security="none"))
    with pytest.raises(DeliveryError, match=re.escape(f"SMTP 127.0.0.1:{port}")):
        channel.send(message, "owner@practice.example")
