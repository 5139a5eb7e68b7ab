"""The dashboard page and `/api/v1/dashboard` on the hand-built practice (tests/tools/handmade.py),
with the figures computed by hand there: Back Bay (location 1) and Austin (location 2) of
organization 1, October 2026."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from store.models import User, UserLocation
from tests.api.conftest import app_settings, login, password_hash
from tests.tools import handmade

OCT = {"period": "2026-10"}


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> FastAPI:
    handmade.build(engine)
    with Session(engine) as s:
        for email, role in (("owner@bb.example.com", "owner"), ("mgr@bb.example.com", "manager")):
            user = User(
                organization_id=1,
                email=email,
                name=role.title(),
                role=role,
                password_hash=password_hash(),
            )
            s.add(user)
            s.flush()
            assert user.id is not None
            if role == "manager":
                s.add(UserLocation(user_id=user.id, location_id=1))
        s.commit()
    return create_app(app_settings(tmp_path), engine=engine)


def client_for(app: FastAPI, email: str) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    assert login(client, email).status_code == 303
    return client


def cell_text(page: str, slot: str) -> str:
    match = re.search(rf'<td class="(lvl\d)" data-slot="{slot}"[^>]*>([^<]*)</td>', page)
    assert match, slot
    return f"{match[1]} {match[2]}"


def test_manager_heat_map_by_hand(app: FastAPI) -> None:
    client = client_for(app, "mgr@bb.example.com")
    data = client.get("/api/v1/dashboard", params=OCT).json()
    assert data["scope"] == "location:1" and data["portfolio"] is None
    heat = data["heatmap"]
    # Completed in October at Back Bay (handmade docstring / tests/tools/test_slots.py): Mon 10
    # $500, Tue 10 $450, Tue 11 $500, Thu 10 $800, Fri 10 $0, Sat 23 $500 → hours 10–23.
    assert heat["hours"] == list(range(10, 24))
    assert heat["revenue"] == 2750.0
    rows = {row["weekday_name"]: row for row in heat["rows"]}
    assert list(rows) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    tue10 = rows["Tue"]["cells"][0]
    assert (tue10["revenue"], tue10["utilization"]) == (450.0, 0.125)
    # Levels: utilization over the busiest cell (Thu 10, 25%): Mon 6.25% → ¼ → 1, Tue 12.5%
    # → ½ → 2, Thu → 4. Fri and Sat have no shift minutes: booked minutes over the most
    # booked cell (Thu, 60): 30 / 60 → 2.
    levels = {
        (name, cell["hour"]): cell["level"]
        for name, row in rows.items()
        for cell in row["cells"]
        if cell is not None
    }
    assert levels == {
        ("Mon", 10): 1,
        ("Tue", 10): 2,
        ("Tue", 11): 2,
        ("Thu", 10): 4,
        ("Fri", 10): 2,
        ("Sat", 23): 2,
    }
    assert rows["Wed"]["cells"] == [None] * 14
    assert rows["Tue"]["utilization"] == 0.125  # 60 / 480 shift minutes
    page = client.get("/dashboard", params=OCT).text
    assert 'id="heatmap"' in page
    assert cell_text(page, "Tue-10") == "lvl2 $450"
    assert cell_text(page, "Thu-10") == "lvl4 $800"
    assert cell_text(page, "Fri-10") == "lvl2 $0"
    assert cell_text(page, "Sat-23") == "lvl2 $500"
    assert "total $2,750" in page


def test_funnel_mix_and_provider_pnl_by_hand(app: FastAPI) -> None:
    client = client_for(app, "mgr@bb.example.com")
    data = client.get("/api/v1/dashboard", params=OCT).json()
    funnel = {f["channel"]: f for f in data["funnel"]}
    # Google: 3 leads, 2 booked, 2 completed, 2 rebooked; Meta: 1, 1, 1, 0 (test_kpis.py).
    assert [funnel["google_ads"][k] for k in ("leads", "booked", "completed", "rebooked")] == [
        3,
        2,
        2,
        2,
    ]
    assert [funnel["meta_ads"][k] for k in ("leads", "booked", "completed", "rebooked")] == [
        1,
        1,
        1,
        0,
    ]
    mix = {m["item"]: m for m in data["mix"]}
    assert mix["Botox"]["revenue"] == 1500.0 and mix["Botox"]["margin"] == pytest.approx(0.6)
    providers = {p["provider_id"]: p for p in data["providers"]}
    assert set(providers) == {1, 2}  # Back Bay's providers only (Cy works at Austin)
    # Ana: production 1,500 − comp 3,200 − cost of goods 600 = −2,300; Ben's comp unknown.
    assert providers[1]["profit"] == pytest.approx(-2300.0)
    assert providers[2]["profit"] is None
    page = client.get("/dashboard", params=OCT).text
    assert re.search(
        r'data-channel="google_ads">.*?3 leads.*?2 booked.*?2 completed.*?2 rebooked', page, re.S
    )
    assert re.search(r"<td>Botox</td><td class=\"num\">\$1,500</td>.*?60%</td>", page, re.S)
    assert re.search(r'href="/dashboard\?provider=1&amp;period=2026-10">Ana', page) or re.search(
        r'href="/dashboard\?provider=1&period=2026-10">Ana', page
    )
    assert "$-2,300" in page or "-$2,300" in page


def test_drill_into_a_provider(app: FastAPI) -> None:
    client = client_for(app, "mgr@bb.example.com")
    ana = client.get("/api/v1/dashboard", params={**OCT, "provider": 1}).json()
    assert ana["scope"] == "provider:1" and ana["location_id"] == 1
    assert ana["funnel"] is None  # acquisition is per location
    assert [p["provider_id"] for p in ana["providers"]] == [1]
    # Ana's completed October visits: Mon 10 $500, Tue 10 $450, Tue 11 $500, Fri 10 $0, Sat 23.
    assert ana["heatmap"]["revenue"] == 1950.0
    # Cy works at Austin, which the Back Bay manager does not see.
    assert client.get("/api/v1/dashboard", params={**OCT, "provider": 3}).status_code == 404
    assert client.get("/dashboard", params={**OCT, "provider": 3}).status_code == 404
    assert client.get("/api/v1/dashboard", params={**OCT, "location": 2}).status_code == 404
    page = client.get("/dashboard", params={**OCT, "provider": 1}).text
    assert "Ana" in page and 'id="funnel"' not in page


def test_owner_portfolio_and_kpi_charts(app: FastAPI) -> None:
    client = client_for(app, "owner@bb.example.com")
    data = client.get("/api/v1/dashboard", params=OCT).json()
    assert data["scope"] == "org:1"
    portfolio = data["portfolio"]
    # Back Bay $2,399 vs $2,000 in October 2025 → +19.95%, rank 1; Austin not comparable.
    assert portfolio["growth"] == pytest.approx(0.1995)
    ranks = {row["location_id"]: row["rank"] for row in portfolio["locations"]}
    assert ranks == {1: 1, 2: None}
    charts = {c["kpi"]: c for c in data["charts"]}
    entries = {e["kpi"]: e for e in data["kpis"]["entries"]}
    # A rate within 0–1 is drawn on a 0–100% axis; the no-show band 15–20% sits at 15–20.
    no_show = charts["no_show_rate"]
    assert no_show["axis_max"] == 1.0
    assert {"kind": "average", "start": 15.0, "end": 20.0} in no_show["bands"]
    value = entries["no_show_rate"]["current"]["value"]
    assert no_show["value"] == pytest.approx(round(value * 100, 1))
    page = client.get("/dashboard", params=OCT).text
    assert 'id="portfolio"' in page and "comparable locations +20.0%" in page
    west = client.get("/dashboard", params={**OCT, "location": 2}).text
    assert 'id="portfolio"' not in west


def test_dashboard_is_for_owners_and_managers(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/v1/dashboard").status_code == 401
        assert anonymous.get("/dashboard").status_code == 401
