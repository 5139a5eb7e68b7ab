"""`/healthz` and the app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from store.db import make_engine
from tests.api.conftest import app_settings


def test_healthz_ok_with_the_schema(engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(app_settings(tmp_path), engine=engine)) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "reason": None}


def test_healthz_503_without_the_schema(bare_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(app_settings(tmp_path), engine=bare_engine)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "database schema missing; run `clarity db upgrade`",
    }


def test_healthz_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with TestClient(create_app(app_settings(tmp_path), engine=engine)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "database unreachable (OperationalError)"
    assert "\n" not in body["reason"]


def test_app_opens_and_closes_its_own_engine_from_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    app = create_app(app_settings(tmp_path, database_url=url))
    assert not hasattr(app.state, "engine")  # nothing connected before the lifespan starts
    with TestClient(app) as client:
        assert str(app.state.engine.url) == url
        # An empty file: reachable, but no schema yet.
        assert client.get("/healthz").status_code == 503


def test_dev_session_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = app_settings(tmp_path, session_secret=None)
    first = create_app(settings).state.secret
    second = create_app(settings).state.secret
    secret_file = tmp_path / "var" / "session_secret"
    assert first == second == secret_file.read_text().strip()
    assert len(first) >= 48
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_openapi_docs_are_served(tmp_path: Path, engine: Engine) -> None:
    with TestClient(create_app(app_settings(tmp_path), engine=engine)) as client:
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/healthz",
        "/api/v1/me",
        "/api/v1/briefings",
        "/api/v1/briefings/{briefing_id}",
        "/api/v1/today",
        "/api/v1/kpis",
        "/api/v1/dashboard",
        "/api/v1/users",
        "/api/v1/chat/stream",
        "/api/v1/outreach",
        "/api/v1/outreach/{message_id}",
        "/api/v1/patients/at-risk",
        "/api/v1/sent",
        "/api/v1/audit",
        "/api/v1/settings",
        "/api/v1/patients/no-show-tomorrow",
    }
