"""A location's stored outreach policy (`agent.outreach.location_policy`) on SQLite and
PostgreSQL: the defaults without a row, a saved row read back, the rules, the audit event, and
the policy check built from it (`practice.policy_config`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from agent.outreach.autonomy import AutoApprovePolicy
from agent.outreach.location_policy import PolicyValues, policy_for, save_policy, validate
from agent.outreach.practice import policy_config
from store import tables as t
from tests.agent.outreach import practice as p

AT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def test_no_row_is_the_product_defaults(engine: Engine) -> None:
    p.build(engine)
    policy = policy_for(engine, 1)
    assert policy.stored is False and policy.updated_by is None
    assert (policy.window, policy.max_segments, policy.allow_service_in_email) == (
        (9, 20),
        2,
        False,
    )
    assert (policy.auto_approve.enabled, policy.auto_approve.daily_cap) == (False, 20)
    assert policy.timezone == "America/New_York" and policy.organization_id == 1
    # The caller's default auto-approval applies where nothing is stored.
    on = policy_for(engine, 1, autonomy=AutoApprovePolicy(enabled=True, daily_cap=5))
    assert (on.auto_approve.enabled, on.auto_approve.daily_cap) == (True, 5)


def test_a_saved_policy_wins_and_is_audited_with_old_and_new(engine: Engine) -> None:
    p.build(engine)
    values = PolicyValues(
        send_start_hour=10,
        send_end_hour=12,
        max_segments=1,
        allow_service_in_email=True,
        auto_approve_enabled=True,
        auto_approve_daily_cap=3,
    )
    changed = save_policy(engine, 1, values, actor="owner@glow.example.com", now=AT)
    assert changed == {
        "send_start_hour": {"old": 9, "new": 10},
        "send_end_hour": {"old": 20, "new": 12},
        "max_segments": {"old": 2, "new": 1},
        "allow_service_in_email": {"old": False, "new": True},
        "auto_approve_enabled": {"old": False, "new": True},
        "auto_approve_daily_cap": {"old": 20, "new": 3},
    }
    # The caller's default says off with a cap of 50: the stored values win; its kill switch
    # and purposes still apply.
    default = AutoApprovePolicy(enabled=False, kill_switch=True, daily_cap=50)
    policy = policy_for(engine, 1, autonomy=default)
    assert policy.stored is True and policy.values == values
    assert policy.updated_at == AT and policy.updated_by == "owner@glow.example.com"
    assert policy.auto_approve == AutoApprovePolicy(enabled=True, kill_switch=True, daily_cap=3)
    config = policy_config(engine, 1, p.BASE_URL)
    assert (config.max_segments, config.allow_service_in_email) == (1, True)
    with engine.connect() as conn:
        (event,) = conn.execute(select(t.audit_event)).all()
    assert (event.action, event.entity_type, event.entity_id) == (
        "settings.outreach_policy",
        "location",
        "1",
    )
    assert (event.actor, event.organization_id, event.location_id) == (
        "owner@glow.example.com",
        1,
        1,
    )
    assert event.details == {"changes": changed}
    # The same values again: nothing changes, nothing is audited; one field: only it.
    assert save_policy(engine, 1, values, actor="x@glow.example.com", now=AT) == {}
    later = PolicyValues(**{**values.__dict__, "send_end_hour": 13})
    assert save_policy(engine, 1, later, actor="m@glow.example.com", now=AT) == {
        "send_end_hour": {"old": 12, "new": 13}
    }
    with engine.connect() as conn:
        rows = conn.execute(select(t.outreach_policy)).all()
        events = conn.execute(select(t.audit_event.c.actor)).scalars().all()
    assert [(r.send_end_hour, r.updated_by) for r in rows] == [(13, "m@glow.example.com")]
    assert events == ["owner@glow.example.com", "m@glow.example.com"]


def test_saving_the_defaults_where_nothing_is_stored_writes_nothing(engine: Engine) -> None:
    p.build(engine)
    assert save_policy(engine, 1, PolicyValues(), actor="o@glow.example.com", now=AT) == {}
    with engine.connect() as conn:
        assert conn.execute(select(t.outreach_policy.c.id)).all() == []
        assert conn.execute(select(t.audit_event.c.id)).all() == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (PolicyValues(send_start_hour=-1), "send window start hour must be 0–23, not -1"),
        (PolicyValues(send_end_hour=24), "send window end hour must be 0–23, not 24"),
        (
            PolicyValues(send_start_hour=12, send_end_hour=12),
            "send window start (12:00) must be before its end (12:00)",
        ),
        (
            PolicyValues(send_start_hour=20, send_end_hour=9),
            "send window start (20:00) must be before its end (09:00)",
        ),
        (PolicyValues(max_segments=0), "SMS segments must be 1–10, not 0"),
        (PolicyValues(max_segments=11), "SMS segments must be 1–10, not 11"),
        (
            PolicyValues(auto_approve_daily_cap=-1),
            "auto-approval daily cap must be 0 or more, not -1",
        ),
    ],
)
def test_rules(values: PolicyValues, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate(values)
    assert str(caught.value) == message


def test_limits_are_allowed() -> None:
    validate(PolicyValues(send_start_hour=0, send_end_hour=23, max_segments=10))
    validate(PolicyValues(max_segments=1, auto_approve_daily_cap=0))


def test_a_broken_rule_writes_nothing_and_an_unknown_location_is_refused(engine: Engine) -> None:
    p.build(engine)
    with pytest.raises(ValueError, match="SMS segments must be 1–10, not 0"):
        save_policy(engine, 1, PolicyValues(max_segments=0), actor="o@glow.example.com", now=AT)
    with engine.connect() as conn:
        assert conn.execute(select(t.outreach_policy.c.id)).all() == []
    with pytest.raises(ValueError, match="no location with id 99"):
        policy_for(engine, 99)


def test_email_names_the_last_service_only_where_the_location_allows_it(engine: Engine) -> None:
    """Ana's latest completed visit was Lip Filler (service 2): an e-mail naming it is refused
    by `health_detail` under the defaults and passes once the location allows it; another
    treatment term (Botox) is still refused."""
    from agent.outreach.graph import Context, check_row

    p.build(engine)
    with engine.begin() as conn:
        conn.execute(
            t.appointment.insert(),
            [
                {
                    "patient_id": 1,
                    "provider_id": 1,
                    "location_id": 1,
                    "service_id": service,
                    "start_at": start,
                    "end_at": start,
                    "local_date": start.date(),
                    "local_hour": 10,
                    "status": status,
                    "external_id": f"a{service}{status}",
                }
                for service, status, start in (
                    (1, "completed", datetime(2026, 9, 1, 15, tzinfo=UTC)),
                    (2, "completed", datetime(2026, 11, 1, 15, tzinfo=UTC)),
                    (1, "booked", datetime(2026, 12, 5, 15, tzinfo=UTC)),
                )
            ],
        )
    ctx = Context(engine=engine, channels={}, base_url=p.BASE_URL)
    body = "Hi Ana, how do you feel after your Lip Filler visit? Glow Studio"
    row: dict[str, object] = {
        "location_id": 1,
        "patient_id": 1,
        "channel": "email",
        "purpose": "post_treatment",
        "subject": "Glow Studio",
        "body": body,
    }

    def rules(body: str) -> list[str]:
        return [v["rule"] for v in check_row(ctx, {**row, "body": body})["violations"]]

    assert rules(body) == ["health_detail"]
    save_policy(
        engine, 1, PolicyValues(allow_service_in_email=True), actor="o@glow.example.com", now=AT
    )
    assert rules(body) == []
    assert rules("Hi Ana, time for Botox? Glow Studio") == ["health_detail"]
