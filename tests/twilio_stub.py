"""A Twilio-compatible Messages API on 127.0.0.1, in a thread, with injectable faults.

Endpoints: `POST /2010-04-01/Accounts/{Sid}/Messages.json` (form fields To, From, Body,
StatusCallback; 201 with the message JSON), `GET .../Messages/{MessageSid}.json` and
`GET .../Messages.json?To=...` (a one-page list). Faults, taken per POST from `faults` (a list
consumed in order, then `default`):
- "ok";
- "timeout_after_accept": record the message, then answer after `slow_seconds` (the client has
  timed out by then: the outcome is unknown to it, but the message exists);
- "timeout_before_accept": wait `slow_seconds`, then refuse without recording;
- "500": refuse with HTTP 500 without recording; "500_after_accept": record, then answer 500;
- "21610": 400 with Twilio error code 21610 (the recipient opted out).
`deliveries` counts accepted messages per idempotency key (the `key` query parameter of the
StatusCallback URL), so a duplicate send shows up as a count of 2.

Point the real client at it with `stub_http_client(stub)` (a `TwilioHttpClient` that rewrites
https://api.twilio.com to this server).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from twilio.http.http_client import TwilioHttpClient

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"


@dataclass
class StubMessage:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    status: str = "queued"
    error_code: int | None = None

    @property
    def key(self) -> str | None:
        if not self.status_callback:
            return None
        values = parse_qs(urlparse(self.status_callback).query).get("key")
        return values[0] if values else None

    def json(self, account: str) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": account,
            "to": self.to,
            "from": self.from_,
            "body": self.body,
            "status": self.status,
            "error_code": self.error_code,
            "num_segments": "1",
            "direction": "outbound-api",
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{self.sid}.json",
        }


@dataclass
class TwilioStub:
    faults: list[str] = field(default_factory=list)
    default: str = "ok"
    slow_seconds: float = 0.6
    messages: dict[str, StubMessage] = field(default_factory=dict)
    posts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                account = self.path.split("/")[3]
                with stub.lock:
                    stub.posts += 1
                    fault = stub.faults.pop(0) if stub.faults else stub.default
                if fault == "timeout_before_accept":
                    time.sleep(stub.slow_seconds)
                    self._reply(503, {"code": 20503, "message": "Service unavailable"})
                    return
                if fault == "500":
                    self._reply(500, {"code": 20500, "message": "Internal error"})
                    return
                if fault == "21610":
                    self._reply(
                        400,
                        {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
                    )
                    return
                message = StubMessage(
                    sid="SM" + uuid.uuid4().hex,
                    to=form.get("To", ""),
                    from_=form.get("From", ""),
                    body=form.get("Body", ""),
                    status_callback=form.get("StatusCallback"),
                )
                with stub.lock:
                    stub.messages[message.sid] = message
                if fault == "timeout_after_accept":
                    time.sleep(stub.slow_seconds)
                if fault == "500_after_accept":
                    self._reply(500, {"code": 20500, "message": "Internal error"})
                    return
                self._reply(201, message.json(account))

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                parts = parsed.path.split("/")
                account = parts[3]
                if parts[-1] == "Messages.json":
                    to = parse_qs(parsed.query).get("To", [None])[0]
                    with stub.lock:
                        found = [m for m in stub.messages.values() if to in (None, m.to)]
                    self._reply(
                        200,
                        {
                            "messages": [m.json(account) for m in found],
                            "next_page_uri": None,
                            "page": 0,
                            "page_size": len(found),
                            "uri": parsed.path,
                        },
                    )
                    return
                sid = parts[-1].removesuffix(".json")
                with stub.lock:
                    message = stub.messages.get(sid)
                if message is None:
                    self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                else:
                    self._reply(200, message.json(account))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> TwilioStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def deliveries(self) -> Counter[str | None]:
        """Accepted messages per idempotency key."""
        with self.lock:
            return Counter(m.key for m in self.messages.values())

    def set_status(self, sid: str, status: str, error_code: int | None = None) -> None:
        with self.lock:
            self.messages[sid].status = status
            self.messages[sid].error_code = error_code


class StubHttpClient(TwilioHttpClient):
    """The real Twilio HTTP client, sending to the stub instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float = 0.3) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        url = url.replace("https://api.twilio.com", self.base_url)
        return super().request(method, url, *args, **kwargs)


def stub_http_client(stub: TwilioStub, timeout: float = 0.3) -> StubHttpClient:
    return StubHttpClient(stub.base_url, timeout=timeout)
