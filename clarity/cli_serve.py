"""`clarity serve`: the web app (pages and JSON API) under uvicorn."""

from __future__ import annotations

import typer

from clarity.cli_common import open_engine, settings

HOST = typer.Option(None, "--host", help="Interface to listen on (default 127.0.0.1).")
PORT = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000).")
WORKERS = typer.Option(
    1, "--workers", min=1, max=64, help="Server processes (each with its own page cache)."
)


def serve(host: str | None = HOST, port: int | None = PORT, workers: int = WORKERS) -> None:
    """Apply pending migrations once, then serve the app until interrupted."""
    import uvicorn  # imported here: other commands need not pay for the server stack

    from api.app import create_app

    current = settings()
    open_engine(current).dispose()
    if workers > 1:
        # Several processes need the app as an import string; each builds it from settings.
        uvicorn.run(
            "api.app:create_app_from_env",
            factory=True,
            workers=workers,
            host=host or current.host,
            port=port or current.port,
            proxy_headers=False,
            log_level="info",
        )
        return
    uvicorn.run(
        create_app(current),
        host=host or current.host,
        port=port or current.port,
        proxy_headers=False,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
