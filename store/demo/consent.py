"""Contact data and messaging consent of the demo patients.

Shares (each patient drawn independently; expected values):

- contact: 3 % have no phone (email only), 7 % no email (phone only), the other 90 % both;
- opted out: 1.5 % asked not to be contacted at all: the opted-out time of each channel they
  have is set (between their creation and the end of `as_of`) and every consent is false;
- care messages (reminders, check-ins; "transactional"): 94 % of the others with a phone consent
  by SMS, 97 % of those with an email consent by email;
- marketing: 25 % of the others give no marketing consent; the rest consent to marketing on
  every channel they have.

Consent is drawn from its own random stream (seeded with `"<seed>:consent"`), so the same seed
gives the same consent, and changing these shares changes no other demo row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

NO_PHONE = 0.03
NO_EMAIL = 0.07
OPTED_OUT = 0.015
CARE_SMS = 0.94
CARE_EMAIL = 0.97
NO_MARKETING = 0.25


@dataclass(frozen=True)
class Consent:
    has_phone: bool
    has_email: bool
    sms_transactional: bool
    sms_marketing: bool
    email_transactional: bool
    email_marketing: bool
    sms_opted_out_at: datetime | None
    email_opted_out_at: datetime | None


def consent_rng(seed: int) -> random.Random:
    """The consent stream of a demo seed (string seeds hash with SHA-512: stable across runs)."""
    return random.Random(f"{seed}:consent")


def draw_consent(rng: random.Random, created_at: datetime, snapshot_end: datetime) -> Consent:
    """One patient's contact channels and consent; opt-outs fall in [created_at, snapshot_end)."""
    contact = rng.random()
    has_phone = contact >= NO_PHONE
    has_email = not NO_PHONE <= contact < NO_PHONE + NO_EMAIL
    if rng.random() < OPTED_OUT:
        span = (snapshot_end - created_at).total_seconds()
        opted_out_at = created_at + timedelta(minutes=int(span * rng.random() / 60))
        return Consent(
            has_phone=has_phone,
            has_email=has_email,
            sms_transactional=False,
            sms_marketing=False,
            email_transactional=False,
            email_marketing=False,
            sms_opted_out_at=opted_out_at if has_phone else None,
            email_opted_out_at=opted_out_at if has_email else None,
        )
    care_sms = rng.random() < CARE_SMS
    care_email = rng.random() < CARE_EMAIL
    marketing = rng.random() >= NO_MARKETING
    return Consent(
        has_phone=has_phone,
        has_email=has_email,
        sms_transactional=has_phone and care_sms,
        sms_marketing=has_phone and marketing,
        email_transactional=has_email and care_email,
        email_marketing=has_email and marketing,
        sms_opted_out_at=None,
        email_opted_out_at=None,
    )
