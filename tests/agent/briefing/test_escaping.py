"""Names from imported files are shown literally in every briefing format (issue 14, item 4).

A hostile patient name, location name and treatment name go through the briefing graph; the
stored Markdown and the `clarity brief` Markdown are parsed with markdown-it-py (CommonMark +
GFM tables, as the app and Rich render them): the call-list table keeps its shape, the only
link is ours, no raw HTML token exists, and each cell's text is the name as it was typed."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from agent.briefing.gather import StaticGatherer
from agent.briefing.graph import outgoing, run_briefing
from agent.briefing.render import resolve_identities
from store import tables as t
from store.models import Briefing
from tests.agent.briefing.sample import DAY, sample_gathered, seed_store

HOSTILE = "Ann|Lee [x](http://evil.example) <script>alert(1)</script> [bold]B[/bold] \x1b[31mred"
# What a reader must see: the same characters, ESC written as its escape.
SHOWN = HOSTILE.replace("\x1b", "\\x1b")
LOCATION = "Spa | <b>Main</b> *star* _u_ # 1. `code` ![i](http://img.example/a.png)"
TREATMENT = "Botox|[link](http://evil.example)<img src=x onerror=alert(1)>"


def _hostile_briefing(engine: Engine) -> Any:
    seed_store(engine)
    with engine.begin() as conn:
        conn.execute(update(t.patient).where(t.patient.c.id == 101).values(first_name=HOSTILE))
        conn.execute(update(t.patient).where(t.patient.c.id == 101).values(last_name="|"))
    gathered = sample_gathered()
    gathered = gathered.model_copy(
        update={
            "scope_label": LOCATION,
            "at_risk": [
                c.model_copy(update={"last_treatment": TREATMENT, "reasons": [TREATMENT]})
                for c in gathered.at_risk
            ],
        }
    )
    return run_briefing(
        engine,
        organization_id=1,
        location_id=2,
        for_date=DAY,
        gatherer=StaticGatherer(gathered),
    )


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _inline_text(token: Token) -> str:
    """The text a reader sees in an inline token (text and code spans, in order)."""
    return "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def _call_list_rows(tokens: list[Token]) -> list[list[str]]:
    """The body rows of the first table after the "Call list" heading (the key numbers come
    earlier in a table of their own)."""
    start = next(
        i for i, tok in enumerate(tokens) if tok.type == "inline" and tok.content == "Call list"
    )
    rows: list[list[str]] = []
    in_body = False
    for i, token in enumerate(tokens):
        if i < start:
            continue
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            break
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline" and tokens[i - 1].type == "td_open":
            rows[-1].append(_inline_text(token))
    return rows


def _check_markdown(markdown: str) -> None:
    assert "<script" not in markdown and "<img" not in markdown and "<b>" not in markdown
    assert "\x1b" not in markdown
    tokens = _parser().parse(markdown)
    flat = [c for tok in tokens for c in ([tok, *(tok.children or [])])]
    assert not [tok for tok in flat if tok.type in ("html_inline", "html_block")]
    links = [tok.attrGet("href") for tok in flat if tok.type == "link_open"]
    assert links == ["http://127.0.0.1:8000/briefings/location:2/2026-11-24"]
    assert not [tok for tok in flat if tok.type == "image"]
    # The call list: two rows of exactly two cells, the hostile name and treatment intact.
    rows = _call_list_rows(tokens)
    assert len(rows) == 2 and all(len(row) == 2 for row in rows)
    assert rows[0][0] == f"{SHOWN} | · (203) 555-0147 · P-101"
    assert TREATMENT in rows[0][1]
    # The location name is the italic subtitle's text, not a heading, list or code span.
    subtitle = next(
        tok for tok in tokens if tok.type == "inline" and tok.content.startswith("*Spa")
    )
    assert _inline_text(subtitle).startswith(LOCATION + " · data through 2026-11-24")
    assert not [tok for tok in tokens if tok.type in ("ordered_list_open", "bullet_list_open")]


def test_stored_and_cli_markdown_render_names_literally(engine: Engine) -> None:
    result = _hostile_briefing(engine)
    with Session(engine) as session:
        stored = session.exec(select(Briefing)).one()
        text_md = stored.text_md
        html = stored.html
    assert html is not None
    _check_markdown(text_md)
    # `clarity brief --format md` resolves the same rendered Markdown the same way.
    _check_markdown(resolve_identities(engine, result.rendered.markdown, markdown=True))
    # HTML escaped as before: no tag from a name.
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_plain_text_and_email_show_control_characters_as_escapes(engine: Engine) -> None:
    result = _hostile_briefing(engine)
    message = outgoing(engine, 1, result.rendered)
    assert message.html is not None
    assert "\x1b" not in message.text
    assert f"{SHOWN} |" in message.text  # the name itself, unchanged but for ESC
    assert LOCATION in message.text
    assert "\x1b" not in message.html and "&lt;script&gt;" in message.html
