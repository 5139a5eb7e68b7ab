"""Rendered pages cached per (page, user's scope, parameters) and data version.

The **data version** (`store.data_version`) is read with one round trip per request; a cached
page is served only while the version is the one it was rendered at.

Writes the version does not see (a briefing re-run for the same scope and day updates its row
in place) are caught by a short time-to-live: an entry is also recomputed after `TTL_SECONDS`.

Each process (uvicorn worker) has its own cache. One thread computes a missing entry while the
others asking for the same key wait for it, so a new version costs one render, not fifty; an
entry past its time-to-live is refreshed by one request while the others are still served it.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from api.deps import UserScope
from store.data_version import DataVersion, data_version

TTL_SECONDS = 30.0
MAX_ENTRIES = 512


class _Entry:
    __slots__ = ("at", "value", "version")

    def __init__(self, value: Any, version: DataVersion, at: float) -> None:
        self.value = value
        self.version = version
        self.at = at


class PageCache:
    """A bounded map key → (value, data version, time), least recently used evicted first."""

    def __init__(self, *, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = 0
        self.misses = 0

    def _fresh(self, key: Hashable, version: DataVersion, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.version == version and now - entry.at < self.ttl:
            self._entries.move_to_end(key)
            return entry
        return None

    def peek(self, key: Hashable, version: DataVersion) -> Any:
        """The entry for `key` if it is of `version` and within its time-to-live, else
        `_MISSING`; never waits."""
        with self._lock:
            entry = self._fresh(key, version, time.monotonic())
            if entry is None:
                return _MISSING
            self.hits += 1
            return entry.value

    def get(self, key: Hashable, version: DataVersion, compute: Callable[[], Any]) -> Any:
        """The value cached for `key` at `version`, else `compute()` (stored unless it raises).

        Past its time-to-live an entry of the current version is still served to everyone but
        the one request that recomputes it; an entry of another version is never served."""
        with self._lock:
            entry = self._entries.get(key)
            stale = None
            if entry is not None and entry.version == version:
                if time.monotonic() - entry.at < self.ttl:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry.value
                stale = entry
            key_lock = self._computing.setdefault(key, threading.Lock())
        if stale is not None:
            if not key_lock.acquire(blocking=False):  # another request is refreshing it
                return stale.value
        else:
            key_lock.acquire()
        try:
            with self._lock:  # another thread may have computed it while this one waited
                entry = self._fresh(key, version, time.monotonic())
                if entry is not None:
                    self.hits += 1
                    return entry.value
                self.misses += 1
            value = compute()
            with self._lock:
                self._entries[key] = _Entry(value, version, time.monotonic())
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    evicted, _ = self._entries.popitem(last=False)
                    self._computing.pop(evicted, None)
            return value
        finally:
            key_lock.release()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def page_key(scope: UserScope, page: str, *params: Hashable) -> tuple[Hashable, ...]:
    """Who sees the page (the user as the layout names them, and their reach) and what."""
    user = scope.user
    return (
        page,
        user.id,
        user.name,
        user.role,
        scope.organization_id,
        scope.location_ids,
        scope.whole_org,
        *params,
    )


_MISSING = object()
#: Threads that may render or wait for a render at once. Requests waiting for a slow render
#: (the dashboard takes about a second) wait here without a thread, so they do not take every
#: thread of the pool and stall the sign-in checks of all other requests.
RENDER_THREADS = 8


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _renders() -> anyio.CapacityLimiter:
    """The render limiter of the running event loop (a server has one; tests run several)."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(RENDER_THREADS)
    return limiter


async def cached(
    request: Request, engine: Engine, key: Hashable, compute: Callable[[], Any]
) -> Any:
    """`compute()` through the app's page cache at the current data version. A fresh entry is
    answered on the event loop; a miss (or a wait for another request's render) runs on the
    thread pool."""
    cache: PageCache = request.app.state.page_cache
    version = getattr(request.state, "data_version", None)
    if version is not None:  # read by `get_current_user` on signed-in requests
        value = cache.peek(key, version)
        if value is not _MISSING:
            return value

    def through_cache() -> Any:
        return cache.get(key, version if version is not None else data_version(engine), compute)

    return await anyio.to_thread.run_sync(through_cache, limiter=_renders())


async def cached_html(
    request: Request, engine: Engine, key: Hashable, render: Callable[[], HTMLResponse]
) -> HTMLResponse:
    """A rendered page through the cache (its body and status)."""

    def compute() -> tuple[bytes, int]:
        response = render()
        return bytes(response.body), response.status_code

    body, status_code = await cached(request, engine, key, compute)
    return HTMLResponse(content=body, status_code=status_code)
