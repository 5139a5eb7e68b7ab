from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from agent.briefing.subscriptions import subscriptions_due, targets_for
from channels.delivery import Target
from store.models import Location, Organization, Subscription, User


def seed(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Organization(id=1, name="Org", slug="org"))
        session.flush()
        session.add(Location(id=1, organization_id=1, name="Boston", timezone="America/New_York"))
        session.add(Location(id=2, organization_id=1, name="Austin", timezone="America/Chicago"))
        session.add(User(id=1, organization_id=1, email="owner@x.example", name="O", role="owner"))
        session.add(User(id=2, organization_id=1, email="gm@x.example", name="G", role="manager"))
        session.add(
            User(
                id=3,
                organization_id=1,
                email="gone@x.example",
                name="X",
                role="owner",
                active=False,
            )
        )
        session.flush()
        session.add_all(
            [
                Subscription(user_id=1, channel="email", scope="org:1", send_hour_local=7),
                Subscription(user_id=1, channel="slack", scope="location:2", send_hour_local=7),
                Subscription(user_id=2, channel="email", scope="location:2", send_hour_local=7),
                Subscription(user_id=2, channel="email", scope="location:1", send_hour_local=8),
                Subscription(user_id=3, channel="email", scope="location:2", send_hour_local=7),
                Subscription(
                    user_id=2, channel="outbox", scope="location:2", send_hour_local=7, active=False
                ),
            ]
        )
        session.commit()


def test_targets_of_a_scope_skip_inactive_users_and_subscriptions(engine: Engine) -> None:
    seed(engine)
    assert targets_for(engine, "location:2", slack_recipient="#owners") == [
        Target("slack", "#owners"),
        Target("email", "gm@x.example"),
    ]


def test_send_hour_is_local_to_the_scope(engine: Engine) -> None:
    seed(engine)
    # 12:00 UTC on 2026-11-25 = 07:00 in New York (EST, UTC−5) = 06:00 in Chicago (CST, UTC−6).
    at_noon = subscriptions_due(engine, datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert at_noon == {"org:1": [Target("email", "owner@x.example")]}  # org → first location
    # 13:00 UTC = 07:00 in Chicago and 08:00 in New York.
    at_one = subscriptions_due(engine, datetime(2026, 11, 25, 13, tzinfo=UTC))
    assert at_one == {
        "location:2": [Target("slack", "webhook"), Target("email", "gm@x.example")],
        "location:1": [Target("email", "gm@x.example")],
    }
