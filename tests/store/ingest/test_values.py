from __future__ import annotations

from datetime import date, datetime

import pytest

from store.ingest.values import (
    ParseOptions,
    RowError,
    normalize_email,
    normalize_phone,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_money,
    vocab_key,
)

US = ParseOptions(date_formats=("%m/%d/%Y",), datetime_formats=("%m/%d/%Y %I:%M %p",))


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.50", 123450),
        ("$1,234.50", 123450),
        ("(12.00)", -1200),  # accounting negative
        ("-$10.00", -1000),
        ("$-10.00", -1000),
        ("0.29", 29),  # float 0.29 * 100 = 28.999…; must round to 29
        ("12", 1200),
        ("USD 99.9", 9990),
        ("1,234.50", 123450),
        ("-5.00", -500),
        ("$12", 1200),
        ("12.00-", -1200),  # trailing minus (some POS exports)
        ("1'234.50", 123450),
    ],
)
def test_money_strings_become_cents(text: str, cents: int) -> None:
    assert parse_money(text, ParseOptions(), "net") == cents


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1e15", "bad_money"),  # an exponent: once read as a $1 quadrillion sale
        ("--5", "bad_money"),  # once read as +$5
        ("$1,2,3", "bad_money"),  # thousands not grouped by threes
        ("12.345", "bad_money"),  # a third decimal (issue 14: no silent rounding)
        ("1.005", "bad_money"),
        ("(-5)", "bad_money"),  # two negative markers
        ("nan", "bad_money"),
        ("99999999999999999999.00", "out_of_range"),  # > 2**63 - 1 cents; was OverflowError
    ],
)
def test_malformed_money_is_a_row_error(text: str, code: str) -> None:
    with pytest.raises(RowError) as caught:
        parse_money(text, ParseOptions(), "net")
    assert caught.value.code == code
    assert caught.value.column == "net"


def test_decimal_comma_money() -> None:
    options = ParseOptions(decimal_comma=True)
    assert parse_money("1.234,50", options, "net") == 123450
    assert parse_money("(12,00)", options, "net") == -1200


def test_bad_money_names_the_column() -> None:
    with pytest.raises(RowError) as err:
        parse_money("twelve", ParseOptions(), "gross")
    assert err.value.column == "gross" and err.value.code == "bad_money"
    assert "twelve" in err.value.message


def test_mixed_date_formats_read_with_preset_formats() -> None:
    assert parse_date("2026-03-02", US, "day") == date(2026, 3, 2)
    assert parse_date("03/02/2026", US, "day") == date(2026, 3, 2)  # US month first
    with pytest.raises(RowError) as err:
        parse_date("31/31/2026", US, "day")
    assert "31/31/2026" in err.value.message and "%m/%d/%Y" in err.value.message


def test_datetimes_keep_offsets_and_read_12_hour_times() -> None:
    assert parse_datetime("03/02/2026 1:30 PM", US, "start_at") == datetime(2026, 3, 2, 13, 30)
    aware = parse_datetime("2026-03-02T09:30:00-06:00", US, "start_at")
    offset = aware.utcoffset()
    assert offset is not None and offset.total_seconds() == -6 * 3600


@pytest.mark.parametrize("text", ["No Show", "NS", "no-show", "NO_SHOW", " noshow "])
def test_status_vocabulary(text: str) -> None:
    statuses = ("booked", "completed", "no_show", "cancelled", "late_cancel")
    assert parse_choice(text, ParseOptions(), "status", statuses) == "no_show"


def test_preset_vocabulary_wins_and_unknown_status_is_rejected() -> None:
    statuses = ("booked", "completed", "no_show")
    options = ParseOptions(vocabulary={"status": {vocab_key("Checked Out"): "completed"}})
    assert parse_choice("checked out", options, "status", statuses) == "completed"
    with pytest.raises(RowError) as err:
        parse_choice("Teleported", options, "status", statuses)
    assert err.value.code == "unknown_status"


def test_booleans_phones_emails() -> None:
    assert parse_bool("Yes", "active") is True
    assert parse_bool("unsubscribed", "x") is False
    assert normalize_phone("(512) 555-0142", "US") == "+15125550142"
    assert normalize_phone("12", "US") is None
    assert normalize_email(" Dana@Example.COM ") == "dana@example.com"
    assert normalize_email("not-an-email") is None
