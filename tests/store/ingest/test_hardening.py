"""Issue 14, "Import: what was found": one regression test per finding, on both databases.

Every test asserts what the user sees (counts, the rejected line/column/reason) and what the
store holds; line numbers are the file's physical lines (the header is line 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from store.ingest import IngestResult, ingest_csv, ingest_fhir
from store.ingest.bounds import Bounds
from store.ingest.runs import HOST
from tests.store.ingest.conftest import NOW, ids, rows, t, write

SALES_HEADER = "external_id,paid_at,net,location_external_id\n"


def rejected(result: IngestResult) -> dict[int, tuple[str | None, str]]:
    """{line: (column, code)} of the run's rejects."""
    return {r["line"]: (r["column"], r["code"]) for r in result.rejects}


def sales(catalog: Engine, tmp_path: Path, body: str, **kw: Any) -> IngestResult:
    path = write(tmp_path, "sales.csv", SALES_HEADER + body)
    return ingest_csv(catalog, "sales", path, now=NOW, **kw)


def test_money_beyond_32_bits_is_stored_on_both_databases(catalog: Engine, tmp_path: Path) -> None:
    # $21,474,836.48 = 2,147,483,648 cents = 2**31: one more than a 32-bit column holds. The
    # default line bound ($250,000) would reject it, so the bound is raised for this test.
    result = sales(
        catalog,
        tmp_path,
        "S1,2026-03-02 10:00,21474836.48,L1\nS2,2026-03-02 11:00,10.00,L1\n",
        bounds=Bounds(line_amount_cents=10**15),
    )
    assert (result.inserted, result.rejected) == (2, 0)
    stored = {r["external_id"]: r["net_cents"] for r in rows(catalog, t.sale)}
    assert stored == {"S1": 2**31, "S2": 1000}


@pytest.mark.parametrize("dry_run", [False, True])
def test_an_amount_beyond_64_bits_rejects_its_row(
    catalog: Engine, tmp_path: Path, dry_run: bool
) -> None:
    body = "S1,2026-03-02 10:00,99999999999999999999.00,L1\nS2,2026-03-02 11:00,10.00,L1\n"
    result = sales(catalog, tmp_path, body, dry_run=dry_run)
    assert (result.inserted, result.rejected) == (1, 1)
    assert rejected(result) == {2: ("net", "out_of_range")}


def test_malformed_amounts_are_rejected_not_guessed(catalog: Engine, tmp_path: Path) -> None:
    body = (
        "S1,2026-03-02 10:00,1e15,L1\n"  # line 2: once a $1 quadrillion sale
        "S2,2026-03-02 10:00,--5,L1\n"  # line 3: once +$5
        'S3,2026-03-02 10:00,"$1,2,3",L1\n'  # line 4
        "S4,2026-03-02 10:00,12.345,L1\n"  # line 5
        'S5,2026-03-02 10:00,"1,234.50",L1\n'  # line 6: fine
        "S6,2026-03-02 10:00,-5.00,L1\n"  # line 7: fine (a refund)
    )
    result = sales(catalog, tmp_path, body)
    assert (result.inserted, result.rejected) == (2, 4)
    assert rejected(result) == {n: ("net", "bad_money") for n in (2, 3, 4, 5)}
    stored = {r["external_id"]: r["net_cents"] for r in rows(catalog, t.sale)}
    assert stored == {"S5": 123450, "S6": -500}


def test_implausible_values_are_rejected_with_the_bound_named(
    catalog: Engine, tmp_path: Path
) -> None:
    appts = write(
        tmp_path,
        "a.csv",
        "external_id,start_at,duration_minutes,status,patient_external_id,location_external_id\n"
        "A1,2026-03-02 09:00,-30,completed,PT1,L1\n"  # a negative duration
        "A2,2026-03-02 09:00,45,completed,PT1,L1\n",
    )
    result = ingest_csv(catalog, "appointments", appts, now=NOW)
    assert rejected(result) == {2: ("duration_minutes", "out_of_bounds")}
    shifts = write(
        tmp_path,
        "s.csv",
        "provider_external_id,location_external_id,day,available_minutes\n"
        "PR1,L1,2026-03-02,100000\nPR1,L1,2026-03-03,480\n",
    )
    result = ingest_csv(catalog, "shifts", shifts, now=NOW)
    assert rejected(result) == {2: ("available_minutes", "out_of_bounds")}
    assert "CLARITY_IMPORT_MAX_SHIFT_MINUTES" in result.rejects[0]["reason"]
    pay = write(
        tmp_path,
        "p.csv",
        "provider_external_id,period_start,period_end,base\n"
        "PR1,2026-03-01,2026-03-15,-100.00\nPR1,2026-03-16,2026-03-31,4000.00\n",
    )
    result = ingest_csv(catalog, "compensation", pay, now=NOW)
    assert rejected(result) == {2: ("base", "out_of_bounds")}
    assert "negative" in result.rejects[0]["reason"]
    spend = write(
        tmp_path,
        "m.csv",
        "channel,date,amount,location_external_id\n"
        "meta,2026-03-02,1000000000000.00,L1\ngoogle,2026-03-02,120.00,L1\n",
    )
    result = ingest_csv(catalog, "marketing_spend", spend, now=NOW)
    assert rejected(result) == {2: ("amount", "out_of_bounds")}
    assert "$1,000,000.00 (CLARITY_IMPORT_MAX_SPEND)" in result.rejects[0]["reason"]
    assert [r["amount_cents"] for r in rows(catalog, t.marketing_spend)] == [12000]


def test_far_dates_and_huge_durations_cost_their_row(catalog: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        "external_id,start_at,duration_minutes,status,patient_external_id,location_external_id\n"
        "A1,9999-12-31 09:00,,booked,PT1,L1\n"
        "A2,2026-03-02 09:00,99999999999,completed,PT1,L1\n"
        "A3,2026-03-02 09:00,2000,completed,PT1,L1\n"
        "A4,2026-03-02 10:00,45,completed,PT1,L1\n",
    )
    result = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (result.inserted, result.rejected) == (1, 3)
    assert rejected(result) == {
        2: ("start_at", "date_out_of_range"),
        3: ("duration_minutes", "out_of_range"),  # beyond a 32-bit integer
        4: ("duration_minutes", "out_of_bounds"),  # beyond 1,440 minutes
    }


def test_a_huge_field_and_a_nul_byte_cost_one_row(catalog: Engine, tmp_path: Path) -> None:
    big = "x" * 10_000_000  # a 10 MB field
    path = write(
        tmp_path,
        "a.csv",
        "external_id,start_at,status,patient_external_id,location_external_id,booking_channel\n"
        f"A1,2026-03-02 09:00,completed,PT1,L1,{big}\n"
        "A2,2026-03-02 09:00,completed,PT1,L1,web\x00site\n"
        "A3,2026-03-02 10:00,completed,PT1,L1,web\n",
    )
    result = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (result.inserted, result.rejected) == (1, 2)
    assert rejected(result) == {
        2: ("booking_channel", "value_too_long"),
        3: ("booking_channel", "nul_character"),
    }
    assert [r["external_id"] for r in rows(catalog, t.appointment)] == ["A3"]


def test_an_unterminated_quote_is_reported_at_its_line(catalog: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        "external_id,first_name,last_name\n"
        "P1,Ana,Diaz\n"
        'P2,"Bea,Cole\n'  # line 3: the quote never closes and swallows the rest
        "P3,Cy,Dunn\n",
    )
    result = ingest_csv(catalog, "patients", path, location="L1", now=NOW)
    assert (result.read, result.inserted, result.rejected) == (2, 1, 1)
    assert rejected(result) == {3: (None, "unterminated_quote")}


def test_a_bad_ndjson_line_costs_that_line(engine: Engine, tmp_path: Path) -> None:
    good = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Diaz", "given": ["A"]}]}
    other = {**good, "id": "p2"}
    path = tmp_path / "export.ndjson"
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps(other) + "\n")
    result = ingest_fhir(engine, path, now=NOW)
    assert (result.read, result.inserted, result.rejected) == (3, 2, 1)
    assert [(r["file"], r["line"], r["code"]) for r in result.rejects] == [
        ("export.ndjson", 2, "bad_line")
    ]
    with engine.connect() as conn:
        run = conn.execute(select(t.ingest_run)).one()
        stored = conn.execute(select(t.rejected_row.c.line)).scalars().all()
    assert (run.status, stored) == ("completed", [2])


def test_odd_entries_of_a_fhir_folder_are_listed_not_fatal(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Diaz"}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}
    (folder / "a.json").write_text(json.dumps(bundle))
    (folder / "b.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (folder / "c.json").symlink_to(folder / "missing.json")
    os.mkfifo(folder / "d.json")
    (folder / "e.json").mkdir()
    result = ingest_fhir(engine, folder, now=NOW)
    assert result.inserted == 1
    skipped = {item["file"]: item["reason"] for item in result.details["skipped_files"]}
    assert set(skipped) == {"b.json", "c.json", "d.json", "e.json"}
    assert skipped["c.json"] == "a broken symbolic link"
    assert skipped["e.json"] == "a folder"
    assert "FIFO" in skipped["d.json"]
    assert skipped["b.json"].startswith("not a FHIR JSON file")
    assert result.warnings_by_reason["skipped_file"] == 4


def test_two_concurrent_imports_report_truthful_counts(catalog: Engine, tmp_path: Path) -> None:
    body = "".join(f"S{i},2026-03-02 10:00,10.00,L1\n" for i in range(3000))
    path = write(tmp_path, "sales.csv", SALES_HEADER + body)
    results: list[IngestResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(ingest_csv(catalog, "sales", path, now=NOW, batch_size=500))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # One import stores the 3,000 rows; the other, which waited, finds them all unchanged.
    counts = sorted((r.inserted, r.unchanged, r.updated) for r in results)
    assert counts == [(0, 3000, 0), (3000, 0, 0)]
    assert len(rows(catalog, t.sale)) == 3000


def _dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_run_whose_process_died_is_marked_interrupted(catalog: Engine, tmp_path: Path) -> None:
    started = datetime.now(UTC)
    with catalog.begin() as conn:
        dead = conn.execute(
            insert(t.ingest_run)
            .values(
                kind="appointments",
                path="x.csv",
                status="running",
                started_at=started,
                summary={"source": "other", "host": HOST, "pid": _dead_pid()},
            )
            .returning(t.ingest_run.c.id)
        ).scalar_one()
        alive = conn.execute(
            insert(t.ingest_run)
            .values(
                kind="appointments",
                path="y.csv",
                status="running",
                started_at=started,
                summary={
                    "source": "other",
                    "host": HOST,
                    "pid": os.getpid(),
                    "heartbeat": started.isoformat(),
                },
            )
            .returning(t.ingest_run.c.id)
        ).scalar_one()
    result = sales(catalog, tmp_path, "S1,2026-03-02 10:00,10.00,L1\n")
    assert result.details["interrupted_runs"] == [dead]
    with catalog.connect() as conn:
        status = dict(conn.execute(select(t.ingest_run.c.id, t.ingest_run.c.status)).all())
    assert (status[dead], status[alive], status[result.run_id]) == (
        "interrupted",
        "running",
        "completed",
    )
    with catalog.begin() as conn:  # the live one's process is this test: end it for cleanliness
        conn.execute(update(t.ingest_run).where(t.ingest_run.c.id == alive).values(status="failed"))


def test_a_run_of_the_same_table_left_running_is_interrupted(
    catalog: Engine, tmp_path: Path
) -> None:
    # Its process would hold the lock this import now holds: it cannot be alive.
    with catalog.begin() as conn:
        left = conn.execute(
            insert(t.ingest_run)
            .values(
                kind="sales",
                path="sales.csv",
                status="running",
                started_at=datetime.now(UTC),
                summary={"source": "import", "host": "elsewhere", "pid": 1},
            )
            .returning(t.ingest_run.c.id)
        ).scalar_one()
    result = sales(catalog, tmp_path, "S1,2026-03-02 10:00,10.00,L1\n")
    assert result.details["interrupted_runs"] == [left]


def test_dst_gap_times_shift_forward_with_a_warning(catalog: Engine, tmp_path: Path) -> None:
    # 2026-03-08 02:30 does not exist in Chicago (clocks go 02:00 CST → 03:00 CDT). Read with
    # the offset before the change (−6 h) it is 08:30 UTC, which Chicago shows as 03:30 CDT.
    path = write(
        tmp_path,
        "a.csv",
        "external_id,start_at,status,patient_external_id,location_external_id\n"
        "A1,2026-03-08 02:30,completed,PT1,L1\n"
        "A2,2026-03-08 09:00,completed,PT1,L1\n",
    )
    result = ingest_csv(catalog, "appointments", path, now=NOW)
    assert (result.inserted, result.warnings_by_reason["dst_gap_shifted"]) == (2, 1)
    stored = {r["external_id"]: r for r in rows(catalog, t.appointment)}
    a1 = stored["A1"]
    start = a1["start_at"].replace(tzinfo=UTC) if a1["start_at"].tzinfo is None else a1["start_at"]
    assert start == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)
    assert (a1["local_hour"], str(a1["local_date"])) == (3, "2026-03-08")
    assert stored["A2"]["local_hour"] == 9


def test_a_file_of_midnights_warns_that_dates_may_be_date_only(
    catalog: Engine, tmp_path: Path
) -> None:
    result = sales(catalog, tmp_path, "S1,2026-03-02,10.00,L1\nS2,2026-03-03 00:00:00,12.00,L1\n")
    assert result.warnings_by_reason["times_all_midnight"] == 2
    assert "dates only" in result.details["notes"][0]
    mixed = sales(catalog, tmp_path, "S3,2026-03-02,10.00,L1\nS4,2026-03-03 10:15,12.00,L1\n")
    assert "times_all_midnight" not in mixed.warnings_by_reason


def test_rejects_carry_the_file_line_not_a_copy_line(catalog: Engine, tmp_path: Path) -> None:
    # 1,200 rows; the bad one is data row 1,001, i.e. file line 1,002 (the header is line 1).
    body = "".join(
        f"S{i},2026-03-02 10:00,{'30000000.00' if i == 1001 else '10.00'},L1\n"
        for i in range(1, 1201)
    )
    result = sales(catalog, tmp_path, body, batch_size=500)
    assert (result.inserted, result.rejected) == (1199, 1)
    assert rejected(result) == {1002: ("net", "out_of_bounds")}
    assert ids(catalog, t.sale).keys() == {f"S{i}" for i in range(1, 1201)} - {"S1001"}


def test_settings_defaults_are_the_documented_bounds() -> None:
    from clarity.cli_ingest import import_bounds
    from clarity.settings import Settings

    # $250,000 = 25,000,000 cents; $1,000,000 = 100,000,000 cents; 24 h = 1,440 minutes.
    assert (
        import_bounds(Settings(_env_file=None))
        == Bounds(
            line_amount_cents=25_000_000,
            duration_minutes=1_440,
            shift_minutes=1_440,
            pay_cents=100_000_000,
            spend_cents=100_000_000,
        )
        == Bounds()
    )
