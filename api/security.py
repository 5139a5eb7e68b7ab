"""Passwords, API tokens, the session secret and login rate limiting.

- Passwords: argon2id through pwdlib (`$argon2id$v=19$m=65536,t=3,p=4$…`); about 180 ms of CPU
  per hash or check, so every caller is a sync function run in FastAPI's thread pool.
- API tokens: `clr_` + 32 random bytes (URL-safe base64). Only the SHA-256 of a token is stored:
  a token is random, so a fast hash is enough and lookups stay an index hit.
- Login rate limit: failed attempts per e-mail and per client IP in a sliding window, kept in
  this process's memory (several server processes each keep their own counts).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError

from clarity.settings import Settings

TOKEN_PREFIX = "clr_"
SECRET_FILE = "session_secret"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    """The argon2id hash stored in `User.password_hash`."""
    return _hasher().hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`. A missing or unreadable hash is a mismatch; it
    still costs one hash check so that unknown e-mails take as long as wrong passwords."""
    if not stored:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, stored)
    except UnknownHashError:
        return False


def new_api_token() -> str:
    """A fresh token to hand out once; store only `token_digest(token)`."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: what `ApiToken.token_hash` holds."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_secret(settings: Settings) -> str:
    """`CLARITY_SESSION_SECRET`, or a secret generated once and kept in VAR_DIR (mode 0600) so
    sessions survive restarts of a development server. Never committed: VAR_DIR is ignored."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = Path(settings.var_dir) / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


@dataclass
class LoginLimiter:
    """At most `per_email` failed logins per e-mail and `per_ip` per client address within
    `window_seconds`; a success clears the e-mail's count. Memory only, per process."""

    per_email: int = 5
    per_ip: int = 20
    window_seconds: float = 900.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _now(self) -> float:
        return self.clock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        return times

    def retry_after(self, email: str, ip: str) -> int:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        now = self._now()
        waits = []
        with self._lock:
            for key, limit in ((f"e:{email.lower()}", self.per_email), (f"i:{ip}", self.per_ip)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[0] + self.window_seconds - now)
        return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, email: str, ip: str) -> None:
        now = self._now()
        with self._lock:
            for key in (f"e:{email.lower()}", f"i:{ip}"):
                self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"e:{email.lower()}", None)
