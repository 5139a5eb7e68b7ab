"""The file outbox (default channel): each delivery becomes files under `var/outbox/`:
`<key>--<recipient>.eml` (the exact e-mail that SMTP would send) and `<key>--<recipient>.slack.json`
(the Slack payload). Files are written atomically (temp file + rename)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from channels.base import OutgoingBriefing
from channels.email import build_email


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]+", "_", text).strip("_")[:80] or "recipient"


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class OutboxChannel:
    name = "outbox"

    def __init__(self, directory: Path, *, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    def send(self, message: OutgoingBriefing, recipient: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = f"{message.key}--{_slug(recipient)}"
        email = build_email(message, sender=self.sender, recipient=recipient)
        eml = self.directory / f"{stem}.eml"
        _write_atomic(eml, bytes(email))
        payload = {"text": message.slack_text, "blocks": message.slack_blocks}
        _write_atomic(
            self.directory / f"{stem}.slack.json",
            json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8"),
        )
        return str(eml)
