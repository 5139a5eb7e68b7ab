"""`clarity brief` and `clarity demo` as a user runs them (a real process on a small demo)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clarity.test_cli import run


def test_brief_formats_delivery_and_errors(tmp_path: Path) -> None:
    built = run(["demo", "build", "--patients", "400", "--seed", "5"], tmp_path)
    assert built.returncode == 0, built.stderr

    md = run(["brief", "--location", "1"], tmp_path)
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Back Bay")  # the headline names the location
    assert "## What matters today" in md.stdout and "How this was computed" in md.stdout
    assert "briefing #1 stored · writer template · verified" in md.stderr

    slack = run(["brief", "--location", "1", "--format", "slack"], tmp_path)
    payload = json.loads(slack.stdout)
    assert payload["blocks"][0]["type"] == "header" and len(payload["blocks"]) <= 50
    assert "briefing #1 stored" in slack.stderr  # same scope and day: the same briefing

    html = run(["brief", "--org", "--format", "html", "--deliver"], tmp_path)
    assert html.returncode == 0, html.stderr
    assert html.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in html.stdout  # charts inlined for a browser
    assert "<script" not in html.stdout.lower()
    # Nobody subscribed to the org yet: stored, nothing delivered.
    assert not (tmp_path / "var" / "outbox").exists()

    llm = run(["brief", "--location", "2", "--writer", "llm"], tmp_path)
    assert llm.returncode == 0
    assert "no model configured" in llm.stderr and "writer template" in llm.stderr

    missing = run(["brief", "--location", "99"], tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert [line for line in missing.stderr.splitlines() if line.strip()] == [
        "error: location 99 is not in organization 1"  # the message every command gives
    ]
    both = run(["brief", "--location", "1", "--org"], tmp_path)
    assert both.returncode == 2 and "either --location or --org" in both.stderr


def test_demo_shows_the_briefing_and_fills_the_outbox(tmp_path: Path) -> None:
    built = run(["demo", "build", "--patients", "400", "--seed", "5"], tmp_path)
    assert built.returncode == 0, built.stderr
    shown = run(["demo", "--no-serve"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert "Daily briefing" in shown.stdout and "What matters today" in shown.stdout
    assert "owner@demo.clarity.example.com: delivered" in shown.stdout
    outbox = sorted(p.name for p in (tmp_path / "var" / "outbox").iterdir())
    assert outbox == [
        "briefing-1--owner@demo.clarity.example.com.eml",
        "briefing-1--owner@demo.clarity.example.com.slack.json",
    ]
    again = run(["demo", "--no-serve"], tmp_path)
    assert "owner@demo.clarity.example.com: skipped" in again.stdout  # never delivered twice
