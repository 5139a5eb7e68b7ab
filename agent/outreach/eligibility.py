"""Who may be drafted, on which channel (deterministic; each refusal has its reason id).

A patient is eligible for a purpose on a channel when:
- `contact`: the channel's address is on file (phone in E.164 for SMS, e-mail for e-mail);
- `opted_out`: the patient has not opted out of the channel (opted-out patients are never
  drafted, whatever the purpose);
- `consent`: the consent for the purpose's basis is given — care: `consent_<ch>_transactional`,
  marketing: `consent_<ch>_marketing` (see `store.models.Patient`);
- `open_message`: no message to the patient is still in flight (drafted, pending approval,
  approved, scheduled, sending, unknown) — one conversation at a time;
- `frequency_cap`: fewer than `max_per_window` (default 1) messages were sent to the patient in
  the `window_days` (default 14) before now — "not contacted recently".
SMS is preferred when eligible; e-mail is the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.outreach.purposes import basis_of

OPEN_STATES = ("drafted", "pending_approval", "approved", "scheduled", "sending", "unknown")
SENT_STATES = ("sent", "delivered", "undelivered")
DEFAULT_WINDOW_DAYS = 14
DEFAULT_MAX_PER_WINDOW = 1


@dataclass(frozen=True)
class ContactFacts:
    """What eligibility needs of a patient; no names."""

    patient_id: int
    has_phone: bool
    has_email: bool
    consent_sms_transactional: bool
    consent_sms_marketing: bool
    consent_email_transactional: bool
    consent_email_marketing: bool
    sms_opted_out: bool
    email_opted_out: bool


@dataclass(frozen=True)
class History:
    """The patient's outreach so far: open messages and send times."""

    open_messages: int = 0
    sent_at: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class FrequencyCap:
    window_days: int = DEFAULT_WINDOW_DAYS
    max_per_window: int = DEFAULT_MAX_PER_WINDOW


@dataclass(frozen=True)
class Eligibility:
    channel: str | None  # the channel to draft on, None when not eligible
    refusals: dict[str, list[str]]  # channel → reason ids

    @property
    def eligible(self) -> bool:
        return self.channel is not None


def channel_refusals(facts: ContactFacts, purpose: str, channel: str) -> list[str]:
    basis = basis_of(purpose)
    reasons = []
    if channel == "sms":
        has, opted_out = facts.has_phone, facts.sms_opted_out
        consent = (
            facts.consent_sms_marketing
            if basis == "marketing"
            else (facts.consent_sms_transactional)
        )
    elif channel == "email":
        has, opted_out = facts.has_email, facts.email_opted_out
        consent = (
            facts.consent_email_marketing
            if basis == "marketing"
            else (facts.consent_email_transactional)
        )
    else:
        raise ValueError(f"unknown outreach channel {channel!r}; use sms or email")
    if not has:
        reasons.append("contact")
    if opted_out:
        reasons.append("opted_out")
    if not consent:
        reasons.append("consent")
    return reasons


def decide(
    facts: ContactFacts,
    purpose: str,
    history: History,
    now: datetime,
    *,
    cap: FrequencyCap = FrequencyCap(),
    channels: tuple[str, ...] = ("sms", "email"),
) -> Eligibility:
    """The channel to draft on (first eligible of `channels`) and every refusal found."""
    shared: list[str] = []
    if history.open_messages:
        shared.append("open_message")
    since = now - timedelta(days=cap.window_days)
    if sum(1 for at in history.sent_at if at > since) >= cap.max_per_window:
        shared.append("frequency_cap")
    refusals = {ch: shared + channel_refusals(facts, purpose, ch) for ch in channels}
    chosen = next((ch for ch in channels if not refusals[ch]), None)
    return Eligibility(chosen, refusals)
