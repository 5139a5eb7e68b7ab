"""Privacy canaries: a drafted patient's name, phone and e-mail never reach the LLM request
body, an `LlmCall` row, a log line or a graph checkpoint — while the SMS itself carries them
to the patient (the point of filling placeholders after the model)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from agent.model import make_chat_model
from agent.outreach.writers import llm_recorder
from clarity.settings import load_settings
from store import tables as t
from tests.agent.briefing.test_briefing_writers import completion
from tests.agent.outreach import practice as p
from tests.agent.outreach.test_graph import Checkpointers, context
from tests.http_stub import Reply, StubServer
from tests.twilio_stub import TwilioStub

FIRST, LAST = "Zelphinia", "Quarrendon"
PHONE = "+15555559876"
EMAIL = "zelphinia.canary@example.org"
CANARIES = (FIRST, LAST, PHONE, EMAIL, "5555559876")


def checkpoint_bytes(engine: Engine, cps: Checkpointers) -> bytes:
    """Every value of every checkpoint table, as bytes (msgpack keeps strings as UTF-8)."""
    rows: list[Any] = []
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(cps.path) as conn:
            for table in ("checkpoints", "writes"):
                rows += conn.execute(f"SELECT * FROM {table}").fetchall()
    else:
        with engine.connect() as conn:
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
                rows += conn.execute(text(f"SELECT * FROM {table}")).all()
    return b"\n".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
        for row in rows
        for v in row
    )


def test_no_phi_in_llm_requests_llm_calls_logs_or_checkpoints(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    p.build(engine, first_name=FIRST, last_name=LAST, phone_e164=PHONE, email=EMAIL)
    answer = json.dumps({"text": "Hi {first_name}, {practice_name} misses you! {booking_link}"})
    caplog.set_level(logging.DEBUG)
    with (
        StubServer([Reply(status=200, body=completion(answer))]) as llm,
        TwilioStub() as twilio,
        Checkpointers(engine, tmp_path) as cps,
    ):
        model = make_chat_model(load_settings(llm_model="stub-model", llm_base_url=f"{llm.url}/v1"))
        ctx = context(engine, twilio, model=model, llm_record=llm_recorder(engine, model))
        app = cps.app()
        from agent.outreach.runner import resume, start

        result: dict[str, Any] = start(app, p.win_back(), as_of="2026-11-30", context=ctx)
        resume(app, result["message_id"], {"type": "approve"}, context=ctx)
        (sent,) = twilio.messages.values()
        assert sent.to == PHONE and sent.body.startswith(f"Hi {FIRST}, Glow Studio misses you!")
        stored_checkpoints = checkpoint_bytes(engine, cps)
    assert len(llm.requests) == 1
    request_body = llm.requests[0].body.decode()
    assert "weeks_since_visit" in request_body
    with engine.connect() as conn:
        calls = [dict(r) for r in conn.execute(select(t.llm_call)).mappings()]
    assert [c["outcome"] for c in calls] == ["ok"]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for canary in CANARIES:
        assert canary not in request_body, canary
        assert canary not in str(calls), canary
        assert canary not in logs, canary
        assert canary.encode() not in stored_checkpoints, canary
    assert b"win_back" in stored_checkpoints  # the checkpoint was really read
