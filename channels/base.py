"""What every delivery channel receives and how it reports failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside the HTML by Content-ID (`<img src="cid:{cid}">`)."""

    cid: str
    png: bytes
    filename: str


@dataclass(frozen=True)
class OutgoingBriefing:
    """A briefing ready to send: every format, names already resolved where they belong."""

    key: str  # stable per briefing, e.g. "briefing-12" (file names, Message-ID)
    subject: str
    text: str
    html: str
    slack_text: str
    slack_blocks: list[dict[str, Any]]
    images: list[InlineImage] = field(default_factory=list)


class DeliveryError(Exception):
    """A send failed; the message is one line without secrets or message content."""


class Channel(Protocol):
    """Sends one briefing to one recipient; returns a receipt (message id, file path, ts)."""

    name: str

    def send(self, message: OutgoingBriefing, recipient: str) -> str: ...
