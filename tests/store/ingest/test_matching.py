from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from store import tables as t
from store.ingest import ingest_csv
from tests.store.ingest.conftest import NOW, ids, write


def test_ambiguous_and_contradicting_matches_are_not_merged(engine: Engine, tmp_path: Path) -> None:
    emr = (
        "external_id,first_name,last_name,phone,email,birth_date\n"
        "E1,Ana,Diaz,512-555-0101,ana@example.com,1990-05-05\n"
        "E2,Ana,Diaz,512-555-0102,ana.d@example.com,\n"
        "E3,Luis,Diaz,512-555-0103,,1960-01-01\n"
    )
    ingest_csv(engine, "patients", write(tmp_path, "emr.csv", emr), source="emr", now=NOW)
    pos = (
        "external_id,first_name,last_name,phone,email,birth_date\n"
        # phone of E1, email of E2: two different patients agree → ambiguous
        "C1,Ana,Diaz,512-555-0101,ana.d@example.com,\n"
        # E3's phone but another first name (his daughter): contradiction → new patient
        "C2,Sofia,Diaz,512-555-0103,,\n"
        # name + birth date of E1 with nothing else → merged
        "C3,ana,DIAZ,,,1990-05-05\n"
    )
    result = ingest_csv(engine, "patients", write(tmp_path, "pos.csv", pos), source="pos", now=NOW)
    assert (result.inserted, result.matched) == (2, 1)
    emr_ids = ids(engine, t.patient)
    assert result.ambiguous == [
        {
            "line": 2,
            "external_id": "C1",
            "candidates": [f"P-{emr_ids['E1']}", f"P-{emr_ids['E2']}"],
        }
    ]
    assert dict(result.warnings_by_reason) == {"ambiguous_match": 1}
    with engine.connect() as conn:
        links = conn.execute(
            select(
                t.external_link.c.external_id,
                t.external_link.c.target_id,
                t.external_link.c.matched_by,
            )
        ).all()
    assert [tuple(link) for link in links] == [("C3", emr_ids["E1"], "name_birth_date")]
    # Importing the POS file again: C1 and C2 are now its own rows, C3 resolves by its link.
    again = ingest_csv(engine, "patients", write(tmp_path, "pos.csv", pos), source="pos", now=NOW)
    assert (again.inserted, again.updated, again.unchanged, again.matched) == (0, 0, 3, 0)
