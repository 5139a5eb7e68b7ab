"""The page cache: a cached page changes as soon as its data does (a new data version), in
this process and in another one (a second app on the same database stands for a second
uvicorn worker); and `PageCache` itself."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import insert, update

from api.app import create_app
from api.cache import PageCache, data_version
from store import tables as t
from tests.api.conftest import World, app_settings, csrf_header, signed_in


def test_approving_a_draft_changes_the_cached_queue_page(
    app: FastAPI, world: World, tmp_path: Path
) -> None:
    desk = signed_in(app, world, "front_desk")
    other_worker = signed_in(
        create_app(app_settings(tmp_path), engine=world.engine), world, "front_desk"
    )
    for client in (desk, other_worker):
        # Greenwich: A1, A1-second and A1-blocked are pending.
        assert "pending approval <strong>3</strong>" in client.get("/queue").text
        assert client.get("/api/v1/outreach").json()["counts"]["pending_approval"] == 3
    response = desk.post(f"/queue/{world.message['A1']}/approve", headers=csrf_header(desk))
    assert response.status_code == 200
    for client in (desk, other_worker):
        page = client.get("/queue").text
        assert "pending approval <strong>2</strong>" in page
        assert "scheduled <strong>1</strong>" in page
        assert client.get("/api/v1/outreach").json()["counts"]["pending_approval"] == 2


def test_an_unaudited_state_change_also_changes_the_version(world: World) -> None:
    # The delivery worker moves messages scheduled → sending → sent without an audit event.
    before = data_version(world.engine)
    with world.engine.begin() as conn:
        conn.execute(
            update(t.outreach_message)
            .where(t.outreach_message.c.id == world.message["A2"])
            .values(state="sending")
        )
    assert data_version(world.engine) != before


def test_page_cache_versions_and_time_to_live() -> None:
    cache = PageCache(ttl=3600)
    calls: list[int] = []

    def compute(value: int) -> int:
        calls.append(value)
        return value

    assert cache.get("k", (1,), lambda: compute(1)) == 1
    assert cache.get("k", (1,), lambda: compute(99)) == 1  # same version: cached
    assert cache.get("k", (2,), lambda: compute(2)) == 2  # new version: recomputed
    assert calls == [1, 2]
    expired = PageCache(ttl=0)
    assert expired.get("k", (1,), lambda: 1) == 1
    assert expired.get("k", (1,), lambda: 5) == 5  # past its time-to-live: recomputed


def test_one_computation_per_key_while_others_wait() -> None:
    cache = PageCache()
    started = threading.Event()
    release = threading.Event()
    calls: list[str] = []

    def slow() -> str:
        calls.append("slow")
        started.set()
        release.wait(5)
        return "page"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.get("k", (1,), slow)))
    first.start()
    started.wait(5)
    waiters = [
        threading.Thread(target=lambda: results.append(cache.get("k", (1,), slow)))
        for _ in range(3)
    ]
    for waiter in waiters:
        waiter.start()
    release.set()
    for thread in (first, *waiters):
        thread.join(5)
    assert results == ["page"] * 4 and calls == ["slow"]


def test_an_import_batch_that_only_updates_rows_changes_the_version(world: World) -> None:
    run = t.ingest_run
    with world.engine.begin() as conn:
        run_id = conn.execute(
            insert(run)
            .values(
                kind="sales",
                path="x.csv",
                status="running",
                started_at=datetime.now(UTC),
                summary={},
            )
            .returning(run.c.id)
        ).scalar_one()
    before = data_version(world.engine)
    with world.engine.begin() as conn:  # a batch commits its updated rows with the counters
        conn.execute(update(run).where(run.c.id == run_id).values(updated=40))
    assert data_version(world.engine) != before
