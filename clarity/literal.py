"""Untrusted text (names, titles, cells from imported files) shown literally.

Definitions:

- `visible(text)`: control characters (C0 but tab and newline, DEL, C1) and the bidirectional
  overrides/isolates are replaced by their escape (`ESC` → the four characters `\\x1b`,
  U+202E → `\\u202e`), so a name can neither drive the terminal nor reorder what is shown.
- `markdown(text)`: `visible`, newlines and tabs become spaces (a cell stays one line), every
  ASCII character with a Markdown meaning inline (`\\ ` * _ [ ] # | ~ ! &`) is
  backslash-escaped, `<` and `>` become `&lt;` / `&gt;` (so no raw HTML such as `<script>` is
  stored), and a leading list marker (followed by a space or the end) is escaped. The result
  renders as the original text in CommonMark/GFM, also inside a table cell.
- `terminal(text)`: a Rich `Text` of `visible(text)` — never parsed as Rich markup, so
  `[bold]` in a name is printed as the seven characters.
- `markup(text)`: `visible(text)` with Rich markup escaped, for f-strings that also carry our
  own markup (`"[bold red]error:[/] " + markup(message)`).
"""

from __future__ import annotations

import re

from rich.markup import escape as _escape_markup
from rich.text import Text

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MD_PUNCT = re.compile(r"([\\`*_\[\]#|~!&])")
#: A list marker only counts when a space or the end follows (CommonMark), so "2703.1%" and
#: "-5" stay as they are while "1. x" and "- x" are escaped.
_LEADING_BLOCK = re.compile(r"^(\s*)(\d+)([.)])(?=\s|$)|^(\s*)([-+=])(?=\s|$)")


def _escape_code(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """The text with control and bidi-override characters written as escapes (module doc)."""
    return _CONTROL.sub(_escape_code, str(text))


def markdown(text: object) -> str:
    """The text as inline Markdown that renders literally (module doc)."""
    flat = re.sub(r"[\r\n\t]+", " ", visible(text))
    escaped = _MD_PUNCT.sub(r"\\\1", flat).replace("<", "&lt;").replace(">", "&gt;")
    return _LEADING_BLOCK.sub(
        lambda m: (
            f"{m.group(1)}{m.group(2)}\\{m.group(3)}"
            if m.group(2) is not None
            else f"{m.group(4)}\\{m.group(5)}"
        ),
        escaped,
        count=1,
    )


def terminal(text: object, style: str = "") -> Text:
    """A Rich `Text` that prints `visible(text)` as it is (no markup, no control codes)."""
    return Text(visible(text), style=style)


def markup(text: object) -> str:
    """`visible(text)` escaped for a string that Rich parses as markup."""
    return _escape_markup(visible(text))
