"""The same practice on SQLite and PostgreSQL gives the same KPIs, P&L and findings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import SQLModel

from store.demo import DemoConfig, build_demo
from tests.conftest import empty_engine
from tools import kpis
from tools.findings import compute_findings
from tools.scope import Period, Scope


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _everything(engine: Any) -> dict[str, Any]:
    october = Period.month(2026, 10)
    return _rounded(
        {
            "org": kpis.kpi_snapshot(engine, Scope(1), october).model_dump(mode="json"),
            "location": kpis.kpi_snapshot(engine, Scope(1, 2), october).model_dump(mode="json"),
            "provider": kpis.kpi_snapshot(engine, Scope(1, provider_id=3), october).model_dump(
                mode="json"
            ),
            "pnl": [
                r.model_dump(mode="json") for r in kpis.provider_pnl(engine, Scope(1), october)
            ],
            "funnel": [
                f.model_dump(mode="json")
                for f in kpis.new_patient_funnel(engine, Scope(1), october)
            ],
            "ltv": [
                f.model_dump(mode="json") for f in kpis.marketing_ltv(engine, Scope(1), october)
            ],
            "mix": [
                m.model_dump(mode="json") for m in kpis.treatment_mix(engine, Scope(1), october)
            ],
            "growth": kpis.same_store_growth(engine, 1, october).model_dump(mode="json"),
            "findings": [
                d.model_dump(mode="json")
                for d in compute_findings(engine, organization_id=1, as_of=date(2026, 11, 24))
            ],
        }
    )


@pytest.mark.slow
def test_sqlite_and_postgresql_agree(tmp_path: Path) -> None:
    results = []
    for backend in ("sqlite", "postgresql"):
        for engine in empty_engine(backend, tmp_path):
            SQLModel.metadata.create_all(engine)
            build_demo(engine, DemoConfig(seed=11, patients=1500))
            results.append(_everything(engine))
    sqlite, postgresql = results
    assert sqlite["org"]["facts"]  # something was computed
    for key in sqlite:
        assert sqlite[key] == postgresql[key], key
