"""SMS: Twilio through the `twilio` library, or the file outbox when Twilio is not configured.

Outcomes of a send, as the caller must treat them:
- a receipt (the Twilio message SID, or the outbox file path): the provider accepted it;
- `DeliveryError` (`SmsOptedOut` for Twilio error 21610): refused for certain, nothing sent;
- `DeliveryOutcomeUnknown`: the request may have reached Twilio (read timeout, connection
  dropped, a 5xx) — reconcile with `lookup`, never resend blindly.

`lookup` asks the provider what it knows of a message: by SID when we have one, else by listing
messages to the recipient since the send started and matching the exact body (each outreach
message's text is unique to it), which is how a message whose SID we never saw is found.
The status-callback URL carries our idempotency key (`?key=outreach-12`), so a delivery report
can also be tied to a message we never got the SID of. Nothing here logs a number or a body.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from channels.base import DeliveryError, DeliveryOutcomeUnknown, OutgoingMessage
from clarity.settings import Settings

OPTED_OUT_CODE = 21610
FAILED_STATUSES = frozenset({"failed", "undelivered", "canceled"})


class SmsOptedOut(DeliveryError):
    """The recipient has replied STOP to this sender (Twilio 21610): never text them again."""


@dataclass(frozen=True)
class ProviderRecord:
    """What the provider knows of one message."""

    sid: str
    status: str  # queued, accepted, sending, sent, delivered, failed, undelivered, …
    error_code: int | None = None


class Reconcilable(Protocol):
    def lookup(
        self, *, sid: str | None, key: str, recipient: str, text: str, since: datetime | None
    ) -> ProviderRecord | None: ...


def _safe_detail(exc: Exception) -> str:
    """Exception class and HTTP status only: Twilio's messages can quote the phone number."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    parts = [type(exc).__name__]
    if status:
        parts.append(f"HTTP {status}")
    if code:
        parts.append(f"code {code}")
    return ", ".join(parts)


def _never_connected(exc: Exception) -> bool:
    """True when the request cannot have left: the TCP connection was never made."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class TwilioSmsChannel:
    """Sends with `client.messages.create(..., status_callback=...)`."""

    name = "sms"

    def __init__(self, client: Any, from_number: str, *, status_callback: str | None = None):
        self.client = client
        self.from_number = from_number
        self.status_callback = status_callback

    def _callback(self, key: str) -> str | None:
        if not self.status_callback:
            return None
        joiner = "&" if "?" in self.status_callback else "?"
        return f"{self.status_callback}{joiner}{urlencode({'key': key})}"

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        options: dict[str, Any] = {"to": recipient, "from_": self.from_number}
        callback = self._callback(message.key)
        if callback:
            options["status_callback"] = callback
        try:
            created = self.client.messages.create(body=message.text, **options)
        except TwilioRestException as exc:
            if exc.code == OPTED_OUT_CODE:
                raise SmsOptedOut(f"Twilio {OPTED_OUT_CODE}: the recipient opted out") from None
            if exc.status >= 500:
                raise DeliveryOutcomeUnknown(f"Twilio answered {_safe_detail(exc)}") from None
            raise DeliveryError(f"Twilio refused the message ({_safe_detail(exc)})") from None
        except requests.exceptions.RequestException as exc:
            if _never_connected(exc):
                raise DeliveryError(f"Twilio not reachable ({_safe_detail(exc)})") from None
            raise DeliveryOutcomeUnknown(f"no answer from Twilio ({_safe_detail(exc)})") from None
        return str(created.sid)

    def lookup(
        self, *, sid: str | None, key: str, recipient: str, text: str, since: datetime | None
    ) -> ProviderRecord | None:
        from twilio.base.exceptions import TwilioRestException

        try:
            if sid:
                found = self.client.messages(sid).fetch()
                return ProviderRecord(str(found.sid), str(found.status), found.error_code)
            options: dict[str, Any] = {"to": recipient, "limit": 200}
            if since is not None:
                options["date_sent_after"] = since
            for item in self.client.messages.list(**options):
                if item.body == text:
                    return ProviderRecord(str(item.sid), str(item.status), item.error_code)
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise DeliveryOutcomeUnknown(f"Twilio lookup failed ({_safe_detail(exc)})") from None
        return None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]+", "_", text).strip("_")[:80] or "recipient"


class FileSmsChannel:
    """The demo SMS channel: `<dir>/<key>--<recipient>.sms.json`, written atomically. Sending
    the same key to the same recipient again returns the existing file (idempotent)."""

    name = "sms"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, key: str, recipient: str) -> Path:
        return self.directory / f"{_slug(key)}--{_slug(recipient)}.sms.json"

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(message.key, recipient)
        if path.exists():
            return str(path)
        payload = {"key": message.key, "to": recipient, "body": message.text}
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
        return str(path)

    def lookup(
        self, *, sid: str | None, key: str, recipient: str, text: str, since: datetime | None
    ) -> ProviderRecord | None:
        path = self.path_for(key, recipient)
        return ProviderRecord(str(path), "delivered") if path.exists() else None


def twilio_configured(settings: Settings) -> bool:
    return bool(
        settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number
    )


TWILIO_API = "https://api.twilio.com"


def rebased_http_client(base_url: str, timeout: float = 10.0) -> Any:
    """The Twilio HTTP client sending to `base_url` instead of https://api.twilio.com."""
    from twilio.http.http_client import TwilioHttpClient

    class RebasedHttpClient(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(
                method, url.replace(TWILIO_API, base_url.rstrip("/")), *args, **kwargs
            )

    return RebasedHttpClient(timeout=timeout)


def sms_channel_from_settings(
    settings: Settings, *, http_client: Any = None
) -> TwilioSmsChannel | FileSmsChannel:
    """Twilio when its account SID, auth token and sender number are set; else the file outbox
    under `<outbox>/sms/`. `http_client` (a `TwilioHttpClient`) lets tests point at a stub."""
    if not twilio_configured(settings):
        return FileSmsChannel(settings.resolved_outbox_dir / "sms")
    from twilio.rest import Client

    assert settings.twilio_auth_token is not None and settings.twilio_from_number is not None
    if http_client is None and settings.twilio_api_base_url:
        http_client = rebased_http_client(settings.twilio_api_base_url)
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )
    callback = settings.app_base_url.rstrip("/") + "/webhooks/twilio/status"
    return TwilioSmsChannel(client, settings.twilio_from_number, status_callback=callback)
