"""Fault injection on the send path (1,000 randomized sends per database, as in `make bench`)."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.agent.outreach import practice as p
from tests.agent.outreach.faults import run_faults
from tests.twilio_stub import TwilioStub


def test_randomized_faults_never_duplicate_or_lose(engine: Engine) -> None:
    p.build(engine)
    with TwilioStub(slow_seconds=0.3) as stub:
        counts = run_faults(engine, stub, 1_000, seed=11)
    print(counts)  # noqa: T201 — the issue asks for the counts to be printed
    assert counts["duplicate_deliveries"] == 0
    assert counts["lost"] == [] and counts["sent_without_stub_record"] == []
    # every scenario happened at least once (seed 11 over 1,000 draws)
    assert len(counts["scenarios"]) == 10
    # sent + delivered equals what the stub accepted: nothing accepted is left unaccounted
    after = counts["after_reconcile"]
    assert after.get("sent", 0) + after.get("delivered", 0) == counts["accepted_at_stub"]
