"""`clarity kpis`, `findings` and `provider-pnl` on a small demo, in-process on each backend."""

from __future__ import annotations

import json

from tests.clarity.conftest import Cli


def test_kpis_json_defaults_to_last_complete_month(demo_cli: Cli) -> None:
    result = demo_cli("kpis", "--location", "2", "--json")
    assert result.exit_code == 0, result.stderr
    snapshot = json.loads(result.stdout)
    # The demo ends 2026-11-24: the last complete month is October.
    assert (snapshot["period_start"], snapshot["period_end"]) == ("2026-10-01", "2026-10-31")
    ids = {fact["id"] for fact in snapshot["facts"]}
    assert "rebooking_rate.location-2.2026-10" in ids
    assert "rebooking_rate.location-2.2026-09" in ids


def test_kpis_table_and_period_option(demo_cli: Cli) -> None:
    result = demo_cli("kpis", "--period", "last-30d")
    assert result.exit_code == 0, result.stderr
    assert "2026-10-26..2026-11-24" in result.stdout
    assert "Rebooking rate" in result.stdout


def test_provider_pnl_and_findings(demo_cli: Cli) -> None:
    pnl = demo_cli("provider-pnl", "--location", "1", "--period", "2026-10", "--json")
    assert pnl.exit_code == 0, pnl.stderr
    rows = json.loads(pnl.stdout)
    assert rows and all(row["location_id"] == 1 for row in rows)
    found = demo_cli("findings", "--json")
    assert found.exit_code == 0, found.stderr
    dollars = [f["dollars"] for f in json.loads(found.stdout)]
    assert dollars == sorted(dollars, reverse=True)


def test_bad_location_and_period_exit_with_one_line(demo_cli: Cli) -> None:
    for args, text in (
        (["kpis", "--location", "99"], "location 99 is not in organization 1"),
        (["provider-pnl", "--period", "October"], "--period"),
    ):
        result = demo_cli(*args)
        assert result.exit_code == 2
        assert text in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
