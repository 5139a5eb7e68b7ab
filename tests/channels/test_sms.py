"""The SMS channel against the local Twilio stub, and the file outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from twilio.rest import Client

from channels.base import DeliveryError, DeliveryOutcomeUnknown, OutgoingMessage
from channels.sms import FileSmsChannel, SmsOptedOut, TwilioSmsChannel, sms_channel_from_settings
from clarity.settings import Settings
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub, stub_http_client

PHONE = "+15555550123"
MESSAGE = OutgoingMessage(key="outreach-7", text="Hi, Glow Studio here. Reply STOP to opt out")


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with TwilioStub(slow_seconds=0.6) as running:
        yield running


def channel(stub: TwilioStub) -> TwilioSmsChannel:
    settings = Settings(
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15550000000",
        app_base_url="https://clarity.example.com",
    )
    built = sms_channel_from_settings(settings, http_client=stub_http_client(stub, timeout=0.3))
    assert isinstance(built, TwilioSmsChannel)
    return built


def test_send_returns_sid_and_passes_status_callback_with_key(stub: TwilioStub) -> None:
    sid = channel(stub).send(MESSAGE, PHONE)
    sent = stub.messages[sid]
    assert (sent.to, sent.body) == (PHONE, MESSAGE.text)
    assert sent.status_callback == (
        "https://clarity.example.com/webhooks/twilio/status?key=outreach-7"
    )
    assert stub.deliveries() == {"outreach-7": 1}


def test_21610_is_opted_out(stub: TwilioStub) -> None:
    stub.faults = ["21610"]
    with pytest.raises(SmsOptedOut, match="21610"):
        channel(stub).send(MESSAGE, PHONE)
    assert stub.messages == {}


def test_read_timeout_is_unknown_and_lookup_finds_the_message(stub: TwilioStub) -> None:
    stub.faults = ["timeout_after_accept"]
    sms = channel(stub)
    with pytest.raises(DeliveryOutcomeUnknown) as caught:
        sms.send(MESSAGE, PHONE)
    assert PHONE not in str(caught.value) and MESSAGE.text not in str(caught.value)
    record = sms.lookup(
        sid=None, key=MESSAGE.key, recipient=PHONE, text=MESSAGE.text, since=datetime.now(UTC)
    )
    assert record is not None and record.sid in stub.messages and record.status == "queued"
    by_sid = sms.lookup(sid=record.sid, key=MESSAGE.key, recipient=PHONE, text="", since=None)
    assert by_sid == record


def test_5xx_is_unknown_and_lookup_finds_nothing(stub: TwilioStub) -> None:
    stub.faults = ["500"]
    sms = channel(stub)
    with pytest.raises(DeliveryOutcomeUnknown, match="HTTP 500"):
        sms.send(MESSAGE, PHONE)
    assert sms.lookup(sid=None, key="k", recipient=PHONE, text=MESSAGE.text, since=None) is None
    assert sms.lookup(sid="SMmissing", key="k", recipient=PHONE, text="", since=None) is None


def test_connection_refused_is_a_certain_failure() -> None:
    stub = TwilioStub()  # bound but never served, then closed: nothing listens on the port
    stub.server.server_close()
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=stub_http_client(stub))
    with pytest.raises(DeliveryError, match="not reachable"):
        TwilioSmsChannel(client, "+15550000000").send(MESSAGE, PHONE)


def test_file_outbox_without_twilio_settings(tmp_path: Path) -> None:
    sms = sms_channel_from_settings(Settings(var_dir=tmp_path))
    assert isinstance(sms, FileSmsChannel)
    first = sms.send(MESSAGE, PHONE)
    again = sms.send(MESSAGE, PHONE)
    # one file, under var/outbox/sms/, written once
    assert first == again
    assert Path(first).parent == tmp_path / "outbox" / "sms"
    assert len(list((tmp_path / "outbox" / "sms").iterdir())) == 1
    found = sms.lookup(sid=None, key=MESSAGE.key, recipient=PHONE, text="", since=None)
    assert found is not None and found.sid == first
