"""`clarity demo --no-serve` end to end on a small demo practice, on both databases: after the
briefing it drafts outreach into the approval queue, shows the counts and prints one working
login per role (the same passwords on a second run, nothing drafted twice)."""

from __future__ import annotations

import json
import re
import stat

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from sqlmodel import select as model_select

from api.app import create_app
from api.security import verify_password
from clarity.cli_demo import DEMO_LOGINS
from store import tables as t
from store.db import make_engine
from store.models import User, UserLocation
from tests.api.conftest import app_settings, login
from tests.clarity.conftest import Cli


def _through_the_app(cli: Cli, engine: Engine, saved: dict[str, str]) -> None:
    """The demo logins open the queue and the at-risk list of their location."""
    app = create_app(app_settings(cli.home), engine=engine)
    with TestClient(app) as desk, TestClient(app) as evaluator:
        desk_email, eval_email = DEMO_LOGINS[2][1], DEMO_LOGINS[3][1]
        assert login(desk, desk_email, saved[desk_email]).status_code == 303
        me = desk.get("/api/v1/me").json()
        queue = desk.get("/api/v1/outreach").json()
        assert queue["items"], "the front desk's location has drafts"
        assert {i["location_id"] for i in queue["items"]} == set(me["location_ids"])
        assert all(i["name"] for i in queue["items"])
        at_risk = desk.get("/api/v1/patients/at-risk").json()
        assert at_risk["patients"] and all(p["name"] for p in at_risk["patients"])
        first = at_risk["patients"][0]
        assert first["dollars_at_stake"] >= at_risk["patients"][-1]["dollars_at_stake"]
        assert any("days overdue" in r or "chance" in r for r in first["reasons"])
        assert login(evaluator, eval_email, saved[eval_email]).status_code == 303
        hidden = evaluator.get("/api/v1/patients/at-risk").json()["patients"]
        assert hidden and all(p["name"] is None and p["phone"] is None for p in hidden)
        assert evaluator.get("/api/v1/outreach").status_code == 403


def test_demo_drafts_outreach_and_prints_logins(cli: Cli) -> None:
    built = cli("demo", "build", "--patients", "400", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    shown = cli("demo", "--no-serve")
    assert shown.exit_code == 0, shown.stderr
    out = shown.stdout
    assert out.index("Daily briefing") < out.index("Outreach") < out.index("Demo logins")
    drafted = re.search(r"(\d+) candidates .*: (\d+) drafted, (\d+) not eligible", out)
    assert drafted is not None, out
    candidates, made, refused = map(int, drafted.groups())
    assert made > 0 and made + refused == candidates
    assert "pending approval" in out and "serving" not in out

    engine = make_engine(cli.database_url)
    try:
        m = t.outreach_message
        with engine.connect() as conn:
            states: dict[str, int] = dict(
                conn.execute(select(m.c.state, func.count()).group_by(m.c.state)).all()
            )
            purposes = {p for (p,) in conn.execute(select(m.c.purpose).distinct())}
        assert states == {"pending_approval": made}
        assert purposes <= {"win_back", "next_due"}

        saved = json.loads((cli.var / "demo_logins.json").read_text())
        assert stat.S_IMODE((cli.var / "demo_logins.json").stat().st_mode) == 0o600
        with Session(engine) as s:
            for role, email in DEMO_LOGINS:
                password = saved[email]
                assert f"{email}" in out and password in out
                user = s.exec(model_select(User).where(User.email == email)).one()
                assert user.role == role
                assert verify_password(password, user.password_hash)
                places = s.exec(
                    model_select(UserLocation).where(UserLocation.user_id == user.id)
                ).all()
                assert len(places) == (0 if role == "owner" else 1)

        _through_the_app(cli, engine, saved)

        again = cli("demo", "--no-serve")
        assert again.exit_code == 0, again.stderr
        # Same day, same candidates: every thread exists, nothing drafted twice.
        assert f"{candidates} candidates" in again.stdout and ": 0 drafted, 0 not" in again.stdout
        assert json.loads((cli.var / "demo_logins.json").read_text()) == saved
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(m)).scalar() == made
    finally:
        engine.dispose()
