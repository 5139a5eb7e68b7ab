from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select, text

from store import tables as t
from store.ingest import IngestError, LayoutError, get_run, ingest_csv, show_rejects
from store.ingest.loader import piece_size
from tests.store.ingest.conftest import NOW, ids, rows, seed_catalog, write

APPTS = (
    "external_id,start_at,status,patient_external_id,provider_external_id,service_name,"
    "location_external_id\n"
    "A1,2026-03-02 23:30,completed,PT1,PR1,Botox,L1\n"
    "A2,2026-05-20 10:00,booked,PT2,PR2,HydraFacial,L2\n"
)


def test_local_date_is_the_day_at_the_location(catalog: Engine, tmp_path: Path) -> None:
    result = ingest_csv(catalog, "appointments", write(tmp_path, "a.csv", APPTS), now=NOW)
    assert (result.inserted, result.rejected) == (2, 0)
    stored = {r["external_id"]: r for r in rows(catalog, t.appointment)}
    a1 = stored["A1"]
    # 23:30 in Chicago on 2 March 2026 (CST, UTC−6) is 05:30 UTC on 3 March …
    assert a1["start_at"] == datetime(2026, 3, 3, 5, 30, tzinfo=UTC)
    # … but the visit belongs to the local day, at local hour 23
    assert a1["local_date"] == date(2026, 3, 2) and a1["local_hour"] == 23
    # no end_at, no duration: the service's 30 minutes
    assert a1["duration_minutes"] == 30
    assert a1["end_at"] == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert a1["provider_id"] == ids(catalog, t.provider)["PR1"]
    # 10:00 in New York on 20 May (EDT, UTC−4) is 14:00 UTC
    assert stored["A2"]["start_at"] == datetime(2026, 5, 20, 14, 0, tzinfo=UTC)


def test_reimport_changes_nothing_and_an_updated_export_updates(
    catalog: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "a.csv", APPTS)
    ingest_csv(catalog, "appointments", path, now=NOW)
    before = rows(catalog, t.appointment)
    again = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert rows(catalog, t.appointment) == before
    # The booked visit of 20 May happened: the next export says completed.
    changed = write(tmp_path, "a2.csv", APPTS.replace("10:00,booked", "10:00,Completed"))
    later = ingest_csv(catalog, "appointments", changed, now=NOW)
    assert (later.inserted, later.updated, later.unchanged) == (0, 1, 1)
    stored = {r["external_id"]: r for r in rows(catalog, t.appointment)}
    assert stored["A2"]["status"] == "completed"
    assert stored["A2"]["id"] == {r["external_id"]: r for r in before}["A2"]["id"]


def test_bad_rows_are_rejected_with_line_column_reason_and_good_rows_land(
    catalog: Engine, tmp_path: Path
) -> None:
    text_ = (
        "external_id,start_at,status,patient_external_id,provider_external_id,"
        "location_external_id\n"
        "B1,2026-03-02 09:00,completed,PT1,PR1,L1\n"
        "B2,2026-03-02 09:00,completed,PT1,PR9,L1\n"  # unknown provider
        "B3,yesterday,completed,PT1,PR1,L1\n"  # not a date
        "B4,2026-12-24 09:00,completed,PT1,PR1,L1\n"  # completed in the future (now = 1 June)
        "B5,2026-12-24 09:00,booked,PT1,PR1,L1\n"  # booked in the future is fine
        "B6,2026-03-02 09:00,teleported,PT1,PR1,L1\n"  # unknown status
    )
    result = ingest_csv(catalog, "appointments", write(tmp_path, "b.csv", text_), now=NOW)
    assert (result.read, result.inserted, result.rejected) == (6, 2, 4)
    assert dict(result.rejected_by_reason) == {
        "unknown_provider": 1,
        "bad_datetime": 1,
        "future_date": 1,
        "unknown_status": 1,
    }
    stored = show_rejects(catalog, result.run_id or 0)
    assert [(r["line"], r["column"]) for r in stored] == [
        (3, "provider_external_id"),
        (4, "start_at"),
        (5, "start_at"),
        (7, "status"),
    ]
    assert stored[0]["reason"] == "unknown provider 'PR9'" and stored[0]["file"] == "b.csv"
    assert stored[0]["raw"] == "B2,2026-03-02 09:00,completed,PT1,PR9,L1"
    assert sorted(r["external_id"] for r in rows(catalog, t.appointment)) == ["B1", "B5"]
    run = get_run(catalog, result.run_id or 0)
    assert run is not None
    assert (run["status"], run["rows_read"], run["inserted"], run["rejected"]) == (
        "completed",
        6,
        2,
        4,
    )


def test_missing_columns_refuse_the_file_and_write_nothing(catalog: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "wrong.csv", "external_id,when,status\nX1,2026-03-02,completed\n")
    with pytest.raises(LayoutError) as err:
        ingest_csv(catalog, "appointments", path, now=NOW)
    message = str(err.value)
    assert message.startswith("wrong.csv: missing required column(s) for appointments")
    for column in ("start_at", "patient_external_id", "location_external_id"):
        assert column in message
    assert "status" not in message.split("the file has")[0]
    with catalog.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.appointment)).scalar() == 0
        assert (
            conn.execute(
                select(func.count())
                .select_from(t.ingest_run)
                .where(t.ingest_run.c.kind == "appointments")
            ).scalar()
            == 0
        )


def test_location_option_fills_rows_without_a_location(catalog: Engine, tmp_path: Path) -> None:
    text_ = "external_id,start_at,status,patient_external_id\nC1,2026-03-02 09:00,booked,PT1\n"
    path = write(tmp_path, "c.csv", text_)
    with pytest.raises(LayoutError, match="location_external_id"):
        ingest_csv(catalog, "appointments", path, now=NOW)
    result = ingest_csv(catalog, "appointments", path, location="Brooklyn Heights", now=NOW)
    assert result.inserted == 1
    assert rows(catalog, t.appointment)[0]["location_id"] == ids(catalog, t.location)["L2"]


def test_dry_run_counts_but_saves_nothing(catalog: Engine, tmp_path: Path) -> None:
    result = ingest_csv(
        catalog, "appointments", write(tmp_path, "a.csv", APPTS), dry_run=True, now=NOW
    )
    assert (result.inserted, result.run_id, result.status) == (2, None, "dry_run")
    assert rows(catalog, t.appointment) == []


def test_sales_money_refunds_and_mismatches(catalog: Engine, tmp_path: Path) -> None:
    text_ = (
        "external_id,paid_at,gross,discount,net,service_external_id,patient_external_id,"
        "location_external_id\n"
        'S1,2026-03-02 10:15,"$1,234.50",-34.50,"1,200.00",SV1,PT1,L1\n'
        "S2,2026-03-09 16:00,,,(12.00),SV1,PT1,L1\n"  # a refund given later
        "S3,2026-03-02 10:15,100.00,5.00,90.00,SV1,PT1,L1\n"  # 100 − 5 ≠ 90
        "S4,2026-07-01 10:00,,,50.00,SV1,PT1,L1\n"  # paid in the future
    )
    result = ingest_csv(catalog, "sales", write(tmp_path, "s.csv", text_), now=NOW)
    assert (result.inserted, result.rejected) == (2, 2)
    assert dict(result.rejected_by_reason) == {"net_mismatch": 1, "future_date": 1}
    stored = {r["external_id"]: r for r in rows(catalog, t.sale)}
    s1, s2 = stored["S1"], stored["S2"]
    # gross 1,234.50 − discount 34.50 (written negative) − refund 0 = net 1,200.00
    assert (s1["gross_cents"], s1["discount_cents"], s1["net_cents"]) == (123450, 3450, 120000)
    assert (s1["kind"], s1["item"], s1["category"]) == ("service", "Botox", "neurotoxin")
    assert s1["cogs_cents"] == 12000  # the service's cost of goods × 1
    assert (s2["kind"], s2["gross_cents"], s2["refund_cents"], s2["net_cents"]) == (
        "refund",
        0,
        1200,
        -1200,
    )
    assert s2["cogs_cents"] == 0


def test_duplicate_rows_in_a_file_land_once(catalog: Engine, tmp_path: Path) -> None:
    line = "D1,2026-03-02 09:00,booked,PT1,L1\n"
    text_ = "external_id,start_at,status,patient_external_id,location_external_id\n"
    text_ += line + line + "D1,2026-03-02 09:00,completed,PT1,L1\n"
    result = ingest_csv(catalog, "appointments", write(tmp_path, "d.csv", text_), now=NOW)
    assert (result.read, result.inserted, result.skipped) == (3, 1, 2)
    assert dict(result.skipped_by_reason) == {"duplicate_row": 1, "superseded_in_file": 1}
    assert [r["status"] for r in rows(catalog, t.appointment)] == ["completed"]  # last wins


def _install_failing_trigger(engine: Engine, external_id: str) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON appointment "
                    f"WHEN NEW.external_id = '{external_id}' "
                    "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION 'disk on fire'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER boom BEFORE INSERT ON appointment "
                    "FOR EACH ROW EXECUTE FUNCTION boom()"
                )
            )


def test_crash_mid_file_leaves_whole_batches_and_rerun_resumes(
    catalog: Engine, tmp_path: Path
) -> None:
    header = "external_id,start_at,status,patient_external_id,location_external_id\n"
    body = "".join(f"E{i},2026-03-0{i} 09:00,booked,PT1,L1\n" for i in range(1, 8))
    path = write(tmp_path, "e.csv", header + body)
    _install_failing_trigger(catalog, "E5")  # the database refuses a row of the third batch
    with pytest.raises(IngestError, match="disk on fire") as err:
        ingest_csv(catalog, "appointments", path, batch_size=2, now=NOW)
    failed = err.value.result
    # batches (E1,E2) and (E3,E4) committed; (E5,E6) rolled back whole; E7 never written
    assert sorted(r["external_id"] for r in rows(catalog, t.appointment)) == [
        "E1",
        "E2",
        "E3",
        "E4",
    ]
    run = get_run(catalog, failed.run_id or 0)
    assert run is not None and run["status"] == "failed" and "disk on fire" in run["error"]
    assert run["inserted"] == 4
    with catalog.begin() as conn:
        conn.execute(
            text(
                "DROP TRIGGER boom"
                + (" ON appointment" if catalog.dialect.name == "postgresql" else "")
            )
        )
    resumed = ingest_csv(catalog, "appointments", path, batch_size=2, now=NOW)
    assert (resumed.inserted, resumed.unchanged, resumed.status) == (3, 4, "completed")
    assert len(rows(catalog, t.appointment)) == 7


def test_a_batch_spanning_several_pieces_commits_or_rolls_back_whole(
    catalog: Engine, tmp_path: Path
) -> None:
    # 25,000 rows in transactions of 10,000, each handed over in two pieces of 5,000. The
    # database refuses E17000, in the second piece of the second transaction: the first piece
    # of that transaction (E10001–E15000, already written inside it) must go too.
    header = "external_id,start_at,status,patient_external_id,location_external_id\n"
    body = "".join(f"E{i},2026-03-02 09:00,booked,PT1,L1\n" for i in range(1, 25_001))
    path = write(tmp_path, "e.csv", header + body)
    _install_failing_trigger(catalog, "E17000")
    with pytest.raises(IngestError, match="disk on fire") as err:
        ingest_csv(catalog, "appointments", path, batch_size=10_000, now=NOW)
    with catalog.connect() as conn:
        stored = set(conn.execute(select(t.appointment.c.external_id)).scalars())
    assert stored == {f"E{i}" for i in range(1, 10_001)}
    run = get_run(catalog, err.value.result.run_id or 0)
    assert run is not None and (run["status"], run["inserted"], run["rows_read"]) == (
        "failed",
        10_000,
        10_000,
    )


# 12,000 rows cannot be two pieces of ≤ 5,000: three of 4,000; 5,001 → two of 2,501
@pytest.mark.parametrize(
    "batch, expected",
    [(2, 2), (5_000, 5_000), (10_000, 5_000), (12_000, 4_000), (5_001, 2_501)],
)
def test_piece_size_divides_the_batch_evenly(batch: int, expected: int) -> None:
    assert piece_size(batch) == expected


def test_rows_beyond_one_statement_parameter_limit_all_land(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # SQLite only: the bound-parameter limit is SQLite's; PostgreSQL loads by COPY.
    catalog = sqlite_engine
    seed_catalog(catalog, tmp_path)
    # With at most 100 parameters a statement, an appointment row (17 columns) goes 5 to a
    # statement (150 rows: 30 statements), and the re-import's lookup of 150 stored keys
    # takes two queries (99 keys + the source, then 51).
    catalog.dispose()
    event.listen(
        catalog,
        "connect",
        lambda dbapi, _record: dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100),
    )
    header = "external_id,start_at,status,patient_external_id,location_external_id\n"
    body = "".join(
        f"E{i:03d},2026-03-{i % 28 + 1:02d} 09:00,completed,PT2,L2\n" for i in range(150)
    )
    path = write(tmp_path, "e.csv", header + body)
    result = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (result.inserted, result.rejected) == (150, 0)
    stored = rows(catalog, t.appointment)
    assert [r["local_date"] for r in stored] == [date(2026, 3, i % 28 + 1) for i in range(150)]
    # 09:00 in New York is 14:00 UTC before 8 March (EST), 13:00 from then on (EDT)
    assert [r["start_at"].hour for r in stored] == [
        14 if i % 28 + 1 < 8 else 13 for i in range(150)
    ]
    again = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 150)
