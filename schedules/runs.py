"""`JobRun` records: one row per run of a scheduled job (see `store.models.JobRun`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, false, insert, or_, select, update

from store.models import JobRun
from store.tables import table_of

MAX_ERROR_CHARS = 300


def one_line(error: BaseException | str) -> str:
    """The first line of an error (with its type for exceptions), cut to 300 characters."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    lines = text.strip().splitlines()
    return (lines[0] if lines else text)[:MAX_ERROR_CHARS]


def start_run(
    engine: Engine, kind: str, key: str, *, scheduled_for: datetime | None, now: datetime
) -> int:
    """Record that a job started; its id."""
    with engine.begin() as conn:
        result = conn.execute(
            insert(table_of(JobRun)).values(
                kind=kind, key=key, scheduled_for=scheduled_for, started_at=now, status="running"
            )
        )
        return _new_id(result.inserted_primary_key)


def finish_run(engine: Engine, run_id: int, status: str, *, error: str | None = None) -> None:
    """Record how a started job ended (`ok` or `failed`)."""
    with engine.begin() as conn:
        conn.execute(
            update(table_of(JobRun))
            .where(table_of(JobRun).c.id == run_id)
            .values(status=status, finished_at=datetime.now(UTC), error=error)
        )


def record_skipped(
    engine: Engine, kind: str, key: str, *, scheduled_for: datetime, now: datetime, reason: str
) -> int:
    """Record a run that was not made because it was too late."""
    with engine.begin() as conn:
        result = conn.execute(
            insert(table_of(JobRun)).values(
                kind=kind,
                key=key,
                scheduled_for=scheduled_for,
                started_at=now,
                finished_at=now,
                status="skipped_late",
                error=reason,
            )
        )
        return _new_id(result.inserted_primary_key)


def _new_id(key: Any) -> int:
    assert key is not None  # an INSERT of one row always has its primary key
    return int(key[0])


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    key: str
    scheduled_for: datetime | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (_aware(self.finished_at) - _aware(self.started_at)).total_seconds()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def recent_runs(
    engine: Engine,
    limit: int = 20,
    kind: str | None = None,
    *,
    scopes: Collection[str] | None = None,
    statuses: Collection[str] | None = None,
) -> list[RunRow]:
    """The latest runs, newest first. `scopes` keeps runs whose key is one of them or starts
    with one and a colon (`location:3` keeps `location:3:2027-03-14`, not `location:31:…`);
    `statuses` keeps runs in those states (e.g. `failed`, `skipped_late`)."""
    runs = table_of(JobRun)
    query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(runs.c.kind == kind)
    if scopes is not None:
        query = query.where(
            or_(
                false(),
                runs.c.key.in_(list(scopes)),
                *(runs.c.key.startswith(f"{scope}:", autoescape=True) for scope in scopes),
            )
        )
    if statuses is not None:
        query = query.where(runs.c.status.in_(list(statuses)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        RunRow(
            id=r.id,
            kind=r.kind,
            key=r.key,
            scheduled_for=_aware(r.scheduled_for) if r.scheduled_for else None,
            started_at=_aware(r.started_at),
            finished_at=_aware(r.finished_at) if r.finished_at else None,
            status=r.status,
            error=r.error,
        )
        for r in rows
    ]


def has_finished(engine: Engine, kind: str, key: str) -> bool:
    """True when a run of `kind` for `key` ended (`ok` or `skipped_late`); a `running` one left
    by a worker that died, or a `failed` one, does not count."""
    runs = table_of(JobRun)
    with engine.connect() as conn:
        found = conn.execute(
            select(runs.c.id).where(
                runs.c.kind == kind,
                runs.c.key == key,
                runs.c.status.in_(["ok", "skipped_late"]),
            )
        ).first()
    return found is not None
