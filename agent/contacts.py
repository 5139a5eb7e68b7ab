"""Patients' names and phone numbers, read from the store after a text is written and verified.

Light on purpose (no charts, no templates): the chat resolves pseudonyms per answer, and the
briefing renderer resolves its patient markers with the same lookup.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy import Engine, select

from store import tables as t


def format_phone(e164: str | None) -> str:
    """'+16175550101' → '(617) 555-0101'; '' when there is none; as stored when unparsable."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def patient_contacts(engine: Engine, patient_ids: set[int]) -> dict[int, str]:
    """'First Last · (617) 555-0101 · P-123' for each patient id, read from the store."""
    if not patient_ids:
        return {}
    p = t.patient
    with engine.connect() as connection:
        rows = connection.execute(
            select(p.c.id, p.c.first_name, p.c.last_name, p.c.phone_e164).where(
                p.c.id.in_(sorted(patient_ids))
            )
        ).all()
    contacts: dict[int, str] = {}
    for row in rows:
        parts = [f"{row.first_name} {row.last_name}".strip(), format_phone(row.phone_e164)]
        parts.append(f"P-{row.id}")
        contacts[row.id] = " · ".join(part for part in parts if part)
    return contacts
