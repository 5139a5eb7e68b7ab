"""Canonical tables of the practice store (SQLModel), whatever system the data came from.

Conventions:
- Money is stored as 64-bit integer cents (`*_cents`, BIGINT) so sums are exact on SQLite and
  PostgreSQL and one line of $21.5M or more does not overflow a 32-bit column.
- Timestamps (`*_at`) are time-zone aware and stored in UTC (timestamptz on PostgreSQL).
  Each appointment, sale and lead also stores its
  `local_date` in the location's time zone, so "a visit at 23:30 local belongs to that local
  day" holds in plain SQL without per-row time-zone arithmetic.
- Imported rows keep `source` and `external_id`; `(source, external_id)` is unique per table so
  re-imports update instead of duplicating. Rows Clarity itself creates use source "clarity".
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


class AppointmentStatus(StrEnum):
    booked = "booked"
    completed = "completed"
    no_show = "no_show"
    cancelled = "cancelled"
    late_cancel = "late_cancel"


class ServiceCategory(StrEnum):
    neurotoxin = "neurotoxin"
    filler = "filler"
    laser = "laser"
    skin = "skin"
    body = "body"
    weight_loss = "weight_loss"
    membership = "membership"
    retail = "retail"
    consult = "consult"


class SaleKind(StrEnum):
    service = "service"
    product = "product"
    membership = "membership"
    refund = "refund"


class MessageState(StrEnum):
    drafted = "drafted"
    pending_approval = "pending_approval"
    approved = "approved"
    rejected = "rejected"
    scheduled = "scheduled"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    undelivered = "undelivered"
    unknown = "unknown"


def _json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --------------------------------------------------------------------------- organization


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    slug: str = Field(unique=True)


class Location(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str
    timezone: str = "America/New_York"
    currency: str = "USD"
    opened_on: date | None = None
    source: str = "clarity"
    external_id: str | None = None


class Provider(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id", index=True)
    first_name: str
    last_name: str
    role: str  # nurse_injector, nurse_practitioner, physician, physician_assistant, aesthetician
    active: bool = True
    hired_on: date | None = None
    source: str = "clarity"
    external_id: str | None = None


class Compensation(SQLModel, table=True):
    """Payroll for one provider and one pay period; total = base + commission + bonus + benefits."""

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_compensation_provider_period", "provider_id", "period_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    period_start: date
    period_end: date
    base_cents: int = Field(default=0, sa_type=BigInteger)
    commission_cents: int = Field(default=0, sa_type=BigInteger)
    bonus_cents: int = Field(default=0, sa_type=BigInteger)
    benefits_cents: int = Field(default=0, sa_type=BigInteger)
    source: str = "clarity"
    external_id: str | None = None


# --------------------------------------------------------------------------- patients


class Patient(SQLModel, table=True):
    """A patient. Contact data (names, phone, email, birth date) never leaves the store except to
    the practice's own staff; elsewhere the patient is `pseudonym(id)` (`P-1234`)."""

    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    home_location_id: int | None = Field(default=None, foreign_key="location.id", index=True)
    first_name: str
    last_name: str
    phone_e164: str | None = Field(default=None, index=True)
    email: str | None = Field(default=None, index=True)
    birth_date: date | None = None
    acquisition_channel: str | None = None
    created_at: datetime | None = None
    consent_sms_transactional: bool = True
    consent_sms_marketing: bool = False
    consent_email_transactional: bool = True
    consent_email_marketing: bool = False
    sms_opted_out_at: datetime | None = None
    email_opted_out_at: datetime | None = None
    source: str = "clarity"
    external_id: str | None = None


def pseudonym(patient_id: int) -> str:
    """The only way a patient is named outside the store: `P-<id>`."""
    return f"P-{patient_id}"


class Service(SQLModel, table=True):
    """Catalog item. Rebookable services carry the expected interval to the next treatment."""

    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str
    category: str
    rebookable: bool = True
    rebook_min_days: int | None = None
    rebook_max_days: int | None = None
    course_sessions: int | None = None
    duration_minutes: int = 60
    price_cents: int = Field(default=0, sa_type=BigInteger)
    cogs_cents: int = Field(default=0, sa_type=BigInteger)
    source: str = "clarity"
    external_id: str | None = None


class Appointment(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_appointment_location_date", "location_id", "local_date"),
        Index("ix_appointment_provider_date", "provider_id", "local_date"),
        Index("ix_appointment_patient_start", "patient_id", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    location_id: int = Field(foreign_key="location.id")
    service_id: int | None = Field(default=None, foreign_key="service.id")
    start_at: datetime
    end_at: datetime
    local_date: date
    local_hour: int = 0
    duration_minutes: int = 60
    status: str = AppointmentStatus.booked
    booked_at: datetime | None = None
    booking_channel: str | None = None  # online, phone, front_desk, rebooked_at_checkout
    cancelled_at: datetime | None = None
    # Booking facts from the export; None = the export did not say (not "no").
    reminder_sent: bool | None = None
    confirmed: bool | None = None
    deposit_paid: bool | None = None
    source: str = "clarity"
    external_id: str | None = None


class Sale(SQLModel, table=True):
    """A POS line item. net = gross − discount − refund; a refund given later is its own line
    (kind=refund, net negative) dated when it was given. Production = net attributed to the
    provider."""

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_sale_location_date", "location_id", "local_date"),
        Index("ix_sale_provider_date", "provider_id", "local_date"),
        Index("ix_sale_patient_date", "patient_id", "local_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    location_id: int = Field(foreign_key="location.id")
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    service_id: int | None = Field(default=None, foreign_key="service.id")
    kind: str = SaleKind.service
    item: str
    category: str | None = None
    quantity: float = 1.0
    gross_cents: int = Field(default=0, sa_type=BigInteger)
    discount_cents: int = Field(default=0, sa_type=BigInteger)
    refund_cents: int = Field(default=0, sa_type=BigInteger)
    net_cents: int = Field(default=0, sa_type=BigInteger)
    cogs_cents: int = Field(default=0, sa_type=BigInteger)
    paid_at: datetime
    local_date: date
    source: str = "clarity"
    external_id: str | None = None


class ProviderShift(SQLModel, table=True):
    """Minutes a provider was available on a local day: the denominator of utilization."""

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_shift_provider_day", "provider_id", "day"),
        Index("ix_shift_location_day", "location_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id")
    location_id: int = Field(foreign_key="location.id")
    day: date
    available_minutes: int
    source: str = "clarity"
    external_id: str | None = None


class Membership(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_membership_location_started", "location_id", "started_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    plan: str
    monthly_price_cents: int = Field(sa_type=BigInteger)
    started_on: date
    ended_on: date | None = None
    source: str = "clarity"
    external_id: str | None = None


class MarketingSpend(SQLModel, table=True):
    """Spend of one channel at one location in one calendar month (`month` = first day)."""

    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_spend_location_month", "location_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id")
    channel: str
    month: date
    amount_cents: int = Field(sa_type=BigInteger)
    source: str = "clarity"
    external_id: str | None = None


class Lead(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_lead_location_date", "location_id", "local_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id")
    channel: str
    created_at: datetime
    local_date: date
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    source: str = "clarity"
    external_id: str | None = None


# --------------------------------------------------------------------------- produced by Clarity


class Finding(SQLModel, table=True):
    """A gap or anomaly worth a person's attention, with the dollars attached and its evidence.
    `fingerprint` identifies the same finding across days so it is not re-announced."""

    __table_args__ = (Index("ix_finding_location_kind", "location_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    location_id: int | None = Field(default=None, foreign_key="location.id")
    provider_id: int | None = Field(default=None, foreign_key="provider.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    kind: str
    scope: str
    title: str
    period_start: date
    period_end: date
    dollars_cents: int = Field(sa_type=BigInteger)
    severity: int = 0
    evidence: dict[str, Any] = _json_column()
    fingerprint: str = Field(unique=True)
    first_seen_at: datetime
    last_seen_at: datetime
    status: str = "open"


class Briefing(SQLModel, table=True):
    """The briefing of one scope for one day: a unique index, so concurrent runs share one row
    (`INSERT … ON CONFLICT (scope, for_date)`)."""

    __table_args__ = (Index("ux_briefing_scope_date", "scope", "for_date", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    location_id: int | None = Field(default=None, foreign_key="location.id")
    scope: str
    for_date: date
    headline: str
    text_md: str
    html: str | None = None
    writer: str
    prompt_name: str | None = None
    prompt_version: str | None = None
    model: str | None = None
    verified: bool = False
    verification: dict[str, Any] = _json_column()
    facts: dict[str, Any] = _json_column()
    created_at: datetime


class AtRiskSnapshot(SQLModel, table=True):
    """The at-risk return model's scores as of one day, for one organization's briefings
    (`tools.at_risk`): fitted once per organization, day, horizon and data version, then read
    by every scope's briefing — also in a fresh process. `data_version` is the model version and
    the store's (count, max id) of appointments and sales; `scores` is little-endian float64
    rows (patient id, p_return, expected visits), row-major."""

    __table_args__ = (
        Index(
            "ux_atrisksnapshot_key",
            "organization_id",
            "as_of",
            "horizon_days",
            "data_version",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    as_of: date
    horizon_days: int
    data_version: str
    patients: int
    scores: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime


class ForecastSnapshot(SQLModel, table=True):
    """An organization's revenue forecast as of one day (`tools.forecast`), for every location
    and horizon: computed once per organization, day, horizons and data version, then read by
    every scope's briefing, the CLI and the web app — also in a fresh process. `horizons` is the
    comma-separated horizons in days ("30,60,90"); `data_version` the model version and the
    store's stamp of the tables the forecast reads; `result` the `RevenueForecast` as JSON."""

    __table_args__ = (
        Index(
            "ux_forecastsnapshot_key",
            "organization_id",
            "as_of",
            "horizons",
            "data_version",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    as_of: date
    horizons: str
    data_version: str
    result: dict[str, Any] = _json_column()
    created_at: datetime


class BriefingDelivery(SQLModel, table=True):
    """One briefing to one recipient on one channel; unique so a delivery is never repeated."""

    __table_args__ = (UniqueConstraint("briefing_id", "channel", "recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    briefing_id: int = Field(foreign_key="briefing.id", index=True)
    channel: str
    recipient: str
    status: str = "pending"  # pending, sending, delivered, failed, unknown
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


class Subscription(SQLModel, table=True):
    """Who receives which briefing, where, and when (local time of the scope)."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    channel: str  # email, slack
    scope: str  # org:<id> or location:<id>
    send_hour_local: int = 7
    active: bool = True


class OutreachPolicy(SQLModel, table=True):
    """A location's outreach policy as last saved on Settings (`agent.outreach.location_policy`
    reads it; no row = the product defaults): the SMS send window in the location's local time
    (`send_start_hour` ≤ local hour < `send_end_hour`), the most SMS segments a draft may use,
    whether e-mail may name the patient's last service, and the auto-approval switch and daily
    cap per location. One row per location."""

    __table_args__ = (Index("ux_outreachpolicy_location", "location_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    location_id: int = Field(foreign_key="location.id")
    send_start_hour: int
    send_end_hour: int
    max_segments: int
    allow_service_in_email: bool = False
    auto_approve_enabled: bool = False
    auto_approve_daily_cap: int
    updated_at: datetime
    updated_by: str


class OutreachMessage(SQLModel, table=True):
    """A drafted message to a patient. States follow `MessageState`; every transition is one
    guarded UPDATE (`WHERE state = <expected>`), so a message is sent at most once."""

    __table_args__ = (Index("ix_outreach_location_state", "location_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    channel: str  # sms, email
    purpose: str = "reactivation"
    subject: str | None = None
    body: str
    state: str = MessageState.drafted
    reasons: dict[str, Any] = _json_column()
    finding_id: int | None = Field(default=None, foreign_key="finding.id")
    thread_id: str | None = Field(default=None, index=True)
    idempotency_key: str = Field(unique=True)
    writer: str = "template"
    drafted_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    scheduled_for: datetime | None = None
    sent_at: datetime | None = None
    provider_message_id: str | None = None
    error: str | None = None
    # 0005_outreach: the draft with placeholders (what the writer produced, no PHI), the policy
    # result shown to the approver, SMS segments, when the send started (a stale `sending`
    # row is reconciled, never resent) and the reason given with a rejection.
    template: str | None = None
    policy: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    segments: int | None = None
    sending_started_at: datetime | None = None
    decision_reason: str | None = None


class ConsentEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    channel: str
    purpose: str
    action: str  # granted, revoked, opted_out, opted_in
    occurred_at: datetime
    actor: str
    source: str = "clarity"


class AuditEvent(SQLModel, table=True):
    """Who did what to which row, when. `organization_id` / `location_id` (0007_webapp_admin)
    say whose event it is, so the audit page can be scoped; rows written before that revision
    for outreach messages were back-filled from the message's location, others stay NULL
    (shown to nobody)."""

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(index=True)
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any] = _json_column()
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    location_id: int | None = Field(default=None, foreign_key="location.id")


class LlmCall(SQLModel, table=True):
    """One call to a language model. Holds no PHI: prompt name and version, not its text."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    model: str
    prompt_name: str
    prompt_version: str
    purpose: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_ms: int
    outcome: str  # ok, error, timeout, verification_failed
    error: str | None = None


class IngestRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    path: str
    preset: str | None = None
    status: str = "running"  # running, completed, failed
    started_at: datetime
    finished_at: datetime | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    skipped: int = 0
    error: str | None = None
    summary: dict[str, Any] = _json_column()


class RejectedRow(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ingest_run_id: int = Field(foreign_key="ingestrun.id", index=True)
    file: str
    line: int
    column: str | None = None
    reason: str
    raw: str | None = None


class ExternalLink(SQLModel, table=True):
    """Another system's id for a row that already exists: a patient imported from the POS that
    was matched to the EMR's patient, a payroll employee matched to a provider. References by
    `(source, external_id)` resolve through the row's own ids first, then through these links."""

    __table_args__ = (UniqueConstraint("entity", "source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str  # patient, provider, service, location
    source: str
    external_id: str
    target_id: int = Field(index=True)
    matched_by: str  # phone, email, name_birth_date, name
    created_at: datetime


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    email: str = Field(unique=True)
    name: str
    role: str  # owner, manager, front_desk, evaluator, operating_partner
    password_hash: str | None = None
    active: bool = True


class UserLocation(SQLModel, table=True):
    """The locations a user may see; owners of the organization see all of them."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    location_id: int = Field(foreign_key="location.id", primary_key=True)


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str
    token_hash: str = Field(unique=True)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


IMPORTED_TABLES: tuple[type[SQLModel], ...] = (
    Location,
    Provider,
    Compensation,
    Patient,
    Service,
    Appointment,
    Sale,
    ProviderShift,
    Membership,
    MarketingSpend,
    Lead,
)


# --------------------------------------------------------------------------- schedules


class JobRun(SQLModel, table=True):
    """One run of a scheduled job (schedules/): `kind` (briefing, outreach-send, ...), `key`
    (what it ran for, e.g. `location:3:2027-03-14`), when it was due and ran, and how it ended:
    `running`, `ok`, `failed` (with the first line of the error) or `skipped_late` (due longer
    ago than the grace period, so not run)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    key: str
    scheduled_for: datetime | None = None
    started_at: datetime = Field(index=True)
    finished_at: datetime | None = None
    status: str = "running"
    error: str | None = None
