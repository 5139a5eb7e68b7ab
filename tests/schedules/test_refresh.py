"""A dropped export is imported once before the next briefing and its rows are in that
briefing's figures; the same content dropped again (under another name) imports nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from schedules.jobs import run_scheduled_briefing
from schedules.refresh import drop_folder, refresh_location
from schedules.runs import recent_runs
from store import tables as t
from tests.schedules.store_seed import seed, settings_for

SALES_CSV = """external_id,paid_at,net,item
drop-1,2027-03-13 11:00,1000.00,Filler
drop-2,2027-03-13 15:30,250.00,Peel
"""


def net_on(engine: Engine, day: date) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.sum(t.sale.c.net_cents)).where(
                    t.sale.c.location_id == 1, t.sale.c.local_date == day
                )
            ).scalar_one()
        )


def test_a_dropped_export_is_in_the_next_briefing_once(engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    settings = settings_for(tmp_path)
    folder = drop_folder(settings, 1) / "sales"
    folder.mkdir(parents=True)
    (folder / "pos-2027-03-13.csv").write_text(SALES_CSV)

    # 07:00 PDT on 2027-03-14 = 14:00Z; the briefing covers 2027-03-13.
    now = datetime(2027, 3, 14, 14, 5, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "location:1", now=now) == "ok"
    # Seeded $450 on the 13th + dropped $1,000 + $250 = $1,700 = 170,000 cents.
    assert net_on(engine, date(2027, 3, 13)) == 170_000
    with engine.connect() as conn:
        text_md = conn.execute(select(t.briefing.c.text_md)).scalar_one()
    assert "| Net revenue (2027-03-13) | **$1,700** |" in text_md  # the key-numbers table

    # The same bytes again under another name: nothing imported.
    (folder / "pos-copy.csv").write_text(SALES_CSV)
    assert refresh_location(engine, settings, 1, now=now) == []
    imports = [r for r in recent_runs(engine) if r.kind == "import"]
    assert [r.status for r in imports] == ["ok"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.sale)).scalar_one() == 4  # 2 + 2

    # New content is imported on the next refresh (06:00 PDT = 13:00Z, before `now`).
    (folder / "pos-2027-03-14.csv").write_text(
        "external_id,paid_at,net,item\ndrop-3,2027-03-14 06:00,80.00,Facial\n"
    )
    (imported,) = refresh_location(engine, settings, 1, now=now)
    assert (imported.path.name, imported.status, imported.inserted) == (
        "pos-2027-03-14.csv",
        "ok",
        1,
    )


def test_rejected_rows_are_in_the_next_briefing_footer(engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    settings = settings_for(tmp_path)
    folder = drop_folder(settings, 1) / "sales"
    folder.mkdir(parents=True)
    (folder / "pos.csv").write_text(
        "external_id,paid_at,net,item\n"
        "ok-1,2027-03-13 11:00,100.00,Peel\n"
        "bad-1,not a date,50.00,Peel\n"
        "bad-2,2027-03-13 12:00,lots,Peel\n"
    )
    now = datetime(2027, 3, 14, 14, 5, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "location:1", now=now) == "ok"
    with engine.connect() as conn:
        run_id = conn.execute(select(func.max(t.ingest_run.c.id))).scalar_one()
        text_md = conn.execute(select(t.briefing.c.text_md)).scalar_one()
    assert (
        "Data refresh: 2 rows were rejected from an export imported 2027-03-14 14:05 UTC "
        f"(list them: clarity ingest --show-rejects {run_id})."
    ) in text_md
    assert "pos.csv" not in text_md

    # The next morning a clean export arrives: that briefing (2027-03-14) has no refresh line,
    # the rejects were reported in the previous one.
    (folder / "pos-14.csv").write_text(
        "external_id,paid_at,net,item\nok-2,2027-03-14 11:00,80.00,Facial\n"
    )
    next_day = datetime(2027, 3, 15, 14, 5, tzinfo=UTC)
    assert run_scheduled_briefing(engine, settings, "location:1", now=next_day) == "ok"
    with engine.connect() as conn:
        latest = conn.execute(
            select(t.briefing.c.text_md).order_by(t.briefing.c.for_date.desc())
        ).first()
    assert latest is not None and "Data refresh" not in latest.text_md
    assert "2027-03-14" in latest.text_md
