"""Planted patterns: problems put into the demo data on purpose, for the tools to find.

Each is listed in the build's manifest with kind, scope ids, period and expected direction:

- `rebooking_drop`: one provider (marked in the catalog) rebooks at checkout 40 % of the time
  from 41 days before `as_of` (visits.py applies it);
- `no_show_weekday_spike`: Tuesdays at Greenwich have a 45 % no-show probability from 27 days
  before `as_of` (visits.py);
- `lapsed_vip_neurotoxin`: long-standing neurotoxin patients made VIPs who stopped coming
  150–235 days before `as_of` (patients.py);
- `cac_jump`: from three months before `as_of`, half of Back Bay's Meta-ads patients never
  convert while the budget stays, so the cost per acquisition doubles (`drops_for_cac_jump`);
- `refund_anomaly`: 11 large service sales at Back Bay refunded on one day (`plant_refund_day`);
- `comp_ratio_high` / `comp_ratio_low`: two providers paid above / below the healthy
  comp-to-production range (payroll.py);
- `vip_concentration`: the top decile of patients earns 35–45 % of net revenue (a property of
  the tiers, checked rather than planted).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from store.demo.marketing import add_lead
from store.demo.sales import refund
from store.demo.world import PatientPlan, World

PLANTED_REBOOK_AT_CHECKOUT = 0.40
PLANTED_NO_SHOW = 0.45


def drops_for_cac_jump(world: World, plan: PatientPlan) -> bool:
    """Whether this new Back Bay Meta-ads patient is one the CAC jump keeps from converting; if
    so the lead is recorded (and the spend still counts it) but the patient never exists."""
    if (
        not plan.existing
        and plan.channel == "meta_ads"
        and plan.location.spec.key == "bos"
        and plan.first_day >= world.cac_start
        and world.rng.random() < 0.5
    ):
        month = plan.first_day.replace(day=1)
        world.nominal_new[(plan.location.id, "meta_ads", month)] += 1
        add_lead(world, plan.location, "meta_ads", plan.first_day, None)
        return True
    return False


def plant_refund_day(world: World) -> dict[str, Any]:
    """Refund up to 11 large service sales of the previous 30 days at the first location on
    `world.refund_day`; returns the manifest entry."""
    loc = world.locations[0]
    window_start = world.refund_day - timedelta(days=30)
    recent = [
        row
        for row in world.rows.tables["sale"]
        if row["location_id"] == loc.id
        and row["kind"] == "service"
        and window_start <= row["local_date"] < world.refund_day
        and row["net_cents"] >= 40_000
    ]
    chosen = world.rng.sample(recent, min(11, len(recent)))
    total = 0
    for row in sorted(chosen, key=lambda r: r["id"]):
        svc = world.service_by_id[row["service_id"]]
        refund(
            world,
            row["patient_id"],
            row["provider_id"],
            loc,
            svc,
            row["net_cents"],
            world.refund_day,
        )
        total += row["net_cents"]
    return {
        "kind": "refund_anomaly",
        "location_id": loc.id,
        "date": world.refund_day.isoformat(),
        "period_start": world.refund_day.isoformat(),
        "period_end": world.refund_day.isoformat(),
        "expected_direction": "up",
        "details": {"refunds": len(chosen), "refund_cents": total},
    }


def manifest_patterns(world: World, cac_dropped: int) -> list[dict[str, Any]]:
    """Manifest entries of the patterns planted while simulating patients."""
    rebook_provider = next(p for p in world.providers if p.spec.planted == "rebooking_drop")
    grw = next(loc for loc in world.locations if loc.spec.key == "grw")
    bos = world.locations[0]
    return [
        {
            "kind": "rebooking_drop",
            "location_id": rebook_provider.location_id,
            "provider_id": rebook_provider.id,
            "period_start": world.rebook_drop_start.isoformat(),
            "period_end": world.as_of.isoformat(),
            "expected_direction": "down",
            "details": {
                "rebook_at_checkout_before": round(rebook_provider.rebook_skill, 3),
                "rebook_at_checkout_after": PLANTED_REBOOK_AT_CHECKOUT,
                "expected_drop_points": 20,
            },
        },
        {
            "kind": "no_show_weekday_spike",
            "location_id": grw.id,
            "weekday": world.no_show_weekday,
            "weekday_name": "Tuesday",
            "period_start": world.no_show_spike_start.isoformat(),
            "period_end": world.as_of.isoformat(),
            "expected_direction": "up",
            "details": {"no_show_probability": PLANTED_NO_SHOW},
        },
        {
            "kind": "lapsed_vip_neurotoxin",
            "location_id": None,
            "patient_ids": sorted(world.planted_lapsed),
            "period_start": (world.as_of - timedelta(days=235)).isoformat(),
            "period_end": world.as_of.isoformat(),
            "expected_direction": "down",
            "details": {"last_visit_days_ago": [150, 235]},
        },
        {
            "kind": "cac_jump",
            "location_id": bos.id,
            "channel": "meta_ads",
            "period_start": world.cac_start.isoformat(),
            "period_end": world.as_of.isoformat(),
            "baseline_period_start": (world.cac_start - timedelta(days=180))
            .replace(day=1)
            .isoformat(),
            "expected_direction": "up",
            "details": {"expected_ratio": 2.0, "converted_dropped": cac_dropped},
        },
        {
            "kind": "vip_concentration",
            "location_id": None,
            "period_start": (world.as_of - timedelta(days=364)).isoformat(),
            "period_end": world.as_of.isoformat(),
            "expected_direction": "range",
            "details": {"expected_share": [0.35, 0.45]},
        },
    ]
