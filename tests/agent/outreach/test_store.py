"""The state machine in the store: guarded transitions, decisions and their audit rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from store import tables as t
from store.outreach import (
    NewDraft,
    OutreachError,
    PolicyBlocked,
    approve,
    edit,
    get_message,
    insert_draft,
    reject,
    submit_for_approval,
    transition,
)
from tests.agent.outreach import practice as p

AT = datetime(2026, 11, 30, 15, tzinfo=UTC)


def new(engine: Engine, key: str = "k1") -> int:
    draft = NewDraft(
        key=key,
        patient_id=1,
        location_id=1,
        channel="sms",
        purpose="win_back",
        template="Hi {first_name}",
        body="Hi Ana",
        subject=None,
        reasons={},
        writer="template",
        thread_id=key,
        drafted_at=AT,
    )
    message_id, created = insert_draft(engine, draft)
    assert created
    assert insert_draft(engine, draft) == (message_id, False)  # same key: same row
    return message_id


def test_guarded_transition_moves_once(engine: Engine) -> None:
    p.build(engine)
    message_id = new(engine)
    with engine.begin() as conn:
        assert transition(conn, message_id, "drafted", "pending_approval")
        assert not transition(conn, message_id, "drafted", "pending_approval")  # already moved
    with engine.begin() as conn, pytest.raises(OutreachError, match="no transition"):
        transition(conn, message_id, "pending_approval", "sent")


def test_decisions_are_audited_and_policy_blocks(engine: Engine) -> None:
    p.build(engine)
    blocked = new(engine, "a")
    submit_for_approval(
        engine,
        blocked,
        policy={"passed": False, "violations": [{"rule": "opt_out", "detail": "x"}]},
        segments=1,
    )
    with pytest.raises(PolicyBlocked, match="opt_out"):
        approve(engine, blocked, by="fd@x", at=AT)
    edit(
        engine,
        blocked,
        template="Hi {first_name}. Reply STOP to opt out",
        body="Hi Ana. Reply STOP to opt out",
        policy={"passed": True, "violations": []},
        segments=1,
        by="fd@x",
        at=AT,
    )
    approve(engine, blocked, by="fd@x", at=AT)
    with pytest.raises(OutreachError, match="approved, not pending_approval"):
        approve(engine, blocked, by="other@x", at=AT)
    other = new(engine, "b")
    submit_for_approval(engine, other, policy={"passed": True, "violations": []}, segments=1)
    with pytest.raises(OutreachError, match="needs a reason"):
        reject(engine, other, reason=" ", by="fd@x", at=AT)
    reject(engine, other, reason="wrong patient", by="fd@x", at=AT)
    assert get_message(engine, other)["decision_reason"] == "wrong patient"
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_event.c.actor, t.audit_event.c.action, t.audit_event.c.details).order_by(
                t.audit_event.c.id
            )
        ).all()
    assert [(r.actor, r.action) for r in rows] == [
        ("fd@x", "outreach.edit"),
        ("fd@x", "outreach.approve"),
        ("fd@x", "outreach.reject"),
    ]
    assert rows[0].details["before_text"] == "Hi Ana"
    assert rows[0].details["after_text"] == "Hi Ana. Reply STOP to opt out"
    assert rows[2].details["reason"] == "wrong patient"
