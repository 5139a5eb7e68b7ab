"""Property: every valid row lands exactly once, and importing the same file again is a no-op."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from store import tables as t
from store.ingest import ingest_csv
from tests.store.ingest.conftest import NOW

# Printable text without the characters a CSV must escape is not needed: the writer quotes.
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s.strip() != "")
rows = st.lists(
    st.tuples(
        st.sampled_from(["neurotoxin", "Filler", "LASER", "skin care", "body"]),
        names,
        st.integers(min_value=0, max_value=10_000_00),  # price in cents
        st.booleans(),
    ),
    min_size=1,
    max_size=30,
)
CATEGORY = {"skin care": "skin"}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=rows, delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_no_valid_row_is_lost_and_reimport_is_a_no_op(
    engine: Engine, tmp_path: Path, data: list, delimiter: str, bom: bool
) -> None:
    source = f"prop-{uuid.uuid4().hex[:8]}"  # each example is its own system
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["external_id", "name", "category", "price", "rebookable"])
    for i, (category, name, cents, rebookable) in enumerate(data):
        writer.writerow(
            [f"S{i}", name, category, f"${cents / 100:,.2f}", "yes" if rebookable else "no"]
        )
    path = tmp_path / f"{source}.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode())

    first = ingest_csv(engine, "services", path, source=source, now=NOW)
    assert (first.read, first.inserted, first.rejected, first.skipped) == (
        len(data),
        len(data),
        0,
        0,
    )
    svc = t.service
    with engine.connect() as conn:
        stored = conn.execute(
            select(
                svc.c.external_id, svc.c.name, svc.c.category, svc.c.price_cents, svc.c.rebookable
            )
            .where(svc.c.source == source)
            .order_by(svc.c.id)
        ).all()
    expected = [
        (f"S{i}", name, CATEGORY.get(cat, cat.lower()), cents, rebookable)
        for i, (cat, name, cents, rebookable) in enumerate(data)
    ]
    assert sorted(tuple(r) for r in stored) == sorted(expected)

    again = ingest_csv(engine, "services", path, source=source, now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(data))
    with engine.connect() as conn:
        after = conn.execute(select(svc).where(svc.c.source == source).order_by(svc.c.id)).all()
    assert [r.external_id for r in after] == [r[0] for r in stored]
