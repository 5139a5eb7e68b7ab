"""Stored revenue forecasts (`tools.forecast_snapshot`): the organization's forecast is computed
once per day, horizons and data version and read back — by every scope — until the data change."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, delete, func, select, update

from store import tables as t
from tests.agent.briefing.sample import seed_store
from tools.forecast import revenue_forecast
from tools.forecast_snapshot import data_version


def test_data_version_names_the_tables_the_forecast_reads(engine: Engine) -> None:
    # max id of appointments, sales, services, locations; finished ingest runs; rows they wrote.
    assert data_version(engine) == "m1:0:0:0:0:0:0"
    seed_store(engine)  # organization 1, locations 1 and 2
    assert data_version(engine) == "m1:0:0:0:2:0:0"
    with engine.begin() as conn:
        started = datetime(2026, 11, 24, 6, tzinfo=UTC)
        run = {"kind": "sales", "path": "x.csv", "started_at": started, "summary": {}}
        conn.execute(t.ingest_run.insert().values(status="running", **run))
        conn.execute(t.ingest_run.insert().values(status="completed", inserted=7, updated=5, **run))
    # The running import does not count yet; the finished one counts once with its 12 rows.
    assert data_version(engine) == "m1:0:0:0:2:1:12"


def _stored(engine: Engine, horizons: str) -> list[dict]:
    s = t.forecast_snapshot
    with engine.connect() as conn:
        rows = conn.execute(select(s.c.result).where(s.c.horizons == horizons)).scalars()
        return [dict(r) for r in rows]


def test_the_forecast_is_stored_once_and_read_back(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    org, as_of = manifest["organization_id"], date.fromisoformat(manifest["as_of"])
    # Horizons no other test asks for: this test's snapshot is its own.
    first = revenue_forecast(engine, organization_id=org, as_of=as_of, horizons=(7,))
    again = revenue_forecast(engine, organization_id=org, as_of=as_of, horizons=(7,))
    assert again == first
    [stored] = _stored(engine, "7")
    assert stored["totals"] == {"7": first.totals[7]}
    s = t.forecast_snapshot
    try:
        # What is read is the stored row: change it and the forecast follows.
        stored["totals"] = {"7": 1.25}
        stored["by_location"][0]["forecast"] = 2.5
        with engine.begin() as conn:
            conn.execute(update(s).where(s.c.horizons == "7").values(result=stored))
        read = revenue_forecast(engine, organization_id=org, as_of=as_of, horizons=(7,))
        assert read.totals == {7: 1.25}
        assert read.by_location[0].forecast == 2.5
        # Another day is another forecast, computed and stored beside the first.
        revenue_forecast(engine, organization_id=org, as_of=date(2026, 11, 23), horizons=(7,))
        assert len(_stored(engine, "7")) == 2
    finally:
        with engine.begin() as conn:
            conn.execute(delete(s).where(s.c.horizons == "7"))


def test_a_locations_forecast_is_its_part_of_the_organizations(
    demo_engine: tuple[Engine, dict],
) -> None:
    engine, manifest = demo_engine
    org, as_of = manifest["organization_id"], date.fromisoformat(manifest["as_of"])
    try:
        everyone = revenue_forecast(engine, organization_id=org, as_of=as_of, horizons=(14, 28))
        alone = revenue_forecast(
            engine, organization_id=org, as_of=as_of, location_id=2, horizons=(14, 28)
        )
        assert alone.by_location == [f for f in everyone.by_location if f.location_id == 2]
        assert alone.totals == {f.horizon_days: f.forecast for f in alone.by_location}
        # Only the location's facts: no organization-wide total under a location's name.
        assert {f.id for f in alone.facts} == {
            f"forecast.revenue.location-2.next-{h}d" for h in (14, 28)
        }
        with engine.connect() as conn:
            count = select(func.count()).select_from(t.forecast_snapshot)
            assert (
                conn.execute(count.where(t.forecast_snapshot.c.horizons == "14,28")).scalar() == 1
            )
    finally:
        with engine.begin() as conn:
            conn.execute(
                delete(t.forecast_snapshot).where(t.forecast_snapshot.c.horizons == "14,28")
            )
