"""What every delivery channel receives and how it reports failure.

A channel is a transport only: it sends one `OutgoingMessage` to one recipient and returns a
receipt, or raises. Which messages were sent to whom, retries and backoff are the caller's
bookkeeping (`channels.delivery` for briefings), never the transport's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside the HTML by Content-ID (`<img src="cid:{cid}">`)."""

    cid: str
    png: bytes
    filename: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient on any channel. `key` is stable per message
    ("briefing-12", "outreach-345"): file names, e-mail Message-ID and idempotency use it."""

    key: str
    text: str
    subject: str | None = None
    html: str | None = None
    images: tuple[InlineImage, ...] = ()
    slack_text: str | None = None
    slack_blocks: tuple[dict[str, Any], ...] = ()


class DeliveryError(Exception):
    """A send failed for certain; the message is one line without secrets or message content."""


class DeliveryOutcomeUnknown(Exception):
    """The provider may or may not have accepted the message (a timeout after the request
    left): the caller must reconcile, never blindly resend."""


class Channel(Protocol):
    """Sends one message to one recipient; returns a receipt (provider id, file path, ts)."""

    name: str

    def send(self, message: OutgoingMessage, recipient: str) -> str: ...
