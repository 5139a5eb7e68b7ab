"""`clarity findings --summary` on the hand-built practice, SQLite and PostgreSQL (figures
worked out in tests/tools/test_opportunity.py; the last day with data there is 2026-11-02)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from tests.clarity.test_cli_scope import runner
from tests.tools import handmade

pytest_plugins = ["tests.clarity.test_cli_scope"]


def test_summary_json_and_text(store: Engine) -> None:
    from clarity.cli import app

    handmade.build(store)
    result = runner.invoke(app, ["findings", "--summary", "--as-of", "2026-10-31", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # Back Bay capacity $6,020 + compensation $32,532.61 + no-shows $653.13; Austin's
    # compensation $35,283.33; revenue 2,399 + 300.
    total = 6_020 + 32_532.61 + 653.13 + 35_283.33
    assert data["total_per_year"] == pytest.approx(total, abs=0.03)
    assert data["share_of_revenue"] == pytest.approx(total / 2_699, abs=1e-5)
    assert [row["name"] for row in data["by_location"]] == ["Back Bay", "Austin"]
    text = runner.invoke(
        app, ["findings", "--summary", "--as-of", "2026-10-31"], env={"COLUMNS": "200"}
    )
    assert text.exit_code == 0, text.stderr
    # 74,489.07 / 2,699 = 27.599 → 2759.9%.
    assert "$74,489/year" in text.stdout and "2759.9% of $2,699" in text.stdout
    assert "$35,283" in text.stdout and "organization" in text.stdout


def test_kpis_more_json_and_text(store: Engine) -> None:
    from clarity.cli import app

    handmade.build(store)
    args = ["kpis", "--more", "--location", "1", "--period", "2026-10"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    by_kpi = {k["kpi"]: k["value"] for k in data["kpis"]}
    # Back Bay, October (tests/tools/test_seed_metrics.py): $900 / 4 leads; $2,399 / 6 seen.
    assert by_kpi["cost_per_lead"] == 225.0
    assert by_kpi["revenue_per_patient"] == pytest.approx(399.83)
    cohorts = {r["cohort"]: r["rate"] for r in data["rebooking_by_cohort"]}
    assert cohorts == {"new": 0.5, "returning": 1.0}
    text = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert text.exit_code == 0, text.stderr
    assert "Cost per lead" in text.stdout and "$225" in text.stdout
    assert "Rebooking, new patients" in text.stdout and "50.0%" in text.stdout
    assert "Revenue per provider hour after compensation, Ana Test" in text.stdout
    assert "-$143.75" in text.stdout
