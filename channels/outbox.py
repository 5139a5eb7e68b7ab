"""The file outbox (default channel): each delivery becomes files under `var/outbox/`:
`<key>--<recipient>.eml` (the exact e-mail that SMTP would send) and `<key>--<recipient>.slack.json`
(the Slack payload, written when the message has Slack text or blocks). Files are written
atomically (temp file + rename)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from channels.base import OutgoingMessage
from channels.email import build_email


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", text).strip("_")[:80] or "recipient"


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class OutboxChannel:
    """Writes each message as files instead of sending it (the default, and for tests)."""

    name = "outbox"

    def __init__(self, directory: Path, *, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = f"{message.key}--{_slug(recipient)}"
        email = build_email(message, sender=self.sender, recipient=recipient)
        eml = self.directory / f"{stem}.eml"
        _write_atomic(eml, bytes(email))
        if message.slack_text is not None or message.slack_blocks:
            payload = {"text": message.slack_text, "blocks": list(message.slack_blocks)}
            _write_atomic(
                self.directory / f"{stem}.slack.json",
                json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8"),
            )
        return str(eml)
