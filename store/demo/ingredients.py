"""Static ingredients of the demo practice: locations, providers, services, products,
membership plans, acquisition channels and demand curves (patient names are in `names.py`).

All people are invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LocationSpec:
    key: str
    name: str
    timezone: str
    opened_on: date
    weight: float  # share of new patients once open


@dataclass(frozen=True)
class ProviderSpec:
    location_key: str
    first_name: str
    last_name: str
    role: str
    categories: tuple[str, ...]
    workdays: tuple[int, ...]  # 0 = Monday
    base_monthly_cents: int
    comp_ratio: float | None = None  # None → drawn from the healthy range
    planted: str | None = None  # "rebooking_drop", "comp_high", "comp_low"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    category: str
    price_cents: int
    cogs_ratio: float
    duration_minutes: int
    rebook_min_days: int | None
    rebook_max_days: int | None
    course_sessions: int | None = None
    rebookable: bool = True


LOCATIONS: tuple[LocationSpec, ...] = (
    LocationSpec("bos", "Back Bay", "America/New_York", date(2019, 3, 4), 0.46),
    LocationSpec("grw", "Greenwich", "America/New_York", date(2021, 6, 7), 0.34),
    LocationSpec("aus", "Austin Domain", "America/Chicago", date(2026, 1, 12), 0.20),
)

INJECTABLES = ("neurotoxin", "filler", "consult")
ESTHETICS = ("skin", "laser", "body", "consult")

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        "bos",
        "Helena",
        "Marsh",
        "physician",
        (*INJECTABLES, "laser", "weight_loss"),
        (0, 1, 3, 4),
        1_500_000,
    ),
    ProviderSpec(
        "bos",
        "Priya",
        "Castellano",
        "nurse_practitioner",
        (*INJECTABLES, "weight_loss"),
        (1, 2, 3, 5),
        950_000,
    ),
    ProviderSpec(
        "bos",
        "Jordan",
        "Whitley",
        "nurse_injector",
        INJECTABLES,
        (0, 2, 3, 4, 5),
        650_000,
        planted="rebooking_drop",
    ),
    ProviderSpec("bos", "Camille", "Okafor", "aesthetician", ESTHETICS, (0, 1, 2, 4, 5), 420_000),
    ProviderSpec("bos", "Sofia", "Lindqvist", "aesthetician", ESTHETICS, (1, 2, 3, 4, 5), 400_000),
    ProviderSpec(
        "grw",
        "Marcus",
        "Delacroix",
        "nurse_practitioner",
        (*INJECTABLES, "weight_loss"),
        (0, 1, 2, 3, 4),
        900_000,
        comp_ratio=0.55,
        planted="comp_high",
    ),
    ProviderSpec("grw", "Tessa", "Brandt", "nurse_injector", INJECTABLES, (1, 3, 4, 5), 620_000),
    ProviderSpec("grw", "Noor", "Haddad", "aesthetician", ESTHETICS, (0, 1, 2, 4, 5), 410_000),
    ProviderSpec(
        "grw",
        "Elliot",
        "Vance",
        "physician_assistant",
        (*INJECTABLES, "laser", "skin", "weight_loss"),
        (1, 2, 3, 5),
        880_000,
    ),
    ProviderSpec(
        "aus",
        "Renata",
        "Solis",
        "nurse_practitioner",
        (*INJECTABLES, "weight_loss"),
        (0, 1, 2, 3, 4),
        880_000,
    ),
    ProviderSpec(
        "aus",
        "Beau",
        "Hargrove",
        "nurse_injector",
        INJECTABLES,
        (1, 2, 4, 5),
        600_000,
        comp_ratio=0.28,
        planted="comp_low",
    ),
    ProviderSpec("aus", "Ivy", "Nakamura", "aesthetician", ESTHETICS, (0, 1, 3, 4, 5), 400_000),
)

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("Botox", "neurotoxin", 52_000, 0.32, 30, 84, 112),
    ServiceSpec("Dysport", "neurotoxin", 46_000, 0.30, 30, 84, 112),
    ServiceSpec("Lip filler (1 syringe)", "filler", 75_000, 0.28, 45, 180, 365),
    ServiceSpec("Cheek filler (2 syringes)", "filler", 140_000, 0.28, 60, 180, 365),
    ServiceSpec("Laser hair removal", "laser", 32_000, 0.08, 45, 28, 42, course_sessions=6),
    ServiceSpec("IPL photofacial", "laser", 42_000, 0.10, 45, 28, 35, course_sessions=3),
    ServiceSpec("Microneedling", "skin", 38_000, 0.12, 60, 28, 42, course_sessions=3),
    ServiceSpec("HydraFacial", "skin", 22_500, 0.15, 45, 28, 42),
    ServiceSpec("Chemical peel", "skin", 18_000, 0.12, 30, 28, 56),
    ServiceSpec("CoolSculpting", "body", 85_000, 0.25, 90, 42, 70, course_sessions=2),
    ServiceSpec("Semaglutide program (monthly)", "weight_loss", 45_000, 0.35, 20, 28, 35),
    ServiceSpec("Consultation", "consult", 0, 0.0, 30, None, None, rebookable=False),
)

PRODUCTS: tuple[tuple[str, int], ...] = (
    ("SkinMedica TNS Advanced+ Serum", 29_500),
    ("EltaMD UV Clear SPF 46", 4_100),
    ("SkinCeuticals C E Ferulic", 18_200),
    ("Alastin Regenerating Nectar", 19_500),
    ("Obagi Retinol 1.0", 8_900),
)

MEMBERSHIP_PLANS: tuple[tuple[str, int], ...] = (
    ("Glow Membership", 9_900),
    ("VIP Membership", 19_900),
)

# (channel, share of new patients, target cost per acquired patient in cents or None if unpaid)
CHANNELS: tuple[tuple[str, float, int | None], ...] = (
    ("referral", 0.30, None),
    ("google_ads", 0.24, 26_000),
    ("meta_ads", 0.20, 19_000),
    ("organic_search", 0.14, 9_000),
    ("walk_in", 0.12, None),
)

# Relative demand by calendar month (January = index 0) and weekday (Monday = 0).
MONTH_SEASONALITY: tuple[float, ...] = (
    0.80,
    0.90,
    1.05,
    1.10,
    1.15,
    1.00,
    0.90,
    0.85,
    1.00,
    1.05,
    1.12,
    1.05,
)
WEEKDAY_DEMAND: tuple[float, ...] = (0.80, 1.10, 1.10, 1.20, 1.10, 1.00, 0.0)
HOUR_DEMAND: dict[int, float] = {
    9: 0.7,
    10: 1.0,
    11: 1.1,
    12: 1.0,
    13: 0.9,
    14: 1.0,
    15: 1.1,
    16: 1.2,
    17: 1.1,
    18: 0.6,
}
