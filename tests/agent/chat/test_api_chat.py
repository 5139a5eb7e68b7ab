"""The SSE chat endpoint: the signed-in user's scope and role decide what is answered."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.security import hash_password, new_api_token, token_digest
from clarity.settings import load_settings
from store.models import ApiToken, User, UserLocation
from tests.agent.chat.fakes import streamed_text, streamed_tool_call
from tests.http_stub import Reply, StubServer


def _user(engine: Engine, email: str, role: str, locations: list[int]) -> str:
    token = new_api_token()
    with Session(engine) as s:
        user = User(
            organization_id=1,
            email=email,
            name=email,
            role=role,
            password_hash=hash_password("correct horse battery"),
        )
        s.add(user)
        s.flush()
        assert user.id is not None
        for lid in locations:
            s.add(UserLocation(user_id=user.id, location_id=lid))
        s.add(
            ApiToken(
                user_id=user.id,
                name="t",
                token_hash=token_digest(token),
                created_at=datetime.now(UTC),
            )
        )
        s.commit()
    return token


def _events(body: str) -> list[tuple[str, str]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = block.split("\n")
        name = lines[0].removeprefix("event: ")
        data = "\n".join(line.removeprefix("data: ") for line in lines[1:])
        events.append((name, data))
    return events


def test_stream_answers_within_scope_and_refuses_outside(
    chat_engine: Engine, tmp_path: Path
) -> None:
    settings = load_settings(
        session_secret="s" * 48, var_dir=tmp_path / "var", app_base_url="http://testserver"
    )
    app = create_app(settings, engine=chat_engine)
    token = _user(chat_engine, "m@example.com", "manager", [1])
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        response = client.get(
            "/api/v1/chat/stream",
            params={"q": "Rebooking rate at Back Bay in October"},
            headers=headers,
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response.text)
        assert events[-1][0] == "done"
        text = "\n".join(data for name, data in events if name == "chunk")
        # 3 of 5 eligible October visits at Back Bay were rebooked = 60.0%.
        assert "60.0% [rebooking_rate.location-1.2026-10]" in text
        facts = json.loads(next(data for name, data in events if name == "facts"))
        assert facts["tools"][0]["name"] == "query_metric"

        refused = client.get(
            "/api/v1/chat/stream",
            params={"q": "What was Austin's revenue last month?"},
            headers=headers,
        )
        refused_text = "\n".join(d for n, d in _events(refused.text) if n == "chunk")
        assert "don't have access to Austin" in refused_text
        assert client.get("/api/v1/chat/stream", params={"q": "x"}).status_code == 401


def test_with_a_model_the_draft_streams_before_the_verified_answer(
    chat_engine: Engine, tmp_path: Path
) -> None:
    rebook = "rebooking_rate.location-1.2026-10"
    args = {"metric": "rebooking_rate", "location_id": 1, "period": "2026-10"}
    tokens = ["Back Bay rebooked ", "60.0% of eligible visits ", f"in October [{rebook}]."]
    replies = [
        Reply(body=streamed_tool_call("query_metric", args)),
        Reply(body=streamed_text(tokens)),
    ]
    with StubServer(replies) as stub:
        settings = load_settings(
            session_secret="s" * 48,
            var_dir=tmp_path / "var",
            app_base_url="http://testserver",
            llm_model="stub",
            llm_base_url=f"{stub.url}/v1",
        )
        app = create_app(settings, engine=chat_engine)
        token = _user(chat_engine, "m@example.com", "manager", [1])
        with TestClient(app) as client:
            response = client.get(
                "/api/v1/chat/stream",
                params={"q": "What was Back Bay's rebooking rate in October?"},
                headers={"Authorization": f"Bearer {token}"},
            )
    events = _events(response.text)
    # The model's tokens arrive as a draft, then the verified answer replaces it.
    names = [name for name, _ in events]
    assert names == ["redraft", "draft", "draft", "draft", "chunk", "facts", "done"]
    assert [data for name, data in events if name == "draft"] == tokens
    assert events[4][1] == "".join(tokens)
    facts = json.loads(events[5][1])
    assert facts["writer"] == "llm" and facts["status"] == "answer"
    assert [f["id"] for f in facts["facts"]] == [rebook]
    assert [json.loads(r.body)["stream"] for r in stub.requests] == [True, True]
