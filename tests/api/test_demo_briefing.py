"""A briefing written by the real briefing graph on the small demo practice, read back through
the app: the link its e-mail carries opens it, the JSON matches what the graph wrote, names
come from the patient rows and never reach the evaluator."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from agent.briefing.gather_tools import ToolsGatherer
from agent.briefing.graph import run_briefing
from api.app import create_app
from store.demo import build_demo
from store.models import Patient, User, UserLocation
from tests.api.conftest import app_settings, login, password_hash
from tests.conftest import SMALL_DEMO


def test_demo_briefing_through_the_app(engine: Engine, tmp_path: Path) -> None:
    manifest = build_demo(engine, SMALL_DEMO)
    org = manifest["organization_id"]
    result = run_briefing(
        engine,
        organization_id=org,
        location_id=1,
        for_date=date.fromisoformat(manifest["as_of"]),
        gatherer=ToolsGatherer(persist=False),
        app_base_url="http://testserver",
    )
    with Session(engine) as s:
        for email, role in (
            ("fd@demo.example.com", "front_desk"),
            ("ev@demo.example.com", "evaluator"),
        ):
            user = User(
                organization_id=org,
                email=email,
                name=role,
                role=role,
                password_hash=password_hash(),
            )
            s.add(user)
            s.flush()
            assert user.id is not None
            s.add(UserLocation(user_id=user.id, location_id=1))
        s.commit()
        ids = [line.patient_id for line in result.written.call_list]
        patients = {p.id: p for p in s.exec(select(Patient).where(col(Patient.id).in_(ids))).all()}
    assert ids, "the demo briefing has a call list"

    app = create_app(app_settings(tmp_path), engine=engine)
    with TestClient(app) as front_desk, TestClient(app) as evaluator:
        assert login(front_desk, "fd@demo.example.com").status_code == 303
        assert login(evaluator, "ev@demo.example.com").status_code == 303

        # The e-mail's "Full briefing in Clarity" link: /briefings/location:1/<as_of>.
        link = urlsplit(result.rendered.url).path
        assert link == f"/briefings/location:1/{manifest['as_of']}"
        page = front_desk.get(link)
        assert page.status_code == 200

        view = front_desk.get(f"/api/v1/briefings/{result.briefing_id}").json()
        assert view["headline"] == result.written.headline
        assert view["badge"]["state"] == "verified"
        assert [p["title"] for p in view["points"]] == [p.title for p in result.written.points]
        dollars = {p.key: p.dollars for p in result.outline.points}
        assert [p["dollars"] for p in view["points"]] == [
            dollars[p.key] for p in result.written.points
        ]
        for line, shown in zip(result.written.call_list, view["call_list"], strict=True):
            patient = patients[line.patient_id]
            assert shown["pseudonym"] == f"P-{line.patient_id}"
            if patient.home_location_id == 1:
                assert shown["name"] == f"{patient.first_name} {patient.last_name}"
                assert shown["name"] in page.text
            else:
                assert shown["name"] is None  # a patient of another location stays a pseudonym

        assert any(c["name"] for c in view["call_list"])  # Greenwich's own patients are named

        hidden = evaluator.get(f"/api/v1/briefings/{result.briefing_id}").json()
        assert [c["name"] for c in hidden["call_list"]] == [None] * len(ids)
        evaluator_page = evaluator.get(link).text
        for patient in patients.values():
            assert f"{patient.first_name} {patient.last_name}" not in evaluator_page
