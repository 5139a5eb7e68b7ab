"""The demo practice: deterministic, realistic, and carrying every planted pattern.

Each figure is computed here from the stored rows with plain queries, independently of
Clarity's own metric tools, so a generator change that breaks realism fails loudly.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from store import models as m
from store import tables as t
from store.db import make_engine
from store.demo import DemoConfig, DemoExistsError, build_demo, consent, demo_digest, generate_rows

SMALL = DemoConfig(seed=3, patients=600)


def pattern(manifest: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [p for p in manifest["patterns"] if p["kind"] == kind]
    return found


def appointments(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    t.appointment.c.id,
                    t.appointment.c.patient_id,
                    t.appointment.c.provider_id,
                    t.appointment.c.location_id,
                    t.appointment.c.start_at,
                    t.appointment.c.end_at,
                    t.appointment.c.booked_at,
                    t.appointment.c.local_date,
                    t.appointment.c.status,
                    t.appointment.c.duration_minutes,
                    t.service.c.rebookable,
                    t.service.c.category,
                ).join(t.service, t.service.c.id == t.appointment.c.service_id)
            )
        )


def rebooking_rate(rows: list[Any], keep: Any) -> tuple[float, int]:
    """Completed rebookable visits followed by a next appointment booked within 1 day."""
    by_patient: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_patient[row.patient_id].append(row)
    rebooked = eligible = 0
    for row in rows:
        if row.status != "completed" or not row.rebookable or not keep(row):
            continue
        eligible += 1
        if any(
            other.start_at > row.start_at
            and row.start_at <= other.booked_at <= row.end_at + timedelta(days=1)
            for other in by_patient[row.patient_id]
        ):
            rebooked += 1
    return rebooked / eligible, eligible


def no_show_rate(rows: list[Any], keep: Any) -> tuple[float, int]:
    counts = Counter(r.status for r in rows if keep(r))
    seen = counts["no_show"] + counts["completed"]
    return counts["no_show"] / seen, seen


def net_by_patient(engine: Engine, start: date, end: date) -> dict[int, int]:
    with engine.connect() as conn:
        return {
            pid: int(total)
            for pid, total in conn.execute(
                select(t.sale.c.patient_id, func.sum(t.sale.c.net_cents))
                .where(t.sale.c.patient_id.is_not(None))
                .where(t.sale.c.local_date.between(start, end))
                .group_by(t.sale.c.patient_id)
            )
        }


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_rows() -> None:
    first, manifest_a = generate_rows(SMALL)
    second, manifest_b = generate_rows(SMALL)
    assert first == second
    assert manifest_a == manifest_b
    other, _ = generate_rows(DemoConfig(seed=4, patients=600))
    assert other["appointment"] != first["appointment"]


def test_same_seed_gives_identical_databases(tmp_path: Any) -> None:
    digests = []
    for name in ("a", "b"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        SQLModel.metadata.create_all(engine)
        build_demo(engine, SMALL)
        digests.append(demo_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]
    # The SQLite files themselves are byte-identical too.
    files = [hashlib.sha256((tmp_path / f"{n}.db").read_bytes()).hexdigest() for n in "ab"]
    assert files[0] == files[1]


def test_build_refuses_to_overwrite_and_replace_rebuilds(engine: Engine) -> None:
    build_demo(engine, SMALL)
    before = demo_digest(engine)
    with pytest.raises(DemoExistsError):
        build_demo(engine, SMALL)
    build_demo(engine, SMALL, replace=True)
    assert demo_digest(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.organization)).scalar() == 1


def test_ids_continue_after_the_demo_rows(engine: Engine) -> None:
    """Explicit demo ids must not collide with rows inserted later (PostgreSQL sequences)."""
    build_demo(engine, SMALL)
    from sqlmodel import Session

    with Session(engine) as session:
        org = m.Organization(name="Another", slug="another")
        session.add(org)
        session.commit()
        assert org.id == 2


# --------------------------------------------------------------------------- shape & realism


def test_shape_of_the_default_demo(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    with engine.connect() as conn:
        locations = conn.execute(select(t.location.c.timezone)).scalars().all()
        providers = conn.execute(select(func.count()).select_from(t.provider)).scalar_one()
        patients = conn.execute(select(func.count()).select_from(t.patient)).scalar_one()
        first_day = conn.execute(select(func.min(t.appointment.c.local_date))).scalar_one()
        last_day = conn.execute(select(func.max(t.sale.c.local_date))).scalar_one()
        categories = set(conn.execute(select(t.service.c.category)).scalars())
        memberships = conn.execute(select(func.count()).select_from(t.membership)).scalar_one()
        channels = set(conn.execute(select(t.marketing_spend.c.channel)).scalars())
        leads = conn.execute(select(func.count()).select_from(t.lead)).scalar_one()
        comp = conn.execute(select(func.count()).select_from(t.compensation)).scalar_one()
    assert len(locations) == 3 and len(set(locations)) == 2
    assert 10 <= providers <= 14
    assert 14_000 <= patients <= 15_000
    assert last_day == date.fromisoformat(manifest["as_of"])
    assert (last_day - first_day).days >= 729  # 24 months
    assert {"neurotoxin", "filler", "laser", "skin", "body", "weight_loss"} <= categories
    assert memberships > 200 and leads > patients and comp > 300
    assert {"google_ads", "meta_ads"} <= channels


def test_contact_data_is_fake(demo_engine: tuple[Engine, dict]) -> None:
    engine, _ = demo_engine
    with engine.connect() as conn:
        rows = conn.execute(select(t.patient.c.phone_e164, t.patient.c.email)).all()
    phones = [phone for phone, _ in rows if phone is not None]
    emails = [email for _, email in rows if email is not None]
    assert len(phones) > 0.9 * len(rows) and len(emails) > 0.9 * len(rows)
    assert all(re.fullmatch(r"\+1\d{3}5550[1]\d{2}", phone) for phone in phones)
    assert all(email.endswith("@example.com") for email in emails)


def consent_rows(engine: Engine) -> list[Any]:
    p = t.patient
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    p.c.id,
                    p.c.phone_e164,
                    p.c.email,
                    p.c.created_at,
                    p.c.consent_sms_transactional,
                    p.c.consent_sms_marketing,
                    p.c.consent_email_transactional,
                    p.c.consent_email_marketing,
                    p.c.sms_opted_out_at,
                    p.c.email_opted_out_at,
                )
            )
        )


def test_consent_shares_are_realistic(demo_engine: tuple[Engine, dict]) -> None:
    """Shares documented in store/demo/consent.py, checked with ranges of at least ±4 standard
    errors: with n ≈ 14,900 patients, a share p has σ = √(p(1−p)/n), e.g. 0.0035 at p = 0.25
    and 0.0010 at p = 0.015."""
    rows = consent_rows(demo_engine[0])
    n = len(rows)
    assert n > 14_000

    def share(rows_: list[Any], keep: Any) -> float:
        return sum(1 for r in rows_ if keep(r)) / len(rows_)

    # Contact: 3 % without a phone, 7 % without an email, nobody without both.
    assert 0.02 <= share(rows, lambda r: r.phone_e164 is None) <= 0.04
    assert 0.055 <= share(rows, lambda r: r.email is None) <= 0.085
    assert not any(r.phone_e164 is None and r.email is None for r in rows)
    # Opted out: 1.5 % (σ = 0.001), of every channel they have, with no consent left.
    opted = [r for r in rows if r.sms_opted_out_at is not None or r.email_opted_out_at is not None]
    assert 0.01 <= len(opted) / n <= 0.02
    for r in opted:
        assert (r.sms_opted_out_at is not None) == (r.phone_e164 is not None)
        assert (r.email_opted_out_at is not None) == (r.email is not None)
        assert not (r.consent_sms_transactional or r.consent_sms_marketing)
        assert not (r.consent_email_transactional or r.consent_email_marketing)
    opted_ids = {r.id for r in opted}
    active = [r for r in rows if r.id not in opted_ids]
    # Care messages: 94 % of those with a phone by SMS, 97 % of those with an email by email.
    with_phone = [r for r in active if r.phone_e164 is not None]
    with_email = [r for r in active if r.email is not None]
    assert 0.92 <= share(with_phone, lambda r: r.consent_sms_transactional) <= 0.96
    assert 0.955 <= share(with_email, lambda r: r.consent_email_transactional) <= 0.985
    # Marketing: 25 % give none (within the 20–30 % the demo promises).
    no_marketing = share(
        active, lambda r: not (r.consent_sms_marketing or r.consent_email_marketing)
    )
    assert 0.23 <= no_marketing <= 0.27
    # Consent only for a channel the patient has.
    assert not any(
        (r.consent_sms_transactional or r.consent_sms_marketing) and r.phone_e164 is None
        for r in rows
    )
    assert not any(
        (r.consent_email_transactional or r.consent_email_marketing) and r.email is None
        for r in rows
    )


def test_opt_outs_fall_between_creation_and_the_snapshot(
    demo_engine: tuple[Engine, dict],
) -> None:
    engine, manifest = demo_engine
    # The snapshot ends at midnight after as_of in the westernmost zone (America/Chicago, UTC−6
    # in November): 2026-11-25 06:00 UTC is later than every location's end of day.
    end = datetime.combine(
        date.fromisoformat(manifest["as_of"]) + timedelta(days=1), time(6, 0), UTC
    )
    stamps = [
        (r.created_at, at)
        for r in consent_rows(engine)
        for at in (r.sms_opted_out_at, r.email_opted_out_at)
        if at is not None
    ]
    assert stamps
    assert all(created <= at < end for created, at in stamps)


def test_consent_is_deterministic_per_seed() -> None:
    first, _ = generate_rows(SMALL)
    again, _ = generate_rows(SMALL)
    assert [(p["phone_e164"], p["email"], p["sms_opted_out_at"]) for p in first["patient"]] == [
        (p["phone_e164"], p["email"], p["sms_opted_out_at"]) for p in again["patient"]
    ]
    other, _ = generate_rows(replace(SMALL, seed=SMALL.seed + 1))
    assert [p["email"] is None for p in other["patient"]] != [
        p["email"] is None for p in first["patient"]
    ]


def test_consent_shares_change_no_other_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Consent has its own random stream: other shares give other consent, nothing else."""
    before, manifest_before = generate_rows(SMALL)
    monkeypatch.setattr(consent, "NO_PHONE", 0.40)
    monkeypatch.setattr(consent, "OPTED_OUT", 0.30)
    after, manifest_after = generate_rows(SMALL)
    assert manifest_after == manifest_before
    assert {k: v for k, v in after.items() if k != "patient"} == {
        k: v for k, v in before.items() if k != "patient"
    }
    contact = {"phone_e164", "email", "sms_opted_out_at", "email_opted_out_at"}
    contact |= {c for c in before["patient"][0] if c.startswith("consent_")}

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in contact} for row in rows]

    assert strip(after["patient"]) == strip(before["patient"])
    assert sum(p["phone_e164"] is None for p in after["patient"]) > sum(
        p["phone_e164"] is None for p in before["patient"]
    )


def test_no_show_rate_is_realistic(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    rate, seen = no_show_rate(appointments(engine), lambda r: r.local_date <= as_of)
    assert seen > 30_000
    assert 0.12 <= rate <= 0.18


def test_rebooking_rate_is_realistic(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    rate, eligible = rebooking_rate(
        appointments(engine), lambda r: r.local_date <= as_of - timedelta(days=2)
    )
    assert eligible > 20_000
    assert 0.55 <= rate <= 0.65


def test_vip_top_decile_earns_35_to_45_percent(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    revenue = sorted(
        (v for v in net_by_patient(engine, as_of - timedelta(days=364), as_of).values() if v > 0),
        reverse=True,
    )
    top = revenue[: round(len(revenue) * 0.10)]
    assert 0.35 <= sum(top) / sum(revenue) <= 0.45


def test_retention_and_utilization_are_realistic(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    as_of = date.fromisoformat(manifest["as_of"])
    rows = appointments(engine)
    visits: dict[int, list[date]] = defaultdict(list)
    for r in rows:
        if r.status == "completed":
            visits[r.patient_id].append(r.local_date)
    middle = as_of - timedelta(days=364)
    prior = {
        p for p, days in visits.items() if any(middle - timedelta(365) <= d < middle for d in days)
    }
    retained = {p for p in prior if any(middle <= d <= as_of for d in visits[p])}
    assert 0.30 <= len(retained) / len(prior) <= 0.45
    booked_minutes = sum(
        r.duration_minutes for r in rows if r.status == "completed" and r.local_date <= as_of
    )
    with engine.connect() as conn:
        available = conn.execute(
            select(func.sum(t.provider_shift.c.available_minutes)).where(
                t.provider_shift.c.day <= as_of
            )
        ).scalar_one()
    assert 0.60 <= booked_minutes / available <= 0.72


def test_seasonality_and_weekdays(demo_engine: tuple[Engine, dict]) -> None:
    engine, _ = demo_engine
    rows = appointments(engine)
    by_weekday = Counter(r.local_date.weekday() for r in rows if r.status == "completed")
    assert by_weekday[6] == 0  # closed on Sundays
    assert by_weekday[3] > 1.5 * by_weekday[0]  # Thursdays busier than Mondays
    with engine.connect() as conn:
        new_by_month = Counter(
            d.month
            for d in conn.execute(
                select(t.lead.c.local_date).where(t.lead.c.patient_id.is_not(None))
            )
            .scalars()
            .all()
        )
    assert new_by_month[5] > 1.15 * new_by_month[1]  # May is busier than January
    hours = Counter(r.start_at.hour for r in rows)
    assert len(hours) >= 9


# --------------------------------------------------------------------------- planted patterns


def test_planted_rebooking_drop(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    plant = pattern(manifest, "rebooking_drop")
    start = date.fromisoformat(plant["period_start"])
    last = date.fromisoformat(manifest["as_of"]) - timedelta(days=1)
    rows = appointments(engine)

    def drop(provider_id: int) -> float:
        before, _ = rebooking_rate(
            rows,
            lambda r: (
                r.provider_id == provider_id and start - timedelta(182) <= r.local_date < start
            ),
        )
        after, n = rebooking_rate(
            rows, lambda r: r.provider_id == provider_id and start <= r.local_date <= last
        )
        assert n >= 30
        return before - after

    assert drop(plant["provider_id"]) >= 0.18
    others = {r.provider_id for r in rows if r.category == "neurotoxin"} - {plant["provider_id"]}
    assert all(drop(p) < 0.12 for p in others)


def test_planted_weekday_no_show_spike(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    plant = pattern(manifest, "no_show_weekday_spike")
    start = date.fromisoformat(plant["period_start"])
    as_of = date.fromisoformat(manifest["as_of"])
    rows = appointments(engine)

    def at(r: Any) -> bool:
        return r.location_id == plant["location_id"] and r.local_date.weekday() == plant["weekday"]

    spike, n = no_show_rate(rows, lambda r: at(r) and start <= r.local_date <= as_of)
    before, _ = no_show_rate(
        rows, lambda r: at(r) and start - timedelta(84) <= r.local_date < start
    )
    assert n >= 60
    assert spike >= 2 * before
    other_days, _ = no_show_rate(
        rows,
        lambda r: (
            r.location_id == plant["location_id"]
            and r.local_date.weekday() != plant["weekday"]
            and start <= r.local_date <= as_of
        ),
    )
    assert other_days < 0.22


def test_planted_lapsed_vip_neurotoxin_patients(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    plant = pattern(manifest, "lapsed_vip_neurotoxin")
    as_of = date.fromisoformat(manifest["as_of"])
    ids = set(plant["patient_ids"])
    assert len(ids) == 40
    rows = [r for r in appointments(engine) if r.patient_id in ids]
    revenue = net_by_patient(engine, as_of - timedelta(729), as_of)
    top_decile = set(sorted(revenue, key=lambda p: -revenue[p])[: len(revenue) // 10])
    for pid in ids:
        mine = [r for r in rows if r.patient_id == pid]
        toxin = [r for r in mine if r.status == "completed" and r.category == "neurotoxin"]
        assert len(toxin) >= 3
        last_visit = max(r.local_date for r in mine if r.status == "completed")
        assert (as_of - last_visit).days >= 150
        assert not [r for r in mine if r.local_date > as_of]  # nothing booked either
        assert pid in top_decile


def test_planted_cac_jump(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    plant = pattern(manifest, "cac_jump")
    start = date.fromisoformat(plant["period_start"])
    baseline_start = date.fromisoformat(plant["baseline_period_start"])
    as_of = date.fromisoformat(manifest["as_of"])
    with engine.connect() as conn:
        spend = conn.execute(
            select(t.marketing_spend.c.month, t.marketing_spend.c.amount_cents).where(
                t.marketing_spend.c.location_id == plant["location_id"],
                t.marketing_spend.c.channel == plant["channel"],
            )
        ).all()
        first_visits = (
            conn.execute(
                select(func.min(t.appointment.c.local_date))
                .join(t.patient, t.patient.c.id == t.appointment.c.patient_id)
                .where(
                    t.appointment.c.status == "completed",
                    t.patient.c.home_location_id == plant["location_id"],
                    t.patient.c.acquisition_channel == plant["channel"],
                    t.patient.c.created_at
                    >= datetime.combine(date.fromisoformat(manifest["data_start"]), time(), UTC),
                )
                .group_by(t.appointment.c.patient_id)
            )
            .scalars()
            .all()
        )

    def cac(lo: date, hi: date) -> float:
        money = sum(cents for month, cents in spend if lo <= month <= hi)
        new = sum(1 for d in first_visits if lo <= d <= hi)
        return money / new

    assert cac(start, as_of) >= 1.7 * cac(baseline_start, start - timedelta(days=1))


def test_planted_refund_anomaly(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    plant = pattern(manifest, "refund_anomaly")
    day = date.fromisoformat(plant["date"])
    with engine.connect() as conn:
        daily = dict(
            conn.execute(
                select(t.sale.c.local_date, func.sum(t.sale.c.refund_cents))
                .where(t.sale.c.location_id == plant["location_id"], t.sale.c.kind == "refund")
                .group_by(t.sale.c.local_date)
            ).all()
        )
    prior = [v for d, v in daily.items() if day - timedelta(90) <= d < day]
    assert daily[day] == plant["details"]["refund_cents"]
    assert daily[day] >= 5 * max(prior)


def test_planted_comp_ratios(demo_engine: tuple[Engine, dict]) -> None:
    engine, manifest = demo_engine
    ratios = {}
    with engine.connect() as conn:
        for kind in ("comp_ratio_high", "comp_ratio_low"):
            plant = pattern(manifest, kind)
            pay = conn.execute(
                select(
                    func.sum(
                        t.compensation.c.base_cents
                        + t.compensation.c.commission_cents
                        + t.compensation.c.bonus_cents
                        + t.compensation.c.benefits_cents
                    )
                ).where(t.compensation.c.provider_id == plant["provider_id"])
            ).scalar_one()
            production = conn.execute(
                select(func.sum(t.sale.c.net_cents)).where(
                    t.sale.c.provider_id == plant["provider_id"],
                    t.sale.c.local_date
                    <= max(conn.execute(select(t.compensation.c.period_end)).scalars()),
                )
            ).scalar_one()
            ratios[kind] = pay / production
    assert ratios["comp_ratio_high"] == pytest.approx(0.55, abs=0.02)
    assert ratios["comp_ratio_low"] == pytest.approx(0.28, abs=0.02)
