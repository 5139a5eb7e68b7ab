"""Delivery bookkeeping: failures recorded with a retry time, retries, no duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import BriefingResult, outgoing, retry_deliveries, run_briefing
from agent.briefing.subscriptions import DEMO_OWNER_EMAIL, ensure_owner_subscription
from channels.base import DeliveryOutcomeUnknown, OutgoingMessage
from channels.delivery import Target, deliver
from channels.outbox import OutboxChannel
from channels.slack import SlackWebhookChannel
from store.models import BriefingDelivery
from tests.agent.briefing.sample import DAY, sample_gathered
from tests.http_stub import Reply, StubServer

APP = "http://127.0.0.1:8000"  # the URL the briefing was rendered with
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def rows(engine: Engine) -> list[BriefingDelivery]:
    with Session(engine) as session:
        found = list(session.exec(select(BriefingDelivery)).all())
        session.expunge_all()
    return found


def test_500_is_recorded_as_failed_with_a_retry_then_retried_once(
    briefed: tuple[Engine, BriefingResult],
) -> None:
    engine, result = briefed
    target = [Target("slack", "webhook")]
    with StubServer([Reply(500, "server_error"), Reply(200, "ok")]) as stub:
        channels = {"slack": SlackWebhookChannel(f"{stub.url}/hook")}

        def message():
            return outgoing(engine, result.briefing_id, result.rendered)

        [first] = deliver(engine, result.briefing_id, target, channels, message, now=NOW)
        assert first.status == "failed" and first.attempts == 1
        [row] = rows(engine)
        assert row.status == "failed" and "answered 500" in (row.last_error or "")
        assert row.next_attempt_at == NOW + timedelta(minutes=5)  # first backoff: 5 min

        # Re-running the briefing's delivery before the retry time does not send again.
        [again] = deliver(engine, result.briefing_id, target, channels, message, now=NOW)
        assert again.status == "skipped" and len(stub.requests) == 1
        assert (
            retry_deliveries(engine, channels, app_base_url=APP, now=NOW + timedelta(minutes=4))
            == []
        )

        # At the retry time the scheduler's retry delivers it (re-rendered from the store).
        [retried] = retry_deliveries(
            engine, channels, app_base_url=APP, now=NOW + timedelta(minutes=5)
        )
        assert retried.status == "delivered" and retried.attempts == 2
        assert len(stub.requests) == 2
        assert stub.requests[1].json()["blocks"] == result.rendered.slack_blocks

        # Delivered: never again, neither by a re-run nor by the retry job.
        [done] = deliver(engine, result.briefing_id, target, channels, message, now=NOW)
        assert done.status == "skipped"
        assert retry_deliveries(engine, channels, app_base_url=APP, now=NOW) == []
        assert len(stub.requests) == 2
    [row] = rows(engine)
    assert (row.status, row.attempts, row.next_attempt_at) == ("delivered", 2, None)


def test_subscription_to_an_unconfigured_channel_is_recorded_not_dropped(
    briefed: tuple[Engine, BriefingResult],
) -> None:
    engine, result = briefed
    [outcome] = deliver(
        engine,
        result.briefing_id,
        [Target("email", "owner@practice.example")],
        {},
        lambda: outgoing(engine, result.briefing_id, result.rendered),
        now=NOW,
    )
    assert outcome.status == "failed"
    [row] = rows(engine)
    assert row.last_error == "channel 'email' is not configured"
    assert row.next_attempt_at == NOW + timedelta(minutes=5)


def test_rerunning_the_briefing_updates_it_and_does_not_deliver_twice(
    engine: Engine, outbox_dir: Path
) -> None:
    from tests.agent.briefing.sample import seed_store

    seed_store(engine)
    ensure_owner_subscription(engine, 1, scope="location:2")
    ensure_owner_subscription(engine, 1, scope="location:2")  # idempotent
    channels = {"outbox": OutboxChannel(outbox_dir, sender="Clarity <c@example.com>")}

    def run() -> BriefingResult:
        return run_briefing(
            engine,
            organization_id=1,
            location_id=2,
            for_date=DAY,
            gatherer=StaticGatherer(sample_gathered()),
            deliver_now=True,
            channels=channels,
            now=NOW,
        )

    first, second = run(), run()
    assert first.briefing_id == second.briefing_id
    assert [(d.channel, d.recipient, d.status) for d in first.deliveries] == [
        ("outbox", DEMO_OWNER_EMAIL, "delivered")
    ]
    assert [d.status for d in second.deliveries] == ["skipped"]
    files = sorted(p.name for p in outbox_dir.iterdir())
    stem = f"briefing-{first.briefing_id}--{DEMO_OWNER_EMAIL}"
    assert files == [f"{stem}.eml", f"{stem}.slack.json"]
    assert len(rows(engine)) == 1


def test_an_unknown_outcome_is_recorded_and_never_resent(
    briefed: tuple[Engine, BriefingResult],
) -> None:
    engine, result = briefed
    sends: list[str] = []

    class TimesOut:
        """The edge: the provider took the request but the answer never came."""

        name = "sms"

        def send(self, message: OutgoingMessage, recipient: str) -> str:
            sends.append(recipient)
            raise DeliveryOutcomeUnknown("provider timed out after the request was sent")

    channels = {"sms": TimesOut()}
    target = [Target("sms", "+12035550100")]

    def message() -> OutgoingMessage:
        return outgoing(engine, result.briefing_id, result.rendered)

    [first] = deliver(engine, result.briefing_id, target, channels, message, now=NOW)
    assert (first.status, first.attempts, first.next_attempt_at) == ("unknown", 1, None)
    [row] = rows(engine)
    assert row.status == "unknown" and "timed out" in (row.last_error or "")
    # Neither a second delivery nor the scheduler's retry, even a day later, sends it again.
    [again] = deliver(engine, result.briefing_id, target, channels, message, now=NOW)
    assert again.status == "skipped"
    later = NOW + timedelta(days=1)
    assert retry_deliveries(engine, channels, app_base_url=APP, now=later) == []
    assert sends == ["+12035550100"]
