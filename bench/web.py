"""Web benchmark: Today, the approval queue and the dashboard under load.

Target (issue 15): p95 ≤ 150 ms per page at 50 concurrent clients for 30 s on loopback against
the demo practice (built, briefed and with outreach drafted by `clarity demo --no-serve`).

The server runs as `clarity serve --workers N` in its own process(es); the load generator is
this process: 50 asyncio clients, each on one keep-alive HTTP/1.1 connection written on raw
streams (an HTTP library would spend more of the 2 shared cores than the server does), each
signed in as the owner or the manager (one session per role, signed in once) and cycling
through the three pages. A response is an error unless it is 200. The machine's load average
is printed before and after, since other processes share the CPU.

Knobs: CLARITY_BENCH_WEB_SECONDS (30), CLARITY_BENCH_WEB_CLIENTS (50),
CLARITY_BENCH_WEB_WORKERS (2). The demo database is kept in var/bench_web/ and reused. A
warm-up of the same load (a third of the duration, at least 10 s) fills every worker's page
cache first; the measured run then shows the steady state (cache hits, data version checks).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._util import verdict

TARGET_P95_MS = 150.0
PAGES = {"today": "/", "queue": "/queue", "dashboard": "/dashboard"}
ROLES = ("owner", "manager")
ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench_web"
SECRET = "bench-web-session-secret-" + "x" * 32


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CLARITY_DATABASE_URL": f"sqlite:///{WORK / 'demo.db'}",
            "CLARITY_VAR_DIR": str(WORK),
            "CLARITY_SESSION_SECRET": SECRET,
        }
    )
    return env


def ensure_demo() -> dict[str, str]:
    """Build the demo (data, briefing, outreach drafts, logins) once; e-mail → password."""
    logins = WORK / "demo_logins.json"
    if not (WORK / "demo.db").exists() or not logins.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "clarity", "demo", "--no-serve"],
            env=_env(),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"   demo practice built in {time.perf_counter() - started:.0f} s")
    saved: dict[str, str] = json.loads(logins.read_text())
    return saved


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "clarity", "serve", "--port", str(port), "--workers", str(workers)],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise RuntimeError("the server did not answer /healthz within 60 s")


def sign_in(base: str, email: str, password: str) -> str:
    """The Cookie header of a signed-in session (CSRF double-submit as the login form does)."""
    with httpx.Client(base_url=base) as client:
        client.get("/login")
        token = client.cookies["csrftoken"]
        response = client.post(
            "/login",
            data={"email": email, "password": password},
            headers={"x-csrftoken": token},
        )
        if "session" not in client.cookies:
            raise RuntimeError(f"sign-in as {email} failed: {response.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PAGES, 0))


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, cookie: str
) -> int:
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode("ascii")
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def client(port: int, cookie: str, offset: int, until: float, results: Results) -> None:
    names = list(PAGES)
    i = offset
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            name = names[i % len(names)]
            i += 1
            started = time.perf_counter()
            try:
                status = await _get(reader, writer, PAGES[name], cookie)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                results.errors[name] += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            results.latencies[name].append(time.perf_counter() - started)
            if status != 200:
                results.errors[name] += 1
    finally:
        writer.close()


async def load(port: int, cookies: list[str], clients: int, seconds: float) -> Results:
    results = Results()
    until = time.perf_counter() + seconds
    await asyncio.gather(
        *(client(port, cookies[i % len(cookies)], i, until, results) for i in range(clients))
    )
    return results


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of one process from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float | None:
    """CPU seconds of the server and its worker processes (children of `pid`)."""
    total = _proc_cpu(pid)
    if total is None:
        return None
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            total += _proc_cpu(int(stat.parent.name)) or 0.0
    return total


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
    return ordered[index]


def report(results: Results, seconds: float) -> None:
    total = sum(len(v) for v in results.latencies.values())
    print(f"   {total} responses in {seconds:.0f} s = {total / seconds:.0f} req/s")
    for name, values in results.latencies.items():
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.50, 0.95, 0.99))
        print(
            f"   {name:<9} n={len(values):>6}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"p99 {p99:7.1f} ms  errors {results.errors[name]}  "
            f"(target p95 ≤ {TARGET_P95_MS:.0f} ms: {verdict(p95, TARGET_P95_MS)})"
        )


def run() -> None:
    seconds = float(os.environ.get("CLARITY_BENCH_WEB_SECONDS", "30"))
    clients = int(os.environ.get("CLARITY_BENCH_WEB_CLIENTS", "50"))
    workers = int(os.environ.get("CLARITY_BENCH_WEB_WORKERS", "2"))
    logins = ensure_demo()
    port = _free_port()
    server = start_server(port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        emails = [f"{role}@demo.clarity.example.com" for role in ROLES]
        cookies = [sign_in(base, email, logins[email]) for email in emails]
        # Warm-up: the same load, unmeasured, until every worker has rendered every page
        # (sequential requests on new connections tend to reach the same worker).
        warm_seconds = max(10.0, seconds / 3)
        asyncio.run(load(port, cookies, clients, warm_seconds))
        print(
            f"   {clients} clients, {seconds:.0f} s, {workers} server worker(s), "
            f"sessions: {', '.join(ROLES)}; load average before "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        server_before, own_before = server_cpu(server.pid), own_cpu()
        results = asyncio.run(load(port, cookies, clients, seconds))
        server_after, own_after = server_cpu(server.pid), own_cpu()
        report(results, seconds)
        total = sum(len(v) for v in results.latencies.values()) or 1
        if server_before is not None and server_after is not None:
            served_ms = (server_after - server_before) / total * 1000
            client_ms = (own_after - own_before) / total * 1000
            print(
                f"   CPU per request: server {served_ms:.2f} ms, load generator {client_ms:.2f} ms"
                f" (on 2 otherwise idle cores ≈ {2000 / (served_ms + client_ms):.0f} req/s)"
            )
        print("   load average after " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
