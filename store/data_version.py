"""The store's **data version**: a cheap stamp that changes whenever data a page, a chat answer or
a cached computation shows may have changed. Caches key on it (api/cache.py, agent/chat/cache.py).

Data version =
- the largest id of every table the product reads or records changes in (`VERSIONED`);
- no row counts: inside this one statement a count scans its table (0.55 ms per request on the
  demo, 10× the rest), and only a demo rebuild deletes rows — which also empties the briefing and
  outreach tables, so their max ids move;
- the number of ingest runs no longer running and the rows they inserted or updated, which each
  import batch commits with its rows, so an import that only updates rows counts;
- the number of outreach messages per state: every outreach transition moves one message along
  its states (`store.outreach.transition`), so approvals, rejections and sends count.

An import, a briefing or an outreach decision therefore changes it. Writes outside those paths
(an ad-hoc SQL `UPDATE`, a briefing re-run updating its row in place) are not seen: callers add
a time-to-live or clear their cache after one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, Select, Table, func, select

from store import tables as t

#: Tables whose largest id is part of the data version (new rows in any of them).
VERSIONED: tuple[Table, ...] = (
    t.organization,
    t.location,
    t.provider,
    t.patient,
    t.service,
    t.appointment,
    t.sale,
    t.provider_shift,
    t.membership,
    t.marketing_spend,
    t.lead,
    t.compensation,
    t.finding,
    t.briefing,
    t.outreach_message,
    t.audit_event,
    t.ingest_run,
)

DataVersion = tuple[Any, ...]


def stamps(tables: Iterable[Table]) -> Select[Any]:
    """One row: the largest id of each of `tables`, then the number of ingest runs no longer
    running and the rows they inserted or updated — the imports part of a data version, also
    used by caches of their own tables (`tools.forecast_snapshot`)."""
    run = t.ingest_run
    columns: list[Any] = [select(func.max(table.c.id)).scalar_subquery() for table in tables]
    columns.append(select(func.count()).where(run.c.status != "running").scalar_subquery())
    touched = func.coalesce(func.sum(run.c.inserted + run.c.updated), 0)
    columns.append(select(touched).scalar_subquery())
    return select(*columns)


def _statements() -> tuple[Select[Any], Select[Any]]:
    m = t.outreach_message
    states = select(m.c.state, func.count()).group_by(m.c.state).order_by(m.c.state)
    return stamps(VERSIONED), states


#: The version queries compiled once per dialect: SQLAlchemy's statement cache still builds a
#: cache key per execution, which for 20 subqueries cost 1.4 ms against 0.08 ms for the SQL.
_COMPILED: dict[str, tuple[str, str]] = {}
#: Constants only (no user input) are inlined, so the SQL runs without parameters.
_LITERAL = {"literal_binds": True}


def read_version(conn: Connection) -> DataVersion:
    """The current data version (module docstring) over an open connection: two cheap queries,
    one of scalar subqueries answered from primary keys, one grouped count of outreach states."""
    dialect = conn.dialect.name
    sql = _COMPILED.get(dialect)
    if sql is None:
        head, states = _statements()
        sql = (
            str(head.compile(dialect=conn.dialect, compile_kwargs=_LITERAL)),
            str(states.compile(dialect=conn.dialect, compile_kwargs=_LITERAL)),
        )
        _COMPILED[dialect] = sql
    stamps = conn.exec_driver_sql(sql[0]).one()
    counts = conn.exec_driver_sql(sql[1]).all()
    return (*stamps, *(tuple(row) for row in counts))


def data_version(engine: Engine) -> DataVersion:
    """`read_version` on a connection of its own."""
    with engine.connect() as conn:
        return read_version(conn)
