"""Policy rules, one test each: segments, quiet hours (time zones, both DST changes), content,
eligibility. Expectations are computed by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.outreach.eligibility import ContactFacts, History, decide
from agent.outreach.policy import PolicyConfig, catalog_terms, check_message
from agent.outreach.quiet_hours import in_window, next_window_opening
from agent.outreach.segments import count_segments

# ------------------------------------------------------------------ segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),  # exactly one segment
        ("a" * 161, "GSM-7", 161, 2),  # 161 > 160 → multipart: ceil(161/153) = 2
        ("a" * 306, "GSM-7", 306, 2),  # 2 × 153 = 306
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extended chars cost 2 septets: 80 × 2 = 160
        ("€" * 81, "GSM-7", 162, 2),  # 162 > 160; 153 // 2 = 76 pairs per part → 76 + 5: 2
        ("a" * 152 + "€", "GSM-7", 154, 1),  # 154 ≤ 160: still one segment
        # 152 + 2 + 152 = 306 septets = 2 × 153, but the € pair may not straddle septets
        # 153/154: part 1 = 152 a, part 2 = € + 151 a (153), part 3 = 1 a → 3 segments
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),
        ("a" * 305 + "[", "GSM-7", 307, 3),  # 305 + 2 = 307: the [ cannot fit in 306 → 3
        ("a" * 70 + "é", "GSM-7", 71, 1),  # é is in the GSM basic table
        ("a" * 69 + "ł", "UCS-2", 70, 1),  # ł is not → UCS-2, 70 units = 1 segment
        ("a" * 70 + "ł", "UCS-2", 71, 2),  # 71 > 70 → ceil(71/67) = 2
        ("😀" * 35, "UCS-2", 70, 1),  # an emoji is a surrogate pair: 35 × 2 = 70
        ("😀" * 36, "UCS-2", 72, 2),  # 72 > 70 → 33 emoji (66 units) per part → 2
        ("a" * 66 + "😀" + "a" * 10, "UCS-2", 78, 2),  # pair not split at unit 67: 66 | 12
        ("a" * 134 + "😀", "UCS-2", 136, 3),  # 67 + 67 = 134, the emoji needs a third part
        ("", "GSM-7", 0, 1),
    ],
)
def test_segments(text: str, encoding: str, units: int, segments: int) -> None:
    count = count_segments(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


# ------------------------------------------------------------------ quiet hours

NY = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        # 14:00 UTC = 09:00 EST (UTC−5) on 2026-01-15: the window is open → now
        (utc(2026, 1, 15, 14, 0), NY, utc(2026, 1, 15, 14, 0)),
        # 13:59 UTC = 08:59 EST → today 09:00 EST = 14:00 UTC
        (utc(2026, 1, 15, 13, 59), NY, utc(2026, 1, 15, 14, 0)),
        # 01:00 UTC on the 16th = 20:00 EST on the 15th: closed (end exclusive) → 16th 14:00 UTC
        (utc(2026, 1, 16, 1, 0), NY, utc(2026, 1, 16, 14, 0)),
        # spring forward, Sun 2026-03-08 (02:00 EST → 03:00 EDT): 06:00 UTC = 01:00 EST →
        # opening 09:00 EDT (UTC−4) = 13:00 UTC, not 14:00
        (utc(2026, 3, 8, 6, 0), NY, utc(2026, 3, 8, 13, 0)),
        # the evening before: 2026-03-08 02:00 UTC = Sat 21:00 EST → Sun 09:00 EDT = 13:00 UTC
        (utc(2026, 3, 8, 2, 0), NY, utc(2026, 3, 8, 13, 0)),
        # fall back, Sun 2026-11-01 (02:00 EDT → 01:00 EST): 05:30 UTC = 01:30 EDT (first
        # pass) → opening 09:00 EST (UTC−5) = 14:00 UTC
        (utc(2026, 11, 1, 5, 30), NY, utc(2026, 11, 1, 14, 0)),
        # 06:30 UTC = 01:30 EST (second pass) → same 14:00 UTC
        (utc(2026, 11, 1, 6, 30), NY, utc(2026, 11, 1, 14, 0)),
        # Sat 2026-10-31 23:59 EDT = Nov 1 03:59 UTC → Sun 09:00 EST = 14:00 UTC
        (utc(2026, 11, 1, 3, 59), NY, utc(2026, 11, 1, 14, 0)),
        # Los Angeles: 2026-07-01 15:00 UTC = 08:00 PDT (UTC−7) → 09:00 PDT = 16:00 UTC
        (utc(2026, 7, 1, 15, 0), "America/Los_Angeles", utc(2026, 7, 1, 16, 0)),
        # same instant in New York = 11:00 EDT → open
        (utc(2026, 7, 1, 15, 0), NY, utc(2026, 7, 1, 15, 0)),
        # Sydney (southern DST starts 2026-10-04 02:00 AEST → 03:00 AEDT, UTC+11):
        # 2026-10-03 20:00 UTC = Oct 4 07:00 AEDT → 09:00 AEDT = 2026-10-03 22:00 UTC
        (utc(2026, 10, 3, 20, 0), "Australia/Sydney", utc(2026, 10, 3, 22, 0)),
        # Kolkata (UTC+5:30, no DST): 2026-01-15 15:00 UTC = 20:30 IST → Jan 16 09:00 IST =
        # 03:30 UTC
        (utc(2026, 1, 15, 15, 0), "Asia/Kolkata", utc(2026, 1, 16, 3, 30)),
    ],
)
def test_next_window_opening(now: datetime, tz: str, expected: datetime) -> None:
    assert next_window_opening(now, tz) == expected


def test_window_bounds() -> None:
    # 19:59 EDT = 23:59 UTC open; 20:00 EDT = 00:00 UTC next day closed
    assert in_window(utc(2026, 7, 1, 23, 59), NY)
    assert not in_window(utc(2026, 7, 2, 0, 0), NY)
    # custom window 10–18: 09:30 EDT = 13:30 UTC → 10:00 EDT = 14:00 UTC
    assert next_window_opening(utc(2026, 7, 1, 13, 30), NY, 10, 18) == utc(2026, 7, 1, 14, 0)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_window_opening(datetime(2026, 1, 1, 12), NY)


# ------------------------------------------------------------------ content

CONFIG = PolicyConfig(
    practice_name="Glow Laser Studio",
    booking_url="https://glow.example.com/book",
    catalog_terms=catalog_terms(["Botox Cosmetic", "Lip Filler"], ["neurotoxin", "weight_loss"]),
)
GOOD_MARKETING = (
    "Hi Ana, it's been a while at Glow Laser Studio! Book a visit: "
    "https://glow.example.com/book Reply STOP to opt out"
)
GOOD_CARE = "Hi Ana, Glow Laser Studio here: you're due. https://glow.example.com/book"


def rules(body: str, **kwargs: str) -> list[str]:
    options = {"channel": "sms", "purpose": "win_back", **kwargs}
    result = check_message(body, config=CONFIG, **options)
    return [v.rule for v in result.violations]


def test_clean_messages_pass() -> None:
    assert rules(GOOD_MARKETING) == []
    assert rules(GOOD_CARE, purpose="next_due") == []  # care SMS need no STOP line


def test_marketing_sms_needs_stop_line_any_case() -> None:
    assert rules(GOOD_MARKETING.replace("Reply STOP to opt out", "")) == ["opt_out"]
    assert rules(GOOD_MARKETING.replace("Reply STOP", "reply stop")) == []


def test_practice_must_be_named() -> None:
    assert rules(GOOD_CARE.replace("Glow Laser Studio", "we're"), purpose="next_due") == [
        "practice_named"
    ]


@pytest.mark.parametrize(
    "word",
    ["Botox", "botox cosmetic", "lip filler", "neurotoxin", "weight loss", "Ozempic", "wrinkles"],
)
def test_no_treatment_or_health_detail_in_sms(word: str) -> None:
    body = GOOD_CARE.replace("you're due", f"your {word} is due")
    assert rules(body, purpose="next_due") == ["health_detail"]


def test_practice_name_does_not_trip_the_term_check() -> None:
    # "Laser" is a health term, but here it is part of the practice's name
    assert "laser" in GOOD_CARE.lower()
    assert rules(GOOD_CARE, purpose="next_due") == []


def test_email_may_name_last_service_only_when_enabled() -> None:
    body = "Hi Ana, Glow Laser Studio here: your Lip Filler check-in."
    assert rules(body, channel="email", purpose="post_treatment", last_service="Lip Filler") == [
        "health_detail"
    ]
    enabled = PolicyConfig(**{**CONFIG.__dict__, "allow_service_in_email": True})
    result = check_message(
        body, channel="email", purpose="post_treatment", config=enabled, last_service="Lip Filler"
    )
    assert result.passed
    other = body.replace("Lip Filler", "Botox")  # not her last service → still refused
    result = check_message(
        other, channel="email", purpose="post_treatment", config=enabled, last_service="Lip Filler"
    )
    assert [v.rule for v in result.violations] == ["health_detail"]


@pytest.mark.parametrize(
    "link",
    ["https://evil.example.net/x", "www.bit.ly/abc", "bit.ly/abc", "http://glow.example.com"],
)
def test_only_the_booking_link(link: str) -> None:
    body = GOOD_CARE.replace("https://glow.example.com/book", link)
    assert rules(body, purpose="next_due") == ["links"]


def test_booking_link_with_path_is_allowed() -> None:
    body = GOOD_CARE.replace("/book", "/book/location-2?ref=sms")
    assert rules(body, purpose="next_due") == []


def test_unfilled_placeholder() -> None:
    assert rules(GOOD_CARE.replace("Ana", "{first_name}"), purpose="next_due") == ["placeholders"]


def test_segments_rule_reports_count() -> None:
    # GOOD_CARE is 72 GSM chars; + 250 "a" = 322 > 306 → 3 segments
    body = GOOD_CARE + " " + "a" * 249
    result = check_message(body, channel="sms", purpose="next_due", config=CONFIG)
    assert [v.rule for v in result.violations] == ["segments"]
    assert result.segments == 3 and result.encoding == "GSM-7"
    # an emoji turns it into UCS-2: 72 + 1 + 2 = 75 units → 2 segments, allowed
    result = check_message(GOOD_CARE + " 😀", channel="sms", purpose="next_due", config=CONFIG)
    assert result.passed and (result.segments, result.encoding) == (2, "UCS-2")


# ------------------------------------------------------------------ eligibility

NOW = utc(2026, 11, 30, 15, 0)


def facts(**overrides: bool) -> ContactFacts:
    values = {
        "has_phone": True,
        "has_email": True,
        "consent_sms_transactional": True,
        "consent_sms_marketing": True,
        "consent_email_transactional": True,
        "consent_email_marketing": True,
        "sms_opted_out": False,
        "email_opted_out": False,
        **overrides,
    }
    return ContactFacts(patient_id=7, **values)


def test_sms_preferred() -> None:
    assert decide(facts(), "win_back", History(), NOW).channel == "sms"


def test_marketing_needs_marketing_consent_per_channel() -> None:
    decision = decide(facts(consent_sms_marketing=False), "win_back", History(), NOW)
    assert decision.channel == "email" and decision.refusals["sms"] == ["consent"]
    none = decide(
        facts(consent_sms_marketing=False, consent_email_marketing=False),
        "win_back",
        History(),
        NOW,
    )
    assert none.channel is None
    # care purposes use the transactional consent, so the same patient gets a care SMS
    assert decide(facts(consent_sms_marketing=False), "next_due", History(), NOW).channel == "sms"


def test_care_needs_transactional_consent() -> None:
    decision = decide(facts(consent_sms_transactional=False), "post_treatment", History(), NOW)
    assert decision.channel == "email" and decision.refusals["sms"] == ["consent"]


def test_opted_out_never_drafted() -> None:
    decision = decide(facts(sms_opted_out=True, email_opted_out=True), "next_due", History(), NOW)
    assert decision.channel is None
    assert decision.refusals == {"sms": ["opted_out"], "email": ["opted_out"]}


def test_missing_contact() -> None:
    decision = decide(facts(has_phone=False), "next_due", History(), NOW)
    assert decision.channel == "email" and decision.refusals["sms"] == ["contact"]


def test_frequency_cap_14_days() -> None:
    # sent 13 days 23 hours ago: inside the 14-day window → capped
    recent = History(sent_at=(utc(2026, 11, 16, 16, 0),))
    assert decide(facts(), "win_back", recent, NOW).refusals["sms"] == ["frequency_cap"]
    # sent exactly 14 days ago (2026-11-16 15:00): outside (window is "after now − 14 d")
    old = History(sent_at=(utc(2026, 11, 16, 15, 0),))
    assert decide(facts(), "win_back", old, NOW).channel == "sms"


def test_open_message_blocks_a_second_draft() -> None:
    decision = decide(facts(), "win_back", History(open_messages=1), NOW)
    assert decision.channel is None and decision.refusals["sms"] == ["open_message"]
