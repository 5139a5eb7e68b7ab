"""Twilio webhooks: signatures, STOP/START/HELP, status callbacks (duplicates included)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from twilio.request_validator import RequestValidator

from api.webhooks import keyword, webhooks_router
from store import tables as t
from store.outreach import get_message
from tests.agent.outreach import practice as p

TOKEN = "test-auth-token"
BASE = "https://clarity.example.com"
AT = datetime(2026, 11, 30, 15, tzinfo=UTC)


def client(engine: Engine) -> TestClient:
    app = FastAPI()
    app.include_router(webhooks_router(engine, auth_token=TOKEN, public_base_url=BASE))
    return TestClient(app)


def post(
    http: TestClient, path: str, form: dict[str, str], *, sign: bool = True, token: str = TOKEN
) -> tuple[int, str]:
    signature = RequestValidator(token).compute_signature(BASE + path, form) if sign else "x"
    response = http.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.text


def opted_out(engine: Engine) -> bool:
    with engine.connect() as conn:
        value = conn.execute(select(t.patient.c.sms_opted_out_at).where(t.patient.c.id == 1))
        return value.scalar() is not None


def consent_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.consent_event.c.action).order_by(t.consent_event.c.id))
        return list(rows.scalars())


@pytest.mark.parametrize(
    ("body", "word"),
    [("STOP", "STOP"), (" stop ", "STOP"), ("Stop.", "STOP"), ("stopall", "STOPALL"),
     ("Unsubscribe", "UNSUBSCRIBE"), ("cancel", "CANCEL"), ("END", "END"), ("quit!", "QUIT"),
     ("start", "START"), ("UnStop", "UNSTOP"), ("help", "HELP"), ("please stop texting", "")],
)  # fmt: skip
def test_keyword(body: str, word: str) -> None:
    assert keyword(body) == word


def test_stop_start_help(engine: Engine) -> None:
    p.build(engine)
    http = client(engine)
    form = {"From": p.ANA_PHONE, "Body": "stop"}
    assert post(http, "/webhooks/twilio/inbound", form)[0] == 200
    assert opted_out(engine)
    status, body = post(http, "/webhooks/twilio/inbound", {"From": p.ANA_PHONE, "Body": "HELP"})
    assert status == 200 and "<Message>Reply STOP to opt out." in body
    assert opted_out(engine)  # HELP changes nothing
    post(http, "/webhooks/twilio/inbound", {"From": p.ANA_PHONE, "Body": "Unstop"})
    assert not opted_out(engine)
    assert consent_actions(engine) == ["opted_out", "opted_in"]


def test_forged_signature_is_403_and_changes_nothing(engine: Engine) -> None:
    p.build(engine)
    http = client(engine)
    form = {"From": p.ANA_PHONE, "Body": "STOP"}
    assert post(http, "/webhooks/twilio/inbound", form, sign=False)[0] == 403
    assert post(http, "/webhooks/twilio/inbound", form, token="wrong-token")[0] == 403
    # a valid signature over other parameters does not validate these
    signature = RequestValidator(TOKEN).compute_signature(
        BASE + "/webhooks/twilio/inbound", {"From": p.ANA_PHONE, "Body": "HELP"}
    )
    response = http.post(
        "/webhooks/twilio/inbound", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert not opted_out(engine) and consent_actions(engine) == []
    status_form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert post(http, "/webhooks/twilio/status", status_form, sign=False)[0] == 403


def message(engine: Engine, state: str, sid: str | None) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(t.outreach_message)
                .values(
                    patient_id=1, location_id=1, channel="sms", purpose="win_back", body="b",
                    state=state, reasons={}, idempotency_key=f"k-{state}", writer="template",
                    drafted_at=AT, provider_message_id=sid,
                )
                .returning(t.outreach_message.c.id)
            ).scalar_one()
        )  # fmt: skip


def test_status_callbacks_are_idempotent_and_settle_unknown(engine: Engine) -> None:
    p.build(engine)
    http = client(engine)
    sent = message(engine, "sent", "SMaaa")
    form = {"MessageSid": "SMaaa", "MessageStatus": "delivered"}
    assert post(http, "/webhooks/twilio/status", form)[0] == 204
    assert post(http, "/webhooks/twilio/status", form)[0] == 204  # duplicate callback
    assert get_message(engine, sent)["state"] == "delivered"
    late = {"MessageSid": "SMaaa", "MessageStatus": "failed", "ErrorCode": "30003"}
    post(http, "/webhooks/twilio/status", late)
    assert get_message(engine, sent)["state"] == "delivered"  # no way back

    unknown = message(engine, "unknown", None)
    path = f"/webhooks/twilio/status?key=outreach-{unknown}"
    assert post(http, path, {"MessageSid": "SMbbb", "MessageStatus": "sent"})[0] == 204
    row = get_message(engine, unknown)
    assert (row["state"], row["provider_message_id"]) == ("sent", "SMbbb")


def test_21610_opts_the_number_out(engine: Engine) -> None:
    p.build(engine)
    http = client(engine)
    sent = message(engine, "sent", "SMccc")
    form = {"MessageSid": "SMccc", "MessageStatus": "failed", "ErrorCode": "21610",
            "To": p.ANA_PHONE}  # fmt: skip
    post(http, "/webhooks/twilio/status", form)
    assert get_message(engine, sent)["state"] == "failed"
    assert opted_out(engine) and consent_actions(engine) == ["opted_out"]
