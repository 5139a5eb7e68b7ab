"""The store's own names the router recognises in a question: locations, providers, services.

Loaded once per organization and question set (names only, no patient data). Every location of
the organization is listed — not just the allowed ones — so a question about a location the
user may not see is recognised and refused rather than misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from store import tables as t

# Words people use for a service category; the store's own category keys and service names are
# added when the directory is loaded.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "neurotoxin": ("botox", "dysport", "xeomin", "tox", "neurotoxin", "neurotoxins", "toxin"),
    "filler": ("filler", "fillers", "juvederm", "restylane", "lip filler"),
    "laser": ("laser", "lasers", "ipl"),
    "facial": ("facial", "facials", "hydrafacial"),
    "body": ("body", "coolsculpting", "body contouring"),
    "skincare": ("skincare", "skin care", "peel", "peels"),
    "consult": ("consult", "consults", "consultation", "consultations"),
}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@dataclass(frozen=True)
class Person:
    id: int
    first: str
    last: str
    location_id: int

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Directory:
    locations: dict[int, str]
    providers: list[Person]
    categories: dict[str, set[str]] = field(default_factory=dict)  # category → phrases

    @classmethod
    def load(cls, engine: Engine, organization_id: int) -> Directory:
        with engine.connect() as conn:
            locations = {
                int(i): str(n)
                for i, n in conn.execute(
                    select(t.location.c.id, t.location.c.name)
                    .where(t.location.c.organization_id == organization_id)
                    .order_by(t.location.c.id)
                ).all()
            }
            providers = [
                Person(int(r.id), str(r.first_name), str(r.last_name), int(r.location_id))
                for r in conn.execute(
                    select(
                        t.provider.c.id,
                        t.provider.c.first_name,
                        t.provider.c.last_name,
                        t.provider.c.location_id,
                    )
                    .where(t.provider.c.location_id.in_(list(locations) or [-1]))
                    .order_by(t.provider.c.id)
                ).all()
            ]
            services = conn.execute(
                select(t.service.c.name, t.service.c.category).where(
                    t.service.c.organization_id == organization_id
                )
            ).all()
        categories: dict[str, set[str]] = {}
        for name, category in services:
            if not category:
                continue
            phrases = categories.setdefault(str(category), {str(category).lower()})
            phrases.update(CATEGORY_WORDS.get(str(category), ()))
            phrases.add(str(name).lower())
        return cls(locations, providers, categories)
