"""Helpers for ingest tests: files written inside the test, a small practice catalog."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from store import tables as t
from store.ingest import ingest_csv

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""The clock of every ingest test: rows after this are 'in the future'."""


def write(
    folder: Path, name: str, text: str, *, encoding: str = "utf-8", bom: bool = False
) -> Path:
    path = folder / name
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


CATALOG = {
    "locations": (
        "external_id,name,timezone\n"
        "L1,Austin Domain,America/Chicago\n"
        "L2,Brooklyn Heights,America/New_York\n"
    ),
    "providers": (
        "external_id,first_name,last_name,role,location_external_id\n"
        "PR1,Maya,Lopez,nurse_injector,L1\n"
        "PR2,Sam,Okafor,physician,L2\n"
    ),
    "services": (
        "external_id,name,category,duration_minutes,price,cogs\n"
        "SV1,Botox,neurotoxin,30,450.00,120.00\n"
        "SV2,HydraFacial,skin,60,199.00,25.00\n"
    ),
    "patients": (
        "external_id,first_name,last_name,phone,email,birth_date,location_external_id\n"
        "PT1,Dana,Reyes,(512) 555-0142,dana@example.com,1988-07-30,L1\n"
        "PT2,Lee,Chen,+1 718 555 0199,lee@example.com,1979-01-02,L2\n"
    ),
}


def seed_catalog(engine: Engine, folder: Path, source: str | None = None) -> None:
    """Two locations (Chicago, New York time), two providers, two services, two patients."""
    for table, text in CATALOG.items():
        result = ingest_csv(
            engine, table, write(folder, f"{table}.csv", text), source=source, now=NOW
        )
        assert result.rejected == 0, result.rejects


def ids(engine: Engine, table: Any, column: str = "external_id") -> dict[str, int]:
    with engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(select(table.c[column], table.c.id))}


def rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.external_id))]


@pytest.fixture
def catalog(engine: Engine, tmp_path: Path) -> Engine:
    seed_catalog(engine, tmp_path)
    return engine


__all__ = ["NOW", "ids", "rows", "seed_catalog", "t", "write"]
