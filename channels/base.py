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


# --- shared interface for generic channels (ownership.md; the integrator merges) ---


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


class DeliveryOutcomeUnknown(Exception):
    """The provider may or may not have accepted the message (a timeout after the request
    left): the caller must reconcile, never blindly resend."""


class MessageChannel(Protocol):
    """Sends one message to one recipient; returns a receipt (provider id, file path, ts).
    (ownership.md calls this `Channel`; it replaces the briefing `Channel` at the merge.)"""

    name: str

    def send(self, message: OutgoingMessage, recipient: str) -> str: ...
