"""`LlmCall` rows: one per model call, with prompt name and version but never the prompt text,
the answer or any patient data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlmodel import Session

from store import tables as t
from store.models import LlmCall

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class CallRecord:
    model: str
    prompt_name: str
    prompt_version: str
    purpose: str
    latency_ms: int
    outcome: str  # ok, error, timeout, invalid_output, verification_failed
    input_tokens: int | None = None
    output_tokens: int | None = None
    error: str | None = None


def record_llm_call(engine: Engine, record: CallRecord, *, now: datetime | None = None) -> int:
    """Insert the `LlmCall` row and return its id."""
    row = LlmCall(
        created_at=now or datetime.now(UTC),
        model=record.model,
        prompt_name=record.prompt_name,
        prompt_version=record.prompt_version,
        purpose=record.purpose,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        latency_ms=record.latency_ms,
        outcome=record.outcome,
        error=(record.error or None) and str(record.error)[:MAX_ERROR_CHARS],
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def set_llm_outcome(engine: Engine, call_id: int, outcome: str, error: str | None) -> None:
    """Record what happened after the call (e.g. `verification_failed` and the reasons)."""
    with engine.begin() as connection:
        connection.execute(
            update(t.llm_call)
            .where(t.llm_call.c.id == call_id)
            .values(outcome=outcome, error=error and error[:MAX_ERROR_CHARS])
        )
