"""Randomized fault injection for the send path against the local Twilio stub.

Each of `n` approved, scheduled messages (unique body, key `outreach-<id>`) gets one random
scenario: a clean send; a stub fault (read timeout after accepting, timeout before accepting,
5xx, 5xx after accepting, 21610); a worker crash between steps (after `scheduled → sending`
before the request; after the provider accepted, before the state was saved); a second
worker trying the same send; duplicate status callbacks. Then `reconcile` settles what is
unknown. Invariants checked by the callers: zero duplicate deliveries at the stub, and no
approved message lost — each ends sent/delivered, failed with a reason, or unknown.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, update

from agent.outreach.delivery import reconcile, send_message
from api.webhooks import apply_status
from channels.base import OutgoingMessage
from channels.sms import TwilioSmsChannel
from store import tables as t
from store.outreach import messages
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub, stub_http_client

AT = datetime(2026, 11, 30, 15, tzinfo=UTC)
STUB_FAULTS = ("timeout_after_accept", "timeout_before_accept", "500", "500_after_accept", "21610")
SCENARIOS = (
    *(["ok"] * 6),
    *STUB_FAULTS,
    "crash_before_request",
    "crash_after_accept",
    "second_worker",
    "duplicate_callbacks",
)


class CrashAfterAccept:
    name = "sms"

    def __init__(self, inner: TwilioSmsChannel) -> None:
        self.inner = inner

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        self.inner.send(message, recipient)
        raise RuntimeError("worker killed after the provider accepted")


def _scheduled(engine: Engine, n: int) -> list[int]:
    """`n` patients (ids 1001…, phone +1555700NNNN) with one scheduled message each."""
    patients = [
        {
            "id": 1001 + i,
            "first_name": f"F{i}",
            "last_name": "L",
            "phone_e164": f"+1555700{i:04d}",
            "sms_opted_out_at": None,
        }
        for i in range(n)
    ]
    rows = [
        {
            "patient_id": 1001 + i,
            "location_id": 1,
            "channel": "sms",
            "purpose": "next_due",
            "body": f"Glow Studio message {i}",
            "state": "scheduled",
            "reasons": {},
            "idempotency_key": f"fault-{i}",
            "writer": "template",
            "drafted_at": AT,
            "scheduled_for": AT,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(t.patient), patients)
        conn.execute(insert(t.outreach_message), rows)
    return [int(r["id"]) for r in messages(engine, states=["scheduled"])]


def run_faults(engine: Engine, stub: TwilioStub, n: int, seed: int = 7) -> dict[str, Any]:
    """Send `n` messages under random faults, reconcile, and count the outcomes."""
    rng = random.Random(seed)
    client_sms = TwilioSmsChannel(
        __import__("twilio.rest", fromlist=["Client"]).Client(
            ACCOUNT_SID, AUTH_TOKEN, http_client=stub_http_client(stub, timeout=0.15)
        ),
        "+15550000000",
        status_callback="https://clarity.example.com/webhooks/twilio/status",
    )
    channels: dict[str, Any] = {"sms": client_sms}
    scenarios: Counter[str] = Counter()
    for message_id in _scheduled(engine, n):
        scenario = rng.choice(SCENARIOS)
        scenarios[scenario] += 1
        if scenario in STUB_FAULTS:
            stub.faults.append(scenario)
        if scenario == "crash_before_request":
            with engine.begin() as conn:  # the worker took the message, then died
                conn.execute(
                    update(t.outreach_message)
                    .where(t.outreach_message.c.id == message_id)
                    .values(state="sending", sending_started_at=AT)
                )
            continue
        if scenario == "crash_after_accept":
            send_message(engine, message_id, {"sms": CrashAfterAccept(client_sms)}, now=AT)
            continue
        outcome = send_message(engine, message_id, channels, now=AT)
        if scenario == "second_worker":
            send_message(engine, message_id, channels, now=AT)
        if scenario == "duplicate_callbacks" and outcome.state == "sent":
            row = messages(engine, ids=[message_id])[0]
            for _ in range(2):
                apply_status(
                    engine,
                    sid=row["provider_message_id"],
                    status="delivered",
                    key=f"outreach-{message_id}",
                    error_code=None,
                    at=AT,
                )
        stub.faults.clear()
    before = Counter(r["state"] for r in messages(engine))
    later = AT + timedelta(hours=1)
    reconcile(engine, channels, now=later, stale_after=timedelta(0), grace=timedelta(0))
    rows = messages(engine)
    deliveries = stub.deliveries()
    return {
        "scenarios": dict(scenarios),
        "before_reconcile": dict(before),
        "after_reconcile": dict(Counter(r["state"] for r in rows)),
        "duplicate_deliveries": sum(c - 1 for c in deliveries.values() if c > 1),
        "accepted_at_stub": sum(deliveries.values()),
        "lost": [
            r["id"]
            for r in rows
            if r["state"] not in ("sent", "delivered", "failed", "unknown")
            or (r["state"] == "failed" and not r["error"])
        ],
        "sent_without_stub_record": [
            r["id"]
            for r in rows
            if r["state"] in ("sent", "delivered") and r["provider_message_id"] not in stub.messages
        ],
    }
