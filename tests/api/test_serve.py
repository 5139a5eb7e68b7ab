"""`clarity serve` as a user runs it: migrations once, then the app answers on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_migrates_then_serves(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLARITY_")}
    env |= {
        "CLARITY_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'clarity.db'}",
        "CLARITY_SESSION_SECRET": "t" * 48,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "clarity", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None, "server did not answer"
        # 200 means the schema is there: `serve` applied the migrations before serving.
        assert health.status_code == 200, health.text
        assert health.json() == {"status": "ok", "reason": None}
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "/static/htmx.min.js" in login.text
        script = httpx.get(f"http://127.0.0.1:{port}/static/htmx.min.js", timeout=5)
        assert script.status_code == 200 and script.text.startswith("var htmx=")
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "Traceback" not in output
