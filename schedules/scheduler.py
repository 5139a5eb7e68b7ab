"""The APScheduler 3 scheduler: jobs persisted in the store's own database
(`SQLAlchemyJobStore`, table `apscheduler_jobs`, created on start), times in UTC.

Job defaults (stored with each job when it is added, so `sync_jobs` re-adds every job with
`replace_existing=True` to apply them): `coalesce=True` (a backlog of missed runs fires once),
`misfire_grace_time=None` (APScheduler always fires the coalesced run; the job itself decides
whether it is too late and records a skip, see `schedules.jobs`), `max_instances=1`.

Only one process may run a scheduler on a job store (two would both fire every job): see
`schedules.leader`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

JOB_DEFAULTS: dict[str, Any] = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
JOBS_TABLE = "apscheduler_jobs"


def job_store(engine: Engine) -> Any:
    """The persistent job store on `engine`'s database."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)


def make_scheduler(engine: Engine, *, threads: int = 4) -> BackgroundScheduler:
    """A (not yet started) background scheduler on `engine`'s database."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(
        jobstores={"default": job_store(engine)},
        executors={"default": ThreadPoolExecutor(threads)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone="UTC",
    )
