"""`clarity.literal.markdown`: untrusted text renders as itself in CommonMark, and ordinary values
(numbers, percentages, signed amounts) are left readable in the stored Markdown."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from clarity.literal import markdown

RENDER = MarkdownIt("commonmark")


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2703.1%", "2703.1%"),  # "2703." followed by no space is not a list marker
        ("-5", "-5"),
        ("$74,039", "$74,039"),
        ("1. first", "1\\. first"),
        ("- item", "\\- item"),
        ("a|b", "a\\|b"),
        ("<script>", "&lt;script&gt;"),
        ("[x](http://e.example)", "\\[x\\](http://e.example)"),
    ],
)
def test_markdown_escapes_only_what_has_a_meaning(value: str, stored: str) -> None:
    assert markdown(value) == stored
    # Rendered, it is one paragraph holding exactly the original text.
    html = RENDER.render(stored)
    text = html.removeprefix("<p>").removesuffix("</p>\n")
    assert text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") == value
    assert html.startswith("<p>")
