"""The outreach graph end to end, on SQLite and PostgreSQL stores with the matching
checkpointer (SqliteSaver / PostgresSaver), sending SMS to the local Twilio stub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from langgraph.types import Command
from sqlalchemy import Engine, select, text
from twilio.rest import Client

from agent.outreach.autonomy import AutoApprovePolicy
from agent.outreach.checkpoint import open_checkpointer
from agent.outreach.delivery import reconcile, send_message
from agent.outreach.graph import Context, build_outreach_graph
from agent.outreach.runner import resume, start, thread_config
from channels.base import OutgoingMessage
from channels.sms import TwilioSmsChannel
from store import tables as t
from store.outreach import OutreachError, get_message
from tests.agent.outreach import practice as p
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub, stub_http_client


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with TwilioStub(slow_seconds=0.6) as running:
        yield running


def sms_channel(stub: TwilioStub) -> TwilioSmsChannel:
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=stub_http_client(stub, timeout=0.3))
    return TwilioSmsChannel(
        client, "+15550000000", status_callback="https://glow.example.com/webhooks/twilio/status"
    )


def context(engine: Engine, stub: TwilioStub, **overrides: Any) -> Context:
    ctx = Context(
        engine=engine,
        channels={"sms": sms_channel(stub)},
        base_url=p.BASE_URL,
        clock=lambda: p.NOW,
        reviewer="frontdesk@glow.example.com",
    )
    return replace(ctx, **overrides)


def schema_of(engine: Engine) -> str | None:
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_schema()")).scalar())


class Checkpointers:
    """Opens checkpointers for the test's store (one per simulated process)."""

    def __init__(self, engine: Engine, tmp_path: Path) -> None:
        self.url = engine.url.render_as_string(hide_password=False)
        self.schema = schema_of(engine)
        self.path = tmp_path / "checkpoints.sqlite"

    def app(self) -> Any:
        manager = open_checkpointer(self.url, sqlite_path=self.path, schema=self.schema)
        saver = manager.__enter__()
        self._open.append(manager)
        return build_outreach_graph().compile(checkpointer=saver)

    def __enter__(self) -> Checkpointers:
        self._open: list[Any] = []
        return self

    def __exit__(self, *exc: object) -> None:
        for manager in self._open:
            manager.__exit__(None, None, None)


@pytest.fixture
def cps(engine: Engine, tmp_path: Path) -> Iterator[Checkpointers]:
    p.build(engine)
    with Checkpointers(engine, tmp_path) as opened:
        yield opened


def drafted(app: Any, ctx: Context) -> int:
    result = start(app, p.win_back(), as_of=p.AS_OF.isoformat(), context=ctx)
    assert result["outcome"] == "pending_approval"
    assert "__interrupt__" in result
    return int(result["message_id"])


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(select(t.audit_event.c.action).order_by(t.audit_event.c.id)).scalars()
        )


def test_interrupt_payload_is_the_hitl_shape_without_phi(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    app, ctx = cps.app(), context(engine, stub)
    result = start(app, p.win_back(), as_of="2026-11-30", context=ctx)
    payload = result["__interrupt__"][0].value
    request = payload["action_requests"][0]
    assert request["name"] == "send_outreach"
    assert payload["review_configs"] == [
        {"action_name": "send_outreach", "allowed_decisions": ["approve", "edit", "reject"]}
    ]
    assert request["args"]["template"].startswith("Hi {first_name}, it's {practice_name}.")
    assert "Ana" not in str(payload) and p.ANA_PHONE not in str(payload)
    row = get_message(engine, result["message_id"])
    # the stored body is filled; the policy passed (1 segment? 20 weeks text is 2 segments)
    assert row["body"].startswith("Hi Ana, it's Glow Studio. It has been 20 weeks")
    assert p.BOOKING in row["body"] and row["policy"]["passed"] is True
    assert stub.deliveries() == {}  # nothing sent before a decision


def test_approve_sends_exactly_once(engine: Engine, cps: Checkpointers, stub: TwilioStub) -> None:
    app, ctx = cps.app(), context(engine, stub)
    message_id = drafted(app, ctx)
    result = resume(app, message_id, {"type": "approve"}, context=ctx)
    assert result["outcome"] == "sent"
    row = get_message(engine, message_id)
    assert row["state"] == "sent" and row["provider_message_id"] in stub.messages
    assert row["decided_by"] == "frontdesk@glow.example.com"
    assert stub.deliveries() == {f"outreach-{message_id}": 1}
    assert stub.messages[row["provider_message_id"]].body == row["body"]
    assert audit_actions(engine) == ["outreach.approve"]


def test_edit_sends_the_edited_text(engine: Engine, cps: Checkpointers, stub: TwilioStub) -> None:
    app, ctx = cps.app(), context(engine, stub)
    message_id = drafted(app, ctx)
    edited = "Hi {first_name}, {practice_name} misses you! {booking_link} Reply STOP to opt out"
    decision = {
        "type": "edit",
        "edited_action": {"name": "send_outreach", "args": {"template": edited}},
    }
    resume(app, message_id, decision, context=ctx)
    expected = f"Hi Ana, Glow Studio misses you! {p.BOOKING} Reply STOP to opt out"
    (sent,) = stub.messages.values()
    assert sent.body == expected
    assert audit_actions(engine) == ["outreach.edit", "outreach.approve"]
    with engine.connect() as conn:
        details = conn.execute(
            select(t.audit_event.c.details).where(t.audit_event.c.action == "outreach.edit")
        ).scalar_one()
    assert details["after_text"] == expected
    assert details["before_text"].startswith("Hi Ana, it's Glow Studio. It has been 20 weeks")


def test_edit_that_violates_policy_blocks_and_asks_again(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    app, ctx = cps.app(), context(engine, stub)
    message_id = drafted(app, ctx)
    bad = "Hi {first_name}, time for Botox at {practice_name}! {booking_link}"
    decision = {
        "type": "edit",
        "edited_action": {"name": "send_outreach", "args": {"template": bad}},
    }
    result = resume(app, message_id, decision, context=ctx)
    assert "__interrupt__" in result  # asked again
    assert "health_detail" in result["error"] and "opt_out" in result["error"]
    row = get_message(engine, message_id)
    assert row["state"] == "pending_approval" and not row["policy"]["passed"]
    # approving as is stays blocked
    again = resume(app, message_id, {"type": "approve"}, context=ctx)
    assert "__interrupt__" in again and stub.deliveries() == {}
    # a compliant edit goes through
    good = "Hi {first_name}, {practice_name} here. {booking_link} Reply STOP to opt out"
    resume(
        app,
        message_id,
        {"type": "edit", "edited_action": {"name": "send_outreach", "args": {"template": good}}},
        context=ctx,
    )
    assert get_message(engine, message_id)["state"] == "sent"
    assert sum(stub.deliveries().values()) == 1


def test_reject_sends_nothing(engine: Engine, cps: Checkpointers, stub: TwilioStub) -> None:
    app, ctx = cps.app(), context(engine, stub)
    message_id = drafted(app, ctx)
    result = resume(app, message_id, {"type": "reject", "message": "she moved away"}, context=ctx)
    assert "__interrupt__" not in result
    row = get_message(engine, message_id)
    assert (row["state"], row["decision_reason"]) == ("rejected", "she moved away")
    assert stub.deliveries() == {} and stub.posts == 0
    assert audit_actions(engine) == ["outreach.reject"]


def test_resume_twice_sends_once(engine: Engine, cps: Checkpointers, stub: TwilioStub) -> None:
    app, ctx = cps.app(), context(engine, stub)
    message_id = drafted(app, ctx)
    config = thread_config(get_message(engine, message_id)["thread_id"])
    command: Command[Any] = Command(resume={"decisions": [{"type": "approve"}]})
    app.invoke(command, config, context=ctx)
    app.invoke(command, config, context=ctx)  # raw LangGraph, no guard of ours around it
    assert stub.deliveries() == {f"outreach-{message_id}": 1}
    with pytest.raises(OutreachError, match="no decision is pending"):
        resume(app, message_id, {"type": "approve"}, context=ctx)


def test_two_processes_resuming_at_once_send_once(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    first, ctx = cps.app(), context(engine, stub)
    message_id = drafted(first, ctx)
    second = cps.app()  # its own checkpointer connection, like another process
    config = thread_config(get_message(engine, message_id)["thread_id"])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(app: Any) -> None:
        try:
            barrier.wait()
            app.invoke(Command(resume={"decisions": [{"type": "approve"}]}), config, context=ctx)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app,)) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not [e for e in errors if not isinstance(e, OutreachError)], errors
    assert stub.deliveries() == {f"outreach-{message_id}": 1}
    assert get_message(engine, message_id)["state"] == "sent"
    assert audit_actions(engine).count("outreach.approve") == 1


class CrashAfterAccept:
    """The channel accepts the message, then the process 'dies' before saving the state."""

    name = "sms"

    def __init__(self, inner: TwilioSmsChannel) -> None:
        self.inner = inner

    def send(self, message: OutgoingMessage, recipient: str) -> str:
        self.inner.send(message, recipient)
        raise RuntimeError("worker killed")

    def lookup(self, **kwargs: Any) -> Any:
        return self.inner.lookup(**kwargs)


def test_crash_after_accept_is_unknown_then_reconciled_without_resend(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    app = cps.app()
    ctx = context(engine, stub, channels={"sms": CrashAfterAccept(sms_channel(stub))})
    message_id = drafted(app, ctx)
    result = resume(app, message_id, {"type": "approve"}, context=ctx)
    assert result["outcome"] == "unknown"
    assert stub.deliveries() == {f"outreach-{message_id}": 1}
    (outcome,) = reconcile(engine, {"sms": sms_channel(stub)}, now=p.NOW + timedelta(minutes=1))
    assert outcome.state == "sent"
    row = get_message(engine, message_id)
    (sid,) = stub.messages
    assert (row["state"], row["provider_message_id"]) == ("sent", sid)
    assert stub.posts == 1  # no second POST to the provider


def test_timeout_is_unknown_then_reconciled(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    app, ctx = cps.app(), context(engine, stub)
    stub.faults = ["timeout_after_accept"]
    message_id = drafted(app, ctx)
    assert resume(app, message_id, {"type": "approve"}, context=ctx)["outcome"] == "unknown"
    reconcile(engine, ctx.channels, now=p.NOW)
    assert get_message(engine, message_id)["state"] == "sent" and stub.posts == 1


def test_outside_the_window_waits(engine: Engine, cps: Checkpointers, stub: TwilioStub) -> None:
    # 2026-12-01 02:00 UTC = 21:00 EST on Nov 30 → scheduled for Dec 1 09:00 EST = 14:00 UTC
    late = p.NOW.replace(day=1, month=12, hour=2)
    app, ctx = cps.app(), context(engine, stub, clock=lambda: late)
    message_id = drafted(app, ctx)
    assert resume(app, message_id, {"type": "approve"}, context=ctx)["outcome"] == "scheduled"
    row = get_message(engine, message_id)
    assert row["scheduled_for"].replace(tzinfo=None).isoformat() == "2026-12-01T14:00:00"
    assert stub.posts == 0


def test_opted_out_patient_is_never_drafted(
    engine: Engine, tmp_path: Path, stub: TwilioStub
) -> None:
    p.build(engine, sms_opted_out_at=p.NOW, email_opted_out_at=p.NOW)
    with Checkpointers(engine, tmp_path) as opened:
        app = opened.app()
        result = start(app, p.win_back(), as_of="2026-11-30", context=context(engine, stub))
    assert result["outcome"] == "ineligible"
    assert result["refusals"] == {"sms": ["opted_out"], "email": ["opted_out"]}
    with engine.connect() as conn:
        assert conn.execute(select(t.outreach_message.c.id)).all() == []


def test_autonomous_policy_is_off_by_default_narrow_capped_and_audited(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    from agent.outreach.autonomy import AutoApprovePolicy

    app = cps.app()
    care = replace(p.win_back(), purpose="next_due")
    # off by default: the care reminder waits for a person
    off = start(app, care, as_of="2026-11-01", context=context(engine, stub))
    assert "__interrupt__" in off
    resume(
        app, off["message_id"], {"type": "reject", "message": "test"}, context=context(engine, stub)
    )
    # enabled with a cap of 1 per day: the care reminder goes out with no interrupt…
    on = context(engine, stub, autonomy=AutoApprovePolicy(enabled=True, daily_cap=1))
    auto = start(app, care, as_of="2026-11-02", context=on)
    assert "__interrupt__" not in auto and auto["outcome"] == "sent"
    with engine.connect() as conn:
        (row,) = conn.execute(
            select(t.audit_event.c.actor, t.audit_event.c.details).where(
                t.audit_event.c.action == "outreach.auto_approve"
            )
        ).all()
    assert row.actor == "clarity:autonomy"
    assert row.details["rule"] == "care-reminder-passed-policy"
    # …marketing never (win_back is not a care purpose), the kill switch stops everything
    killed = context(engine, stub, autonomy=AutoApprovePolicy(enabled=True, kill_switch=True))
    with engine.begin() as conn:  # clear the frequency cap for the next drafts
        conn.execute(t.outreach_message.update().values(sent_at=p.NOW - timedelta(days=30)))
    marketing = start(app, p.win_back(), as_of="2026-11-03", context=on)
    assert "__interrupt__" in marketing
    resume(app, marketing["message_id"], {"type": "reject", "message": "t"}, context=on)
    with engine.begin() as conn:
        conn.execute(t.outreach_message.update().values(sent_at=p.NOW - timedelta(days=30)))
    stopped = start(app, care, as_of="2026-11-04", context=killed)
    assert "__interrupt__" in stopped


# ------------------------------------------------- the location's stored policy (Settings)


def _save(engine: Engine, **values: Any) -> None:
    from agent.outreach.location_policy import PolicyValues, save_policy

    save_policy(engine, 1, PolicyValues(**values), actor="owner@glow.example.com", now=p.NOW)


def test_a_stored_send_window_schedules_into_it(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    # Window 10–12 at the New York location; approved 2026-11-30 14:00 UTC = 09:00 EST →
    # scheduled for 10:00 EST = 15:00 UTC the same day (the default 9–20 would send at once).
    _save(engine, send_start_hour=10, send_end_hour=12)
    nine = p.NOW.replace(hour=14)
    app, ctx = cps.app(), context(engine, stub, clock=lambda: nine)
    message_id = drafted(app, ctx)
    assert resume(app, message_id, {"type": "approve"}, context=ctx)["outcome"] == "scheduled"
    row = get_message(engine, message_id)
    assert row["scheduled_for"].replace(tzinfo=None).isoformat() == "2026-11-30T15:00:00"
    assert stub.posts == 0
    outcome = send_message(engine, message_id, ctx.channels, now=p.NOW)  # 15:00 UTC = 10:00
    assert outcome.state == "sent" and stub.posts == 1


def test_a_window_narrowed_after_scheduling_moves_the_send(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    # Approved at 10:00 EST under the default window: scheduled for 15:00 UTC. The window then
    # becomes 12–14: at 15:00 UTC (10:00 EST) the send waits for 12:00 EST = 17:00 UTC.
    app, ctx = cps.app(), context(engine, stub, send_now=False)
    message_id = drafted(app, ctx)
    assert resume(app, message_id, {"type": "approve"}, context=ctx)["outcome"] == "scheduled"
    _save(engine, send_start_hour=12, send_end_hour=14)
    waiting = send_message(engine, message_id, ctx.channels, now=p.NOW)
    assert waiting.state == "scheduled" and stub.posts == 0
    row = get_message(engine, message_id)
    assert row["scheduled_for"].replace(tzinfo=None).isoformat() == "2026-11-30T17:00:00"
    assert send_message(engine, message_id, ctx.channels, now=p.NOW.replace(hour=17)).sent_now
    assert stub.posts == 1


def test_a_stored_segment_limit_blocks_a_two_segment_draft(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    # The win-back draft is 2 GSM-7 segments: passes the default limit of 2, not a limit of 1.
    app, ctx = cps.app(), context(engine, stub)
    passed = drafted(app, ctx)
    assert get_message(engine, passed)["segments"] == 2
    resume(app, passed, {"type": "reject", "message": "t"}, context=ctx)
    _save(engine, max_segments=1)
    result = start(app, p.win_back(), as_of="2026-12-01", context=ctx)
    row = get_message(engine, result["message_id"])
    assert row["policy"]["passed"] is False
    assert [v["rule"] for v in row["policy"]["violations"]] == ["segments"]
    assert row["policy"]["violations"][0]["detail"].endswith("at most 1")
    blocked = resume(app, result["message_id"], {"type": "approve"}, context=ctx)
    assert blocked["decision"] == "pending" and "segments" in blocked["error"]
    assert stub.posts == 0


def test_a_stored_auto_approval_cap_wins_over_the_default(
    engine: Engine, cps: Checkpointers, stub: TwilioStub
) -> None:
    # The context's default is off; the location's stored policy turns it on with a cap of 1
    # a day: the first care reminder goes out without a person, the second waits; a cap of 2
    # saved afterwards lets a third through the same UTC day.
    app, ctx = cps.app(), context(engine, stub)
    care = replace(p.win_back(), purpose="next_due")
    _save(engine, auto_approve_enabled=True, auto_approve_daily_cap=1)

    def again(as_of: str) -> dict[str, Any]:
        with engine.begin() as conn:  # clear the frequency cap for the next draft
            conn.execute(t.outreach_message.update().values(sent_at=p.NOW - timedelta(days=30)))
        return start(app, care, as_of=as_of, context=ctx)

    first = start(app, care, as_of="2026-11-01", context=ctx)
    assert "__interrupt__" not in first and first["outcome"] == "sent"
    second = again("2026-11-02")
    assert "__interrupt__" in second
    resume(app, second["message_id"], {"type": "reject", "message": "t"}, context=ctx)
    _save(engine, auto_approve_enabled=True, auto_approve_daily_cap=2)
    third = again("2026-11-03")
    assert "__interrupt__" not in third and third["outcome"] == "sent"
    # The operator's kill switch (the context's) stops it whatever the location saved, even
    # under a cap not yet reached (3 > 2 today).
    _save(engine, auto_approve_enabled=True, auto_approve_daily_cap=3)
    killed = context(engine, stub, autonomy=AutoApprovePolicy(kill_switch=True))
    with engine.begin() as conn:
        conn.execute(t.outreach_message.update().values(sent_at=p.NOW - timedelta(days=30)))
    fourth = start(app, care, as_of="2026-11-04", context=killed)
    assert "__interrupt__" in fourth
    assert audit_actions(engine).count("outreach.auto_approve") == 2
