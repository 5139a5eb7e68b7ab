"""Per-table rules: typed canonical values of one row → the store row, with references resolved.

Each builder raises `RowError` (column, reason) for a row that cannot be imported. Rules that
are not plain parsing live here:
- appointments/sales/leads get `local_date` (and appointments `local_hour`) in the location's
  time zone: a 23:30 local visit belongs to that local day;
- a completed or no-show appointment, a sale or a lead dated in the future is rejected;
- sales: net = gross − discount − refund; a negative net is a refund line (kind refund).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from store.ingest.bounds import DEFAULT_BOUNDS, Bounds
from store.ingest.refs import Resolver
from store.ingest.values import RowError, normalize_email, normalize_phone, to_utc, vocab_key, zone

Row = dict[str, Any]


@dataclass
class Context:
    """What builders need besides the row: references, the clock, defaults, warnings."""

    resolver: Resolver
    source: str
    now: datetime
    default_timezone: str
    phone_region: str = "US"
    bounds: Bounds = DEFAULT_BOUNDS
    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    times: int = 0
    """Event times (start_at, paid_at, created_at) read so far, and how many of them were
    exactly midnight as written: all midnight suggests an export of dates only."""
    midnights: int = 0
    columns: frozenset[str] = frozenset()
    """The canonical columns the file maps (a column it lacks is not the same as an empty cell
    for columns whose absence must leave stored values alone)."""

    def warn(self, column: str, code: str, message: str) -> None:
        self.warnings.append((column, code, message))


_LOCAL_LIMIT = 100_000
# (naive wall time, fold, zone) → UTC instant: visit times repeat (slots on the hour and half
# hour), and the zone conversion is the costliest step of building a row. Bounded, reset when
# full. `fold` is in the key because naive datetimes differing only in fold compare equal.
_naive_utc: dict[tuple[datetime, int, ZoneInfo], tuple[datetime, datetime]] = {}


def _naive_local(moment: datetime, local_zone: ZoneInfo) -> tuple[datetime, datetime]:
    """(UTC instant, wall time that instant shows in `local_zone`) of a naive datetime,
    remembered. The two differ only for a wall time that does not exist (the hour skipped
    when clocks spring forward): 02:30 is read with the offset before the change and shows as
    03:30."""
    key = (moment, moment.fold, local_zone)
    found = _naive_utc.get(key)
    if found is None:
        instant = to_utc(moment, local_zone)
        found = (instant, instant.astimezone(local_zone).replace(tzinfo=None))
        if len(_naive_utc) >= _LOCAL_LIMIT:
            _naive_utc.clear()
        _naive_utc[key] = found
    return found


def _naive_to_utc(moment: datetime, local_zone: ZoneInfo) -> datetime:
    """`to_utc` of a naive datetime, remembered."""
    return _naive_local(moment, local_zone)[0]


def _local(
    moment: datetime,
    values: dict[str, Any],
    location_zone: ZoneInfo,
    ctx: Context,
    column: str,
) -> tuple[datetime, datetime]:
    """(UTC instant, local wall time at the location) of a naive-or-aware datetime.

    A wall time in a spring-forward gap is shifted forward by the gap (02:30 → 03:30) with a
    `dst_gap_shifted` warning, so `local_hour` and `local_date` always agree with the instant.
    """
    ctx.times += 1
    if not (moment.hour or moment.minute or moment.second or moment.microsecond):
        ctx.midnights += 1
    row_zone: ZoneInfo | None = values.get("timezone")
    if moment.tzinfo is None:
        instant, shown = _naive_local(moment, row_zone or location_zone)
        if shown != moment:
            ctx.warn(
                column,
                "dst_gap_shifted",
                f"{moment:%Y-%m-%d %H:%M} does not exist locally (clocks sprang forward); "
                f"read as {shown:%H:%M}",
            )
        if row_zone is None or row_zone is location_zone:
            return instant, shown
    else:
        instant = to_utc(moment, location_zone)
    return instant, instant.astimezone(location_zone).replace(tzinfo=None)


def _utc(value: datetime | None, values: dict[str, Any], location_zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if value.tzinfo is None:
        return _naive_to_utc(value, values.get("timezone") or location_zone)
    return to_utc(value, values.get("timezone") or location_zone)


def _not_future(moment: datetime, ctx: Context, column: str, what: str) -> None:
    if moment > ctx.now:
        raise RowError(
            column,
            "future_date",
            f"{what} at {moment:%Y-%m-%d %H:%M} UTC is in the future",
        )


# --------------------------------------------------------------------------- catalogs


def build_location(v: dict[str, Any], ctx: Context) -> Row:
    tz = v.get("timezone")
    return {
        "organization_id": ctx.resolver.organization_id,
        "name": v["name"],
        "timezone": tz.key if tz is not None else ctx.default_timezone,
        "currency": (v.get("currency") or "USD").upper(),
        "opened_on": v.get("opened_on"),
    }


def build_provider(v: dict[str, Any], ctx: Context) -> Row:
    return {
        "location_id": ctx.resolver.location(v.get("location_external_id")),
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "role": vocab_key(v["role"]) if v.get("role") else "provider",
        "active": v.get("active", True),
        "hired_on": v.get("hired_on"),
    }


def _line(ctx: Context, column: str, cents: int) -> int:
    ctx.bounds.line(column, cents)
    return cents


def _duration(minutes: int, ctx: Context, column: str = "duration_minutes") -> int:
    ctx.bounds.duration(column, minutes)
    return minutes


def build_service(v: dict[str, Any], ctx: Context) -> Row:
    low, high = v.get("rebook_min_days"), v.get("rebook_max_days")
    if low is not None and high is not None and low > high:
        raise RowError("rebook_max_days", "bad_range", f"rebook_max_days {high} < min {low}")
    return {
        "organization_id": ctx.resolver.organization_id,
        "name": v["name"],
        "category": v["category"],
        "rebookable": v.get("rebookable", True),
        "rebook_min_days": low,
        "rebook_max_days": high,
        "course_sessions": v.get("course_sessions"),
        "duration_minutes": _duration(v.get("duration_minutes") or 60, ctx),
        "price_cents": _line(ctx, "price", v.get("price") or 0),
        "cogs_cents": _line(ctx, "cogs", v.get("cogs") or 0),
    }


def build_patient(v: dict[str, Any], ctx: Context) -> Row:
    resolver = ctx.resolver
    ext_loc = v.get("location_external_id")
    location_id = (
        resolver.location(ext_loc)
        if ext_loc is not None or resolver.default_location_id is not None
        else None
    )
    tz = resolver.zone(location_id) if location_id else zone(ctx.default_timezone)
    phone = None
    if v.get("phone"):
        phone = normalize_phone(v["phone"], ctx.phone_region)
        if phone is None:
            ctx.warn("phone", "invalid_phone", "phone number is not valid; left empty")
    email = None
    if v.get("email"):
        email = normalize_email(v["email"])
        if email is None:
            ctx.warn("email", "invalid_email", "email address is not valid; left empty")
    birth = v.get("birth_date")
    if birth is not None and birth > ctx.now.date():
        raise RowError("birth_date", "future_date", f"birth_date {birth} is in the future")
    return {
        "home_location_id": location_id,
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "phone_e164": phone,
        "email": email,
        "birth_date": birth,
        "acquisition_channel": vocab_key(v["acquisition_channel"])
        if v.get("acquisition_channel")
        else None,
        "created_at": to_utc(v["created_at"], tz) if v.get("created_at") else None,
        "consent_sms_transactional": v.get("consent_sms_transactional", True),
        "consent_sms_marketing": v.get("consent_sms_marketing", False),
        "consent_email_transactional": v.get("consent_email_transactional", True),
        "consent_email_marketing": v.get("consent_email_marketing", False),
        "sms_opted_out_at": to_utc(v["sms_opted_out_at"], tz)
        if v.get("sms_opted_out_at")
        else None,
        "email_opted_out_at": to_utc(v["email_opted_out_at"], tz)
        if v.get("email_opted_out_at")
        else None,
    }


# --------------------------------------------------------------------------- activity


BOOKING_FACTS = ("reminder_sent", "confirmed", "deposit_paid")


def build_appointment(v: dict[str, Any], ctx: Context) -> Row:
    resolver = ctx.resolver
    location_id = resolver.location(v.get("location_external_id"))
    loc_zone = resolver.zone(location_id)
    start, local = _local(v["start_at"], v, loc_zone, ctx, "start_at")
    service_id = None
    if "service_external_id" in v or "service_name" in v:
        service_id = resolver.service(v.get("service_external_id"), v.get("service_name"))
    if "end_at" in v:
        end = _utc(v["end_at"], v, loc_zone)
        if end < start:
            raise RowError("end_at", "bad_range", "end_at is before start_at")
        minutes = _duration(int((end - start).total_seconds() // 60), ctx, "end_at")
    else:
        minutes = _duration(
            v.get("duration_minutes")
            or (resolver.service_info[service_id][2] if service_id else 60),
            ctx,
        )
        end = start + timedelta(minutes=minutes)
    status = v["status"]
    if status in ("completed", "no_show") and start > ctx.now:
        raise RowError(
            "start_at",
            "future_date",
            f"a {status} appointment cannot start in the future ({local:%Y-%m-%d %H:%M} local)",
        )
    provider = v.get("provider_external_id")
    return {
        "patient_id": resolver.patient(v["patient_external_id"]),
        "provider_id": resolver.provider(provider) if provider else None,
        "location_id": location_id,
        "service_id": service_id,
        "start_at": start,
        "end_at": end,
        "local_date": local.date(),
        "local_hour": local.hour,
        "duration_minutes": minutes,
        "status": status,
        "booked_at": _utc(v.get("booked_at"), v, loc_zone),
        "booking_channel": vocab_key(v["booking_channel"]) if v.get("booking_channel") else None,
        "cancelled_at": _utc(v.get("cancelled_at"), v, loc_zone),
        # Only the booking facts the file has: a file without them leaves stored ones alone.
        **{k: v.get(k) for k in BOOKING_FACTS if k in ctx.columns},
    }


def _money_cents(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def build_sale(v: dict[str, Any], ctx: Context) -> Row:
    resolver = ctx.resolver
    location_id = resolver.location(v.get("location_external_id"))
    paid_at, local = _local(v["paid_at"], v, resolver.zone(location_id), ctx, "paid_at")
    _not_future(paid_at, ctx, "paid_at", "payment")
    for column in ("net", "gross", "discount", "refund", "cogs"):
        ctx.bounds.line(column, v.get(column))
    net: int = v["net"]
    discount = abs(v.get("discount") or 0)
    refund = abs(v.get("refund") or 0)
    gross: int | None = v.get("gross")
    if gross is not None and gross < 0:
        refund = refund or -gross
        gross = 0
    if gross is None:
        gross = net + discount + refund
        if gross < 0:
            refund, gross = refund - gross, 0
    if gross - discount - refund != net:
        raise RowError(
            "net",
            "net_mismatch",
            f"net {_money_cents(net)} ≠ gross {_money_cents(gross)} − discount "
            f"{_money_cents(discount)} − refund {_money_cents(refund)}",
        )
    service_id = None
    if "service_external_id" in v or "service_name" in v:
        service_id = resolver.service(v.get("service_external_id"), v.get("service_name"))
    info = resolver.service_info.get(service_id) if service_id else None
    kind = "refund" if net < 0 else v.get("kind", "service")
    quantity = v.get("quantity", 1.0)
    cogs = v.get("cogs")
    if cogs is None:
        cogs = _line(ctx, "cogs", int(info[3] * quantity)) if info and kind == "service" else 0
    patient = v.get("patient_external_id")
    provider = v.get("provider_external_id")
    appointment = v.get("appointment_external_id")
    return {
        "patient_id": resolver.patient(patient) if patient else None,
        "provider_id": resolver.provider(provider) if provider else None,
        "location_id": location_id,
        "appointment_id": resolver.appointment(appointment) if appointment else None,
        "service_id": service_id,
        "kind": kind,
        "item": v.get("item") or (info[0] if info else kind),
        "category": v.get("category") or (info[1] if info else None),
        "quantity": quantity,
        "gross_cents": gross,
        "discount_cents": discount,
        "refund_cents": refund,
        "net_cents": net,
        "cogs_cents": cogs,
        "paid_at": paid_at,
        "local_date": local.date(),
    }


def _minutes_between(start: str, end: str) -> int:
    def parse(text: str, column: str) -> datetime:
        for fmt in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M%p", "%I %p"):
            try:
                return datetime.strptime(text.strip().upper(), fmt)
            except ValueError:
                continue
        raise RowError(column, "bad_time", f"cannot read {text!r} as a time of day")

    begin, finish = parse(start, "start_time"), parse(end, "end_time")
    minutes = int((finish - begin).total_seconds() // 60)
    if minutes <= 0:
        raise RowError("end_time", "bad_range", f"shift ends ({end}) before it starts ({start})")
    return minutes


def build_shift(v: dict[str, Any], ctx: Context) -> Row:
    resolver = ctx.resolver
    minutes = v.get("available_minutes")
    if minutes is None:
        if not (v.get("start_time") and v.get("end_time")):
            raise RowError(
                "available_minutes",
                "missing_value",
                "available_minutes is empty (and no start_time/end_time)",
            )
        breaks = v.get("break_minutes") or 0
        ctx.bounds.shift("break_minutes", breaks)
        minutes = _minutes_between(v["start_time"], v["end_time"]) - breaks
    if minutes < 0:
        raise RowError("available_minutes", "bad_number", "available minutes are negative")
    ctx.bounds.shift("available_minutes", minutes)
    return {
        "provider_id": resolver.provider(v["provider_external_id"]),
        "location_id": resolver.location(v.get("location_external_id")),
        "day": v["day"],
        "available_minutes": minutes,
    }


def build_compensation(v: dict[str, Any], ctx: Context) -> Row:
    ext, name = v.get("provider_external_id"), v.get("provider_name")
    if not ext and not name:
        raise RowError(
            "provider_external_id", "missing_value", "provider_external_id and provider_name empty"
        )
    start: date = v["period_start"]
    end: date = v["period_end"]
    if end < start:
        raise RowError("period_end", "bad_range", "period_end is before period_start")
    for column in ("base", "commission", "bonus", "benefits"):
        ctx.bounds.pay(column, v.get(column))
    return {
        "provider_id": ctx.resolver.provider(ext, name),
        "period_start": start,
        "period_end": end,
        "base_cents": v.get("base") or 0,
        "commission_cents": v.get("commission") or 0,
        "bonus_cents": v.get("bonus") or 0,
        "benefits_cents": v.get("benefits") or 0,
    }


def build_membership(v: dict[str, Any], ctx: Context) -> Row:
    started: date = v["started_on"]
    ended: date | None = v.get("ended_on")
    if ended is not None and ended < started:
        raise RowError("ended_on", "bad_range", "ended_on is before started_on")
    bounds = ctx.bounds
    bounds.amount(
        "monthly_price",
        v["monthly_price"],
        limit=bounds.line_amount_cents,
        setting="CLARITY_IMPORT_MAX_LINE_AMOUNT",
        signed=False,
    )
    return {
        "patient_id": ctx.resolver.patient(v["patient_external_id"]),
        "location_id": ctx.resolver.location(v.get("location_external_id")),
        "plan": v["plan"],
        "monthly_price_cents": v["monthly_price"],
        "started_on": started,
        "ended_on": ended,
    }


def build_marketing_spend(v: dict[str, Any], ctx: Context) -> Row:
    day: date = v["date"]
    if day > ctx.now.date():
        raise RowError("date", "future_date", f"spend dated {day} is in the future")
    ctx.bounds.spend("amount", v["amount"])
    return {
        "location_id": ctx.resolver.location(v.get("location_external_id")),
        "channel": vocab_key(v["channel"]),
        "month": day.replace(day=1),
        "amount_cents": v["amount"],
    }


def build_lead(v: dict[str, Any], ctx: Context) -> Row:
    resolver = ctx.resolver
    location_id = resolver.location(v.get("location_external_id"))
    created, local = _local(v["created_at"], v, resolver.zone(location_id), ctx, "created_at")
    _not_future(created, ctx, "created_at", "lead")
    patient = v.get("patient_external_id")
    return {
        "location_id": location_id,
        "channel": vocab_key(v["channel"]),
        "created_at": created,
        "local_date": local.date(),
        "patient_id": resolver.patient(patient) if patient else None,
    }


# --------------------------------------------------------------------------- external ids


def _default_id(*parts: object) -> str:
    return ":".join("" if p is None else str(p) for p in parts)


def external_id(fmt_name: str, v: dict[str, Any]) -> str:
    """The row's external id: given, or derived from its natural key where the format allows."""
    given = v.get("external_id")
    if given:
        return str(given)
    if fmt_name == "shifts":
        return _default_id(v.get("provider_external_id"), v.get("day"))
    if fmt_name == "compensation":
        who = v.get("provider_external_id") or v.get("provider_name")
        return _default_id(who, v.get("period_start"))
    if fmt_name == "marketing_spend":
        return _default_id(vocab_key(str(v.get("channel", ""))), v.get("campaign"), v.get("date"))
    raise RowError("external_id", "missing_value", "external_id is empty")


BUILDERS: dict[str, Callable[[dict[str, Any], Context], Row]] = {
    "locations": build_location,
    "providers": build_provider,
    "patients": build_patient,
    "services": build_service,
    "appointments": build_appointment,
    "sales": build_sale,
    "shifts": build_shift,
    "compensation": build_compensation,
    "memberships": build_membership,
    "marketing_spend": build_marketing_spend,
    "leads": build_lead,
}
"""Builder of the store row for each canonical format."""

PATIENT_REFS: dict[str, tuple[str, ...]] = {
    "appointments": ("patient_external_id",),
    "sales": ("patient_external_id",),
    "memberships": ("patient_external_id",),
    "leads": ("patient_external_id",),
}
"""Columns holding patient references, prefetched per batch."""
