"""`clarity brief` and `clarity demo` on a small demo, in-process on each backend."""

from __future__ import annotations

import json

from tests.clarity.conftest import Cli, seed_tiny_practice


def test_brief_formats_delivery_and_errors(cli: Cli) -> None:
    built = cli("demo", "build", "--patients", "400", "--seed", "5")
    assert built.exit_code == 0, built.stderr

    md = cli("brief", "--location", "1")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# Back Bay")  # the headline names the location
    assert "## What matters today" in md.stdout and "How this was computed" in md.stdout
    assert "briefing #1 stored · writer template · verified" in md.stderr

    slack = cli("brief", "--location", "1", "--format", "slack")
    payload = json.loads(slack.stdout)
    assert payload["blocks"][0]["type"] == "header" and len(payload["blocks"]) <= 50
    assert "briefing #1 stored" in slack.stderr  # same scope and day: the same briefing

    html = cli("brief", "--org", "--format", "html", "--deliver")
    assert html.exit_code == 0, html.stderr
    assert html.stdout.lstrip().startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in html.stdout  # charts inlined for a browser
    assert "<script" not in html.stdout.lower()
    # Nobody subscribed to the org yet: stored, nothing delivered.
    assert not (cli.var / "outbox").exists()

    llm = cli("brief", "--location", "2", "--writer", "llm")
    assert llm.exit_code == 0
    assert "no model configured" in llm.stderr and "writer template" in llm.stderr
    assert "template text (no model configured)" in llm.stdout  # the briefing's status line
    assert "failed verification" not in llm.stdout + llm.stderr

    missing = cli("brief", "--location", "99")
    assert missing.exit_code == 2
    assert [line for line in missing.stderr.splitlines() if line.strip()] == [
        "error: location 99 is not in organization 1"  # the message every command gives
    ]
    both = cli("brief", "--location", "1", "--org")
    assert both.exit_code == 2 and "either --location or --org" in both.stderr


def test_demo_shows_the_briefing_and_fills_the_outbox(cli: Cli) -> None:
    built = cli("demo", "build", "--patients", "400", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    shown = cli("demo", "--no-serve")
    assert shown.exit_code == 0, shown.stderr
    assert "Daily briefing" in shown.stdout and "What matters today" in shown.stdout
    assert "owner@demo.clarity.example.com: delivered" in shown.stdout
    outbox = sorted(p.name for p in (cli.var / "outbox").iterdir())
    assert outbox == [
        "briefing-1--owner@demo.clarity.example.com.eml",
        "briefing-1--owner@demo.clarity.example.com.slack.json",
    ]
    again = cli("demo", "--no-serve")
    assert "owner@demo.clarity.example.com: skipped" in again.stdout  # never delivered twice


def test_a_practice_too_small_for_the_return_model_still_gets_its_briefing(cli: Cli) -> None:
    seed_tiny_practice(cli)
    md = cli("brief", "--location", "1")
    assert md.exit_code == 0, md.stderr
    assert "verified" in md.stderr
    assert "No call list yet: too few patients with a purchase" in md.stdout
