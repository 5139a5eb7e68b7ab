"""store.scope: which organization, which locations, which as-of day — on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, insert

from store import tables as t
from store.scope import (
    ScopeError,
    SeveralOrganizationsError,
    last_activity_day,
    resolve_scope,
)


def _org(engine: Engine, oid: int, name: str, location_ids: list[int]) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.organization).values(id=oid, name=name, slug=name.lower()))
        for lid in location_ids:
            conn.execute(
                insert(t.location).values(id=lid, organization_id=oid, name=f"{name} {lid}")
            )
        conn.execute(
            insert(t.patient).values(
                id=oid, home_location_id=location_ids[0], first_name="A", last_name="B"
            )
        )


def _appointment(engine: Engine, aid: int, location_id: int, day: date, status: str) -> None:
    with engine.begin() as conn:
        patient = (
            conn.execute(t.location.select().where(t.location.c.id == location_id))
            .one()
            .organization_id
        )
        start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
        conn.execute(
            insert(t.appointment).values(
                id=aid,
                patient_id=patient,
                location_id=location_id,
                start_at=start,
                end_at=start,
                local_date=day,
                status=status,
            )
        )


def _sale(engine: Engine, sid: int, location_id: int, day: date) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(t.sale).values(
                id=sid,
                location_id=location_id,
                item="Botox",
                net_cents=100,
                paid_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
                local_date=day,
            )
        )


@pytest.fixture
def two_orgs(engine: Engine) -> Engine:
    """Org 1 "Glow" (locations 1, 2) and org 2 "Lumen" (location 3).

    Glow: sales up to Nov 20 at location 1, completed appointments up to Nov 22 at location 2,
    a booked (future) appointment on Dec 5. Lumen: one sale on Oct 31.
    """
    _org(engine, 1, "Glow", [1, 2])
    _org(engine, 2, "Lumen", [3])
    _sale(engine, 1, 1, date(2026, 11, 20))
    _appointment(engine, 1, 2, date(2026, 11, 22), "completed")
    _appointment(engine, 2, 2, date(2026, 12, 5), "booked")
    _sale(engine, 2, 3, date(2026, 10, 31))
    return engine


def test_two_organizations_need_org_and_never_default_to_the_lowest(two_orgs: Engine) -> None:
    with pytest.raises(SeveralOrganizationsError) as raised:
        resolve_scope(two_orgs)
    message = str(raised.value)
    assert "1 (Glow)" in message and "2 (Lumen)" in message and "--org" in message
    assert raised.value.organizations == [(1, "Glow"), (2, "Lumen")]


def test_org_given_gets_its_locations_and_last_day(two_orgs: Engine) -> None:
    glow = resolve_scope(two_orgs, org=1)
    # Latest activity in Glow: the completed appointment of Nov 22 (the sale is Nov 20, the
    # booked Dec 5 visit has not happened).
    assert glow.allowed_location_ids == (1, 2)
    assert (glow.as_of, glow.last_data_day) == (date(2026, 11, 22), date(2026, 11, 22))
    assert glow.organization_name == "Glow" and glow.location_id is None
    lumen = resolve_scope(two_orgs, org=2)
    assert (lumen.allowed_location_ids, lumen.as_of) == ((3,), date(2026, 10, 31))


def test_a_location_gives_its_organization(two_orgs: Engine) -> None:
    scope = resolve_scope(two_orgs, location=3)
    assert (scope.organization_id, scope.location_id, scope.allowed_location_ids) == (2, 3, (3,))
    # Location 1 alone: its last activity is the sale of Nov 20.
    assert resolve_scope(two_orgs, location=1).as_of == date(2026, 11, 20)


def test_a_store_with_only_appointments_gets_the_right_as_of(engine: Engine) -> None:
    _org(engine, 1, "Glow", [1])
    _appointment(engine, 1, 1, date(2026, 3, 9), "no_show")
    _appointment(engine, 2, 1, date(2026, 3, 10), "completed")
    _appointment(engine, 3, 1, date(2026, 3, 30), "booked")
    # Outcomes up to Mar 10 are activity; the Mar 30 booking is not (yet).
    assert resolve_scope(engine).as_of == date(2026, 3, 10)
    assert last_activity_day(engine, 1) == date(2026, 3, 10)


def test_unknown_location_gets_the_kpis_message(two_orgs: Engine) -> None:
    with pytest.raises(ScopeError, match=r"^location 99 is not in organization 1$"):
        resolve_scope(two_orgs, org=1, location=99)
    with pytest.raises(ScopeError, match=r"^location 99 is not in any organization$"):
        resolve_scope(two_orgs, location=99)


def test_unknown_location_in_a_one_organization_store(engine: Engine) -> None:
    _org(engine, 1, "Glow", [1])
    _sale(engine, 1, 1, date(2026, 11, 20))
    with pytest.raises(ScopeError, match=r"^location 99 is not in organization 1$"):
        resolve_scope(engine, location=99)


def test_a_location_of_another_organization_is_refused(two_orgs: Engine) -> None:
    with pytest.raises(ScopeError, match=r"^location 3 is not in organization 1$"):
        resolve_scope(two_orgs, org=1, location=3)
    with pytest.raises(ScopeError, match=r"^organization 7 does not exist$"):
        resolve_scope(two_orgs, org=7)


def test_as_of_after_the_last_day_is_refused_naming_it(two_orgs: Engine) -> None:
    with pytest.raises(
        ScopeError, match=r"2026-11-23 is after the last day with data \(2026-11-22\)"
    ):
        resolve_scope(two_orgs, org=1, as_of=date(2026, 11, 23))
    assert resolve_scope(two_orgs, org=1, as_of=date(2026, 11, 1)).as_of == date(2026, 11, 1)
    ahead = resolve_scope(two_orgs, org=1, as_of=date(2026, 12, 1), allow_after_last_day=True)
    assert (ahead.as_of, ahead.last_data_day) == (date(2026, 12, 1), date(2026, 11, 22))


def test_allowed_locations_restrict(two_orgs: Engine) -> None:
    mine = resolve_scope(two_orgs, org=1, allowed_locations=[1, 3])
    # Location 3 belongs to Lumen: dropped. Location 1's last activity is the Nov 20 sale.
    assert (mine.allowed_location_ids, mine.as_of) == ((1,), date(2026, 11, 20))
    with pytest.raises(ScopeError, match=r"^location 2 is not one you may see; allowed: \[1\]$"):
        resolve_scope(two_orgs, org=1, location=2, allowed_locations=[1])
    with pytest.raises(ScopeError, match="may not see any location of organization 2"):
        resolve_scope(two_orgs, org=2, allowed_locations=[1])


def test_an_empty_store_says_how_to_get_data(engine: Engine) -> None:
    with pytest.raises(ScopeError, match="no practice data yet"):
        resolve_scope(engine)
    _org(engine, 1, "Glow", [1])
    with pytest.raises(ScopeError, match="no practice data yet"):
        resolve_scope(engine)
    assert last_activity_day(engine, 1) is None
