"""E-mail for generic messages: an `OutgoingMessage` sent through the existing e-mail channels
(`EmailChannel` over SMTP, or the file outbox), which take the briefing's message type."""

from __future__ import annotations

from html import escape

from channels.base import Channel, OutgoingBriefing, OutgoingMessage


def as_briefing(message: OutgoingMessage) -> OutgoingBriefing:
    html = message.html or "<p>" + escape(message.text).replace("\n", "<br>") + "</p>"
    return OutgoingBriefing(
        key=message.key,
        subject=message.subject or "",
        text=message.text,
        html=html,
        slack_text=message.slack_text or message.text,
        slack_blocks=list(message.slack_blocks),
        images=list(message.images),
    )


class MessageEmailChannel:
    """Adapts a briefing e-mail channel to `OutgoingMessage`."""

    name = "email"

    def __init__(self, inner: Channel) -> None:
        self.inner = inner

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        return self.inner.send(as_briefing(message), recipient)
