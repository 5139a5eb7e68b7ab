"""Canonical CSV formats, one per importable table: the single source of what `clarity ingest`
accepts. `docs/import.md` documents exactly these columns (a test compares the two).

Value conventions shared by every format:
- money: currency units with cents, e.g. `1234.50`; `$`, thousands separators and `(12.00)` or
  `-12.00` for negatives are accepted; stored as integer cents.
- date: `YYYY-MM-DD` (a preset may list other formats); datetime: ISO 8601. A datetime without
  an offset is local time of the row's location (or of the row's `timezone` column).
- bool: true/false, yes/no, y/n, 1/0 (case-insensitive).
- `*_external_id` columns reference other rows by the id the source system gave them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    text = "text"
    integer = "integer"
    number = "number"
    money = "money"
    date = "date"
    datetime = "datetime"
    boolean = "boolean"
    choice = "choice"
    timezone = "timezone"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    description: str
    example: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Format:
    """The canonical layout of one table's CSV.

    `one_of` lists alternative column groups of which at least one must be fully present in the
    header (besides the `required` columns); `table` is the store table the rows land in.
    """

    name: str
    table: str
    description: str
    columns: tuple[Column, ...]
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


APPOINTMENT_STATUSES = ("booked", "completed", "no_show", "cancelled", "late_cancel")
SERVICE_CATEGORIES = (
    "neurotoxin",
    "filler",
    "laser",
    "skin",
    "body",
    "weight_loss",
    "membership",
    "retail",
    "consult",
)
SALE_KINDS = ("service", "product", "membership", "refund")

T, INT, N, M, D, DT, B, C, TZ = (
    Kind.text,
    Kind.integer,
    Kind.number,
    Kind.money,
    Kind.date,
    Kind.datetime,
    Kind.boolean,
    Kind.choice,
    Kind.timezone,
)

EXTERNAL_ID = Column("external_id", T, True, "The source system's id of this row.", "A-10023")
LOCATION_REF = Column(
    "location_external_id",
    T,
    True,
    "The location's external id; may be omitted when `--location` is given.",
    "LOC-1",
)
TIMEZONE = Column(
    "timezone",
    TZ,
    False,
    "IANA zone of naive times in this row (default: the location's zone).",
    "America/Chicago",
)


def _col(
    name: str, kind: Kind, required: bool, description: str, example: str, *choices: str
) -> Column:
    return Column(name, kind, required, description, example, tuple(choices))


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "locations",
            "location",
            "Practice locations (clinics) and their time zones.",
            (
                EXTERNAL_ID,
                _col("name", T, True, "Display name.", "Austin Domain"),
                _col(
                    "timezone",
                    TZ,
                    False,
                    "IANA time zone (default America/New_York).",
                    "America/Chicago",
                ),
                _col("currency", T, False, "ISO 4217 code (default USD).", "USD"),
                _col("opened_on", D, False, "Opening date.", "2021-04-01"),
            ),
        ),
        Format(
            "providers",
            "provider",
            "Injectors, nurses, physicians and aestheticians.",
            (
                EXTERNAL_ID,
                _col("first_name", T, True, "First name.", "Maya"),
                _col("last_name", T, True, "Last name.", "Lopez"),
                _col("role", T, False, "Role (default provider).", "nurse_injector"),
                LOCATION_REF,
                _col("active", B, False, "Still working here (default true).", "yes"),
                _col("hired_on", D, False, "Hire date.", "2022-02-14"),
            ),
        ),
        Format(
            "patients",
            "patient",
            "Patients (clients). Matched to patients already imported from other systems.",
            (
                EXTERNAL_ID,
                _col("first_name", T, True, "First name.", "Dana"),
                _col("last_name", T, True, "Last name.", "Reyes"),
                _col(
                    "phone",
                    T,
                    False,
                    "Phone in any common format; stored as E.164.",
                    "(512) 555-0142",
                ),
                _col("email", T, False, "Email address.", "dana@example.com"),
                _col("birth_date", D, False, "Date of birth.", "1988-07-30"),
                Column(
                    "location_external_id",
                    T,
                    False,
                    "Home location's external id (or `--location`).",
                    "LOC-1",
                ),
                _col(
                    "acquisition_channel",
                    T,
                    False,
                    "How the patient found the practice.",
                    "referral",
                ),
                _col(
                    "created_at",
                    DT,
                    False,
                    "When the patient record was created.",
                    "2024-05-01T10:00:00",
                ),
                _col("consent_sms_marketing", B, False, "Agreed to marketing texts.", "no"),
                _col("consent_email_marketing", B, False, "Agreed to marketing email.", "yes"),
                _col("consent_sms_transactional", B, False, "Agreed to reminder texts.", "yes"),
                _col("consent_email_transactional", B, False, "Agreed to reminder email.", "yes"),
                _col(
                    "sms_opted_out_at",
                    DT,
                    False,
                    "When the patient replied STOP.",
                    "2026-01-05T18:22:00Z",
                ),
                _col(
                    "email_opted_out_at", DT, False, "When the patient unsubscribed.", "2026-01-05"
                ),
            ),
        ),
        Format(
            "services",
            "service",
            "The service catalog.",
            (
                EXTERNAL_ID,
                _col("name", T, True, "Service name as booked.", "Botox"),
                _col("category", C, True, "Service category.", "neurotoxin", *SERVICE_CATEGORIES),
                _col("rebookable", B, False, "Expected to be repeated (default true).", "yes"),
                _col("rebook_min_days", INT, False, "Earliest usual next treatment, days.", "84"),
                _col("rebook_max_days", INT, False, "Latest usual next treatment, days.", "112"),
                _col("course_sessions", INT, False, "Sessions in a course, if any.", "6"),
                _col("duration_minutes", INT, False, "Booked length (default 60).", "30"),
                _col("price", M, False, "List price.", "450.00"),
                _col("cogs", M, False, "Cost of goods per treatment.", "120.00"),
            ),
        ),
        Format(
            "appointments",
            "appointment",
            "Appointments from the EMR/scheduling system, any status.",
            (
                EXTERNAL_ID,
                _col(
                    "start_at",
                    DT,
                    True,
                    "Start (local time unless an offset is given).",
                    "2026-03-02 09:30",
                ),
                _col("end_at", DT, False, "End; default start + duration.", "2026-03-02T10:00"),
                _col("duration_minutes", INT, False, "Length when there is no end_at.", "30"),
                _col(
                    "status",
                    C,
                    True,
                    "Status (vocabulary mapped).",
                    "completed",
                    *APPOINTMENT_STATUSES,
                ),
                _col("patient_external_id", T, True, "The patient's external id.", "PT-77"),
                _col("provider_external_id", T, False, "The provider's external id.", "PR-3"),
                _col("service_external_id", T, False, "The service's external id.", "SV-1"),
                _col("service_name", T, False, "The service's name, when there is no id.", "Botox"),
                LOCATION_REF,
                _col(
                    "booked_at", DT, False, "When the appointment was booked.", "2026-02-20T16:02"
                ),
                _col("booking_channel", T, False, "online, phone, front_desk, ...", "online"),
                _col(
                    "cancelled_at", DT, False, "When it was cancelled.", "2026-03-01T08:00:00-06:00"
                ),
                _col("reminder_sent", B, False, "A reminder was sent (empty: unknown).", "yes"),
                _col("confirmed", B, False, "The patient confirmed (empty: unknown).", "yes"),
                _col("deposit_paid", B, False, "A deposit was taken (empty: unknown).", "no"),
                TIMEZONE,
            ),
        ),
        Format(
            "sales",
            "sale",
            "Point-of-sale line items; refunds are lines with a negative net.",
            (
                EXTERNAL_ID,
                _col(
                    "paid_at",
                    DT,
                    True,
                    "When paid (local time unless an offset is given).",
                    "2026-03-02 10:15",
                ),
                _col("net", M, True, "Net amount = gross − discount − refund.", "405.00"),
                LOCATION_REF,
                _col(
                    "gross", M, False, "Gross amount (default net + discount + refund).", "450.00"
                ),
                _col("discount", M, False, "Discount given (positive).", "45.00"),
                _col("refund", M, False, "Amount refunded on this line (positive).", "0"),
                _col("cogs", M, False, "Cost of goods of the line.", "120.00"),
                _col(
                    "kind",
                    C,
                    False,
                    "Line kind (default service; refund when net < 0).",
                    "service",
                    *SALE_KINDS,
                ),
                _col("item", T, False, "Item name (default the service's name).", "Botox 20u"),
                _col("category", T, False, "Item category.", "neurotoxin"),
                _col("quantity", N, False, "Quantity (default 1).", "1"),
                _col("patient_external_id", T, False, "The patient's external id.", "PT-77"),
                _col("provider_external_id", T, False, "The provider credited.", "PR-3"),
                _col("appointment_external_id", T, False, "The visit paid for.", "A-10023"),
                _col("service_external_id", T, False, "The service's external id.", "SV-1"),
                _col("service_name", T, False, "The service's name, when there is no id.", "Botox"),
                TIMEZONE,
            ),
        ),
        Format(
            "shifts",
            "providershift",
            "Provider availability per local day (the denominator of utilization).",
            (
                _col("external_id", T, False, "Default: provider external id + day.", "S-1"),
                _col("provider_external_id", T, True, "The provider's external id.", "PR-3"),
                LOCATION_REF,
                _col("day", D, True, "Local day of the shift.", "2026-03-02"),
                _col("available_minutes", INT, False, "Bookable minutes.", "480"),
                _col("start_time", T, False, "Shift start HH:MM, when no minutes given.", "09:00"),
                _col("end_time", T, False, "Shift end HH:MM.", "17:30"),
                _col("break_minutes", INT, False, "Unbookable minutes within the shift.", "30"),
            ),
            one_of=(("available_minutes",), ("start_time", "end_time")),
        ),
        Format(
            "compensation",
            "compensation",
            "Payroll per provider and pay period (total = base + commission + bonus + benefits).",
            (
                _col("external_id", T, False, "Default: provider id + period start.", "PAY-1"),
                _col("provider_external_id", T, False, "The provider's id in this source.", "E-9"),
                _col(
                    "provider_name",
                    T,
                    False,
                    "Provider name, matched when the id is new.",
                    "Maya Lopez",
                ),
                _col("period_start", D, True, "First day of the pay period.", "2026-03-01"),
                _col("period_end", D, True, "Last day of the pay period.", "2026-03-15"),
                _col("base", M, False, "Salary or hourly pay.", "3200.00"),
                _col("commission", M, False, "Commission.", "1450.00"),
                _col("bonus", M, False, "Bonus.", "0"),
                _col("benefits", M, False, "Employer-paid benefits and taxes.", "410.00"),
            ),
            one_of=(("provider_external_id",), ("provider_name",)),
        ),
        Format(
            "memberships",
            "membership",
            "Membership plans patients are (or were) on.",
            (
                EXTERNAL_ID,
                _col("patient_external_id", T, True, "The member's external id.", "PT-77"),
                LOCATION_REF,
                _col("plan", T, True, "Plan name.", "Glow Club"),
                _col("monthly_price", M, True, "Monthly dues.", "99.00"),
                _col("started_on", D, True, "First day of membership.", "2025-06-01"),
                _col("ended_on", D, False, "Last day, empty while active.", "2026-02-28"),
            ),
        ),
        Format(
            "marketing_spend",
            "marketingspend",
            "Ad spend; rows are summed per location, channel and month.",
            (
                _col("external_id", T, False, "Default: channel + campaign + date.", "meta-0302"),
                _col("channel", T, True, "Marketing channel.", "meta_ads"),
                _col(
                    "date", D, True, "Day (or first day of the month) of the spend.", "2026-03-02"
                ),
                _col("amount", M, True, "Amount spent.", "1,250.00"),
                _col("campaign", T, False, "Campaign, used to keep rows apart.", "Spring"),
                LOCATION_REF,
            ),
        ),
        Format(
            "leads",
            "lead",
            "Leads (inquiries) by channel, optionally linked to the patient they became.",
            (
                EXTERNAL_ID,
                _col("channel", T, True, "Channel the lead came from.", "google_ads"),
                _col("created_at", DT, True, "When the lead arrived.", "2026-03-02T12:10"),
                LOCATION_REF,
                _col("patient_external_id", T, False, "The patient the lead became.", "PT-77"),
                TIMEZONE,
            ),
        ),
    )
}
"""Canonical formats by name (the `<table>` argument of `clarity ingest`)."""


def get_format(name: str) -> Format:
    """The format for a table name; also accepts singular/store names like `appointment`."""
    key = name.strip().lower().replace("-", "_")
    if key in FORMATS:
        return FORMATS[key]
    for fmt in FORMATS.values():
        if key in (fmt.table, fmt.name.rstrip("s")):
            return fmt
    raise KeyError(f"unknown table {name!r}; choose one of {', '.join(FORMATS)} or fhir")
