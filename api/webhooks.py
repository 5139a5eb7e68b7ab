"""Twilio webhooks (FastAPI router): delivery status callbacks and inbound messages.

Every request must carry a valid `X-Twilio-Signature` (twilio's `RequestValidator` over the
public URL — `public_base_url` + path + query — and the form fields); otherwise 403 and nothing
changes.

- `POST /webhooks/twilio/status`: `MessageSid`, `MessageStatus`, `ErrorCode`; the URL's `key`
  (`outreach-12`) ties the callback to our message even when we never saw the SID (a send that
  ended `unknown`). Moves: unknown → sent (SID stored), sent → delivered | undelivered | failed,
  each a guarded UPDATE, so duplicate or out-of-order callbacks change nothing twice. Error
  21610 also opts the number out.
- `POST /webhooks/twilio/inbound`: `From`, `Body`. STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
  QUIT (any case, surrounding spaces/punctuation ignored) → every patient with that number is
  opted out of SMS (`ConsentEvent` opted_out); START, UNSTOP → opted back in (`opted_in`);
  HELP, INFO → a help reply (TwiML). Anything else is acknowledged with an empty reply.
Nothing here logs a number or a message body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine, insert, select, update

from channels.sms import OPTED_OUT_CODE
from store import tables as t
from store.outreach import transition

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
STATUS_NEXT = {"delivered": "delivered", "undelivered": "undelivered", "failed": "failed"}
M = t.outreach_message


def keyword(body: str) -> str:
    """The opt-out keyword of an inbound text: its only word, upper-cased, without
    punctuation ("stop." → "STOP"); "" when the text is more than one word."""
    words = re.sub(r"[^\w\s]", " ", body).split()
    return words[0].upper() if len(words) == 1 else ""


def twiml(message: str | None = None) -> Response:
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
        media_type="application/xml",
    )


def set_sms_consent(
    engine: Engine, phone: str, *, opted_out: bool, at: datetime, actor: str
) -> int:
    """Opt every patient with `phone` out of (or back into) SMS; returns how many changed."""
    p = t.patient
    with engine.begin() as conn:
        ids = list(conn.execute(select(p.c.id).where(p.c.phone_e164 == phone)).scalars())
        for patient_id in ids:
            conn.execute(
                update(p)
                .where(p.c.id == patient_id)
                .values(sms_opted_out_at=at if opted_out else None)
            )
            conn.execute(
                insert(t.consent_event).values(
                    patient_id=patient_id,
                    channel="sms",
                    purpose="all",
                    action="opted_out" if opted_out else "opted_in",
                    occurred_at=at,
                    actor=actor,
                )
            )
    return len(ids)


def apply_status(
    engine: Engine, *, sid: str, status: str, key: str | None, error_code: int | None, at: datetime
) -> str | None:
    """Apply one status callback; returns the message's state afterwards (None: not ours)."""
    with engine.begin() as conn:
        row = conn.execute(select(M.c.id, M.c.state).where(M.c.provider_message_id == sid)).first()
        if row is None and key and key.startswith("outreach-") and key[9:].isdigit():
            row = conn.execute(select(M.c.id, M.c.state).where(M.c.id == int(key[9:]))).first()
        if row is None:
            return None
        if row.state in ("unknown", "sending"):
            # the provider has it: the send happened (sending → unknown → sent in one go)
            if row.state == "sending":
                transition(conn, row.id, "sending", "unknown")
            transition(conn, row.id, "unknown", "sent", provider_message_id=sid, sent_at=at)
        target = STATUS_NEXT.get(status)
        if target:
            error = f"Twilio status {status} (code {error_code})" if error_code else None
            transition(conn, row.id, "sent", target, error=error)
        return str(conn.execute(select(M.c.state).where(M.c.id == row.id)).scalar_one())


def webhooks_router(
    engine: Engine | None,
    *,
    auth_token: str,
    public_base_url: str,
    help_text: str = "Reply STOP to opt out. For help, call the practice.",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> APIRouter:
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(auth_token)
    router = APIRouter(prefix="/webhooks/twilio")

    def store(request: Request) -> Engine:
        """The given engine, else the app's (opened by its lifespan)."""
        return engine if engine is not None else request.app.state.engine

    async def verified_form(request: Request) -> dict[str, str] | None:
        form = {k: str(v) for k, v in (await request.form()).items()}
        url = public_base_url.rstrip("/") + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("X-Twilio-Signature", "")
        return form if validator.validate(url, form, signature) else None

    @router.post("/status")
    async def status(request: Request) -> Response:
        form = await verified_form(request)
        if form is None:
            return Response("invalid signature", status_code=403)
        code = form.get("ErrorCode")
        error_code = int(code) if code and code.isdigit() else None
        now = clock()
        state = apply_status(
            store(request),
            sid=form.get("MessageSid", ""),
            status=form.get("MessageStatus", ""),
            key=request.query_params.get("key"),
            error_code=error_code,
            at=now,
        )
        if error_code == OPTED_OUT_CODE and form.get("To"):
            db = store(request)
            set_sms_consent(db, form["To"], opted_out=True, at=now, actor="twilio:21610")
        return Response(status_code=204 if state else 200)

    @router.post("/inbound")
    async def inbound(request: Request) -> Response:
        form = await verified_form(request)
        if form is None:
            return Response("invalid signature", status_code=403)
        word = keyword(form.get("Body", ""))
        sender = form.get("From", "")
        db = store(request)
        if word in STOP_WORDS:
            set_sms_consent(db, sender, opted_out=True, at=clock(), actor=f"sms:{word}")
            return twiml()
        if word in START_WORDS:
            set_sms_consent(db, sender, opted_out=False, at=clock(), actor=f"sms:{word}")
            return twiml()
        if word in HELP_WORDS:
            return twiml(help_text)
        return twiml()

    return router
