"""The chat's data-versioned cache: repeated questions are served from it, and any new data
(a sale, an import run) invalidates it so the next answer has the new figure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, update

from agent.chat import cache as chat_cache
from agent.chat.answer import ChatService
from agent.chat.context import Context
from store import tables as t

QUESTION = "What was net revenue at Back Bay in October?"
REVENUE = "net_revenue.location-1.2026-10"


def ask(engine: Engine) -> ChatService:
    return ChatService(Context(engine, 1, (1, 2)))


def test_a_repeated_question_is_served_from_the_cache_until_a_sale_lands(
    chat_engine: Engine,
) -> None:
    chat_cache.clear(chat_engine)
    first = ask(chat_engine)
    # Back Bay, October: 500 + 450 + 500 + 800 + 500 − 450 (refund) + 99 (membership) = $2,399.
    assert f"$2,399 [{REVENUE}]" in first.answer(QUESTION).text
    again = ask(chat_engine)
    assert f"$2,399 [{REVENUE}]" in again.answer(QUESTION).text
    assert (again.cache.hits, again.cache.misses) == (1, 1)

    with chat_engine.begin() as conn:
        conn.execute(
            insert(t.sale).values(
                id=1000,  # the hand-built store sets ids itself (PostgreSQL's sequence is at 1)
                location_id=1,
                kind="service",
                item="Botox",
                category="neurotoxin",
                gross_cents=10_000,
                net_cents=10_000,
                paid_at=datetime(2026, 10, 20, 16, tzinfo=UTC),
                local_date=date(2026, 10, 20),
            )
        )
    after = ask(chat_engine).answer(QUESTION)
    # $2,399 + the new $100 sale = $2,499.
    assert f"$2,499 [{REVENUE}]" in after.text
    assert {f.id: f.value for f in after.facts}[REVENUE] == 2499.0


def test_a_finished_import_changes_the_data_version(chat_engine: Engine) -> None:
    before = chat_cache.data_version(chat_engine)
    with chat_engine.begin() as conn:
        run_id = conn.execute(
            insert(t.ingest_run)
            .values(
                id=1,
                kind="appointments",
                path="a.csv",
                status="running",
                started_at=datetime.now(UTC),
                summary={},
            )
            .returning(t.ingest_run.c.id)
        ).scalar_one()
    started = chat_cache.data_version(chat_engine)
    assert started != before
    # A batch that only updates rows commits the run's counters with them.
    with chat_engine.begin() as conn:
        conn.execute(update(t.ingest_run).where(t.ingest_run.c.id == run_id).values(updated=3))
    batch = chat_cache.data_version(chat_engine)
    assert batch != started
    with chat_engine.begin() as conn:
        conn.execute(
            update(t.ingest_run).where(t.ingest_run.c.id == run_id).values(status="completed")
        )
    assert chat_cache.data_version(chat_engine) != batch


def test_a_caller_editing_a_result_does_not_change_the_next_answer(chat_engine: Engine) -> None:
    chat_cache.clear(chat_engine)
    args = {"metric": "net_revenue", "location_id": 1, "period": "2026-10"}
    result = ask(chat_engine).call_tool("query_metric", args)
    assert isinstance(result, dict)
    result["rows"][0]["value"] = 1.0
    again = ask(chat_engine).call_tool("query_metric", args)
    assert isinstance(again, dict)
    assert again["rows"][0]["value"] == 2399.0
